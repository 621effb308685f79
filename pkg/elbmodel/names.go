// Package elbmodel turns a PoolService, its Service, NodePool, nodes and
// endpoints into the desired ENS load balancer (a plain value), and compares
// it with what the cloud holds to produce an ordered plan of actions. It is
// pure: no clients, no I/O.
package elbmodel

import (
	"strings"
)

const namePrefix = "k8s"

// ENS text limits (characters): an ELB name, and a listener Description,
// which carries the same name on a user-managed ELB. An EIP name may be
// longer (128), so the ELB limit is the binding one for a managed ELB.
const (
	MaxLoadBalancerNameLen    = 80
	MaxListenerDescriptionLen = 256
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

// LoadBalancerClientToken is the ClientToken of CreateLoadBalancer for a
// PoolService: the same UID always gives the same token, so a create retried
// after a crash or timeout returns the ELB made the first time.
func LoadBalancerClientToken(uid string) string { return "elb-" + uid }

// EIPClientToken is CreateEipInstance's ClientToken, likewise.
func EIPClientToken(uid string) string { return "eip-" + uid }
