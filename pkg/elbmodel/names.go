// Package elbmodel turns a PoolService, its Service, NodePool, nodes and
// endpoints into the desired ENS load balancer (a plain value), and compares
// it with what the cloud holds to produce an ordered plan of actions. It is
// pure: no clients, no I/O.
package elbmodel

import (
	"strings"
)

const namePrefix = "k8s"

// ENS text limits (characters): an ELB name and a listener Description
// (which carries the same name) are 1-80; an EIP name 2-128 and its
// Description 2-256; a ClientToken at most 64 ASCII characters.
const (
	MaxLoadBalancerNameLen    = 80
	MaxListenerDescriptionLen = 80
	MaxEIPDescriptionLen      = 256
)

// Name is the ENS name of the ELB and the EIP of one PoolService:
// k8s/${Service_Name}/${Service_Namespace}/${NodePool_Name}/${Cluster_Id}.
//
// The same string is the Description of every listener the controller
// creates for that PoolService: it marks the listener as ours (ENS has no
// tags on ELBs or listeners), and tells apart the listeners of Services that
// share one user-managed ELB.
func Name(service, namespace, pool, clusterID string) string {
	return strings.Join([]string{namePrefix, service, namespace, pool, clusterID}, "/")
}

// NameParts are the segments of a name made by Name.
type NameParts struct {
	Service, Namespace, Pool, ClusterID string
}

// ParseName splits a name made by Name. It accepts only exactly five
// non-empty segments, the first "k8s" and the last clusterID.
func ParseName(name, clusterID string) (NameParts, bool) {
	seg := strings.Split(name, "/")
	if len(seg) != 5 || seg[0] != namePrefix || seg[4] != clusterID {
		return NameParts{}, false
	}
	for _, s := range seg {
		if s == "" {
			return NameParts{}, false
		}
	}
	return NameParts{Service: seg[1], Namespace: seg[2], Pool: seg[3], ClusterID: seg[4]}, true
}

// NamedForAnother reports whether name is the ELB/EIP name of another
// PoolService of the same cluster as ours (a name made by Name).
func NamedForAnother(name, ours string) bool {
	seg := strings.Split(ours, "/")
	_, ok := ParseName(name, seg[len(seg)-1])
	return ok && name != ours
}

// NamedForOtherCluster reports whether name is an ELB/EIP name this
// controller would make in another cluster (k8s/<svc>/<ns>/<pool>/<other>):
// that cluster's controller owns it.
func NamedForOtherCluster(name, clusterID string) bool {
	seg := strings.Split(name, "/")
	if len(seg) != 5 || seg[0] != namePrefix || seg[4] == clusterID {
		return false
	}
	_, ok := ParseName(name, seg[4])
	return ok
}

// EIPDescription is the Description of a managed EIP, cut to what ENS takes.
func EIPDescription(namespace, poolService string) string {
	d := "managed by edge-controller-manager for " + namespace + "/" + poolService
	if len(d) > MaxEIPDescriptionLen {
		d = d[:MaxEIPDescriptionLen] // ASCII: object names are DNS labels
	}
	return d
}
