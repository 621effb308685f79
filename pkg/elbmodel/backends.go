package elbmodel

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// labelExcludeFromLB keeps a node out of every load balancer, as in the
// Kubernetes service controller.
const labelExcludeFromLB = "node.kubernetes.io/exclude-from-external-load-balancers"

// InstanceID maps a node to its ENS instance id: the label
// alibabacloud.com/ens-instance-id; else spec.providerID with any
// "scheme://" removed, then the part after the last "/", then the part after
// the last "." (so "alicloud://cn-hefei-cmcc-2.i-abc", "cn-hefei.i-abc" and
// "ens:///i-abc" all give "i-abc"); else the node name.
func InstanceID(node *corev1.Node) string {
	if id := node.Labels[apis.LabelENSInstanceID]; id != "" {
		return id
	}
	p := node.Spec.ProviderID
	if _, rest, ok := strings.Cut(p, "://"); ok {
		p = rest
	}
	p = p[strings.LastIndex(p, "/")+1:]
	p = p[strings.LastIndex(p, ".")+1:]
	if p != "" {
		return p
	}
	return node.Name
}

// NodeReady reports whether the node's Ready condition is True.
func NodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// BackendInstanceIDs returns the sorted, unique instance ids of the nodes
// that should be backends, before the instances' own status is known:
// Ready nodes of the pool, not being deleted, not excluded, matching the
// backend label filter, and with Local traffic policy only those running a
// ready endpoint of the Service.
func BackendInstanceIDs(in Inputs) []string {
	var withEndpoint map[string]bool
	if LocalTraffic(in.Service) {
		withEndpoint = nodesWithReadyEndpoint(in.Slices, len(in.Nodes))
	}
	// Sorting is needed anyway, so duplicates are dropped after it rather
	// than tracked in a set.
	ids := make([]string, 0, len(in.Nodes))
	for _, n := range in.Nodes {
		if !backendNode(n, in.Annotations.BackendLabels) {
			continue
		}
		if withEndpoint != nil && !withEndpoint[n.Name] {
			continue
		}
		ids = append(ids, InstanceID(n))
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func backendNode(n *corev1.Node, filter map[string]string) bool {
	if n.DeletionTimestamp != nil || !NodeReady(n) {
		return false
	}
	if _, excluded := n.Labels[labelExcludeFromLB]; excluded {
		return false
	}
	// Selector semantics: "k=" selects only nodes that have label k, empty.
	for k, v := range filter {
		if have, ok := n.Labels[k]; !ok || have != v {
			return false
		}
	}
	return true
}

// LocalTraffic reports whether the Service keeps external traffic on the
// node it arrives at (externalTrafficPolicy Local): its backends are then
// only nodes running a ready endpoint, and it shares no ELB.
func LocalTraffic(svc *corev1.Service) bool {
	return svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

// nodesWithReadyEndpoint returns the nodes hosting a ready endpoint; an
// unset Ready condition counts as ready (EndpointSlice API semantics).
// maxNodes bounds the size hint: several endpoints usually share a node.
func nodesWithReadyEndpoint(eps []*discoveryv1.EndpointSlice, maxNodes int) map[string]bool {
	n := 0
	for _, s := range eps {
		n += len(s.Endpoints)
	}
	out := make(map[string]bool, min(n, maxNodes))
	for _, s := range eps {
		for _, ep := range s.Endpoints {
			if ep.NodeName == nil || (ep.Conditions.Ready != nil && !*ep.Conditions.Ready) {
				continue
			}
			out[*ep.NodeName] = true
		}
	}
	return out
}

// Skipped is a backend candidate left out because its instance cannot be
// a backend of the ELB: unknown to ENS, or in another region or network.
type Skipped struct {
	InstanceID string
	Why        string
}

// BuildBackends makes one backend entry per needed instance, the way ENS
// keeps them (Port 0: each listener's BackendServerPort routes), weighted as
// needs says. Instances that are not Running are left out silently (they
// come and go); unknown ones and ones outside the ELB's region or network
// are left out and returned, so the rest of the pool is still served.
func BuildBackends(needs map[string]int, instances map[string]cloud.Instance, where Network) ([]cloud.Backend, []Skipped) {
	ids := slices.Sorted(maps.Keys(needs))
	var out []cloud.Backend
	var skipped []Skipped
	for _, id := range ids {
		inst, ok := instances[id]
		switch {
		case !ok:
			skipped = append(skipped, Skipped{id, "ENS knows no such instance"})
		case where.RegionID != "" && inst.RegionID != "" && inst.RegionID != where.RegionID:
			skipped = append(skipped, Skipped{id, fmt.Sprintf("instance is in region %s, the ELB in %s", inst.RegionID, where.RegionID)})
		case where.NetworkID != "" && inst.NetworkID != "" && inst.NetworkID != where.NetworkID:
			skipped = append(skipped, Skipped{id, fmt.Sprintf("instance is in network %s, the ELB in %s", inst.NetworkID, where.NetworkID)})
		case inst.Status != cloud.InstanceRunning:
		default:
			out = append(out, cloud.Backend{ServerID: id, Type: cloud.BackendTypeENS, IP: inst.PrivateIP, Weight: needs[id]})
		}
	}
	return out, skipped
}

// Needs is the weight every backend of one PoolService asks for.
func Needs(ids []string, weight int) map[string]int {
	out := make(map[string]int, len(ids))
	for _, id := range ids {
		out[id] = weight
	}
	return out
}

// MergeNeeds adds one sharer's needs to all. When sharers of a user ELB
// ask different weights for one instance the highest wins: no Service is
// starved of an instance another Service still sends traffic to.
func MergeNeeds(all, one map[string]int) {
	for id, w := range one {
		if have, ok := all[id]; !ok || w > have {
			all[id] = w
		}
	}
}

// SortBackends orders backends by server id, then port.
func SortBackends(b []cloud.Backend) {
	slices.SortFunc(b, CompareBackends)
}

// CompareBackends orders backends by server id, then port.
func CompareBackends(a, b cloud.Backend) int {
	if c := strings.Compare(a.ServerID, b.ServerID); c != 0 {
		return c
	}
	return cmp.Compare(a.Port, b.Port)
}
