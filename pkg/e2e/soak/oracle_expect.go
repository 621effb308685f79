package soak

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

// expectation is what one live PoolService of a live Service should have.
type expectation struct {
	ps     *networkv1alpha1.PoolService
	svc    *corev1.Service
	pool   *appsv1beta2.NodePool // nil when the pool is gone
	served served
	// name is the ELB/EIP name and the listener Description.
	name      string
	user      bool
	lbID      string // the user's ELB (user-managed only)
	internet  bool
	bandwidth int
	listeners []wantListener
	nodePorts []int
	// nodes are the pool's nodes that should be backends, before their
	// instances are looked up.
	nodes []*corev1.Node
}

type wantListener struct {
	port     int
	protocol string
	nodePort int
}

// wantsFanOut: a LoadBalancer Service of our class with a selector.
func wantsFanOut(svc *corev1.Service) bool {
	return svc.DeletionTimestamp == nil && svc.Spec.Type == corev1.ServiceTypeLoadBalancer &&
		svc.Spec.LoadBalancerClass != nil && *svc.Spec.LoadBalancerClass == classELB &&
		strings.TrimSpace(svc.Annotations[annSelector]) != ""
}

func isUserManaged(svc *corev1.Service) bool { return svc.Annotations[annManagedByUser] == "true" }

// expectations are the desired states of every live PoolService of a live
// Service that wants them, in namespace/name order.
func (ix *index) expectations() []expectation {
	pss := make([]*networkv1alpha1.PoolService, 0, len(ix.w.PoolServices))
	for i := range ix.w.PoolServices {
		pss = append(pss, &ix.w.PoolServices[i])
	}
	sort.Slice(pss, func(i, j int) bool {
		return pss[i].Namespace+"/"+pss[i].Name < pss[j].Namespace+"/"+pss[j].Name
	})
	var out []expectation
	for _, ps := range pss {
		if ps.DeletionTimestamp != nil {
			continue
		}
		if svc, s := ix.serviceOf(ps); svc != nil && wantsFanOut(svc) {
			out = append(out, ix.expect(ps, svc, s))
		}
	}
	return out
}

func (ix *index) expect(ps *networkv1alpha1.PoolService, svc *corev1.Service, s served) expectation {
	e := expectation{ps: ps, svc: svc, served: s, name: resourceName(svc, s.pool, ix.w.ClusterID),
		user: isUserManaged(svc), internet: svc.Annotations[annAddressType] != "intranet", bandwidth: defaultBandwidth}
	if p := ix.pools[s.pool]; p != nil && p.DeletionTimestamp == nil {
		e.pool = p
	}
	if e.user {
		e.lbID = strings.TrimSpace(ps.Annotations[annLoadBalancerID])
	}
	if v, err := strconv.Atoi(svc.Annotations[annBandwidth]); err == nil {
		e.bandwidth = v
	}
	for _, p := range svc.Spec.Ports {
		proto := strings.ToUpper(string(p.Protocol))
		if proto == "" {
			proto = "TCP"
		}
		e.listeners = append(e.listeners, wantListener{port: int(p.Port), protocol: proto, nodePort: int(p.NodePort)})
		e.nodePorts = append(e.nodePorts, int(p.NodePort))
	}
	slices.Sort(e.nodePorts)
	e.nodePorts = slices.Compact(e.nodePorts)
	e.nodes = ix.backendNodes(svc, s.pool)
	return e
}

// backendNodes: the pool's Ready nodes, not being deleted, matching the
// backend-label selector, and under Local policy only those with a ready
// endpoint of the Service.
func (ix *index) backendNodes(svc *corev1.Service, pool string) []*corev1.Node {
	filter := labels.Everything()
	if v := strings.TrimSpace(svc.Annotations[annBackendLabel]); v != "" {
		sel, err := labels.Parse(v)
		if err != nil {
			return nil // the workload writes only valid values
		}
		filter = sel
	}
	var withEndpoint map[string]bool
	if svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		withEndpoint = ix.readyEndpointNodes(svc)
	}
	var out []*corev1.Node
	for _, n := range ix.nodes[pool] {
		if n.DeletionTimestamp != nil || !nodeReady(n) || !filter.Matches(labels.Set(n.Labels)) {
			continue
		}
		if withEndpoint != nil && !withEndpoint[n.Name] {
			continue
		}
		out = append(out, n)
	}
	return out
}

// readyEndpointNodes are the nodes hosting a ready endpoint of the Service
// (an unset Ready condition means ready).
func (ix *index) readyEndpointNodes(svc *corev1.Service) map[string]bool {
	out := map[string]bool{}
	for _, s := range ix.slices[types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}] {
		for _, ep := range s.Endpoints {
			if ep.NodeName != nil && (ep.Conditions.Ready == nil || *ep.Conditions.Ready) {
				out[*ep.NodeName] = true
			}
		}
	}
	return out
}

// converged compares one expectation with the PoolService and the cloud.
func (ix *index) converged(e expectation, forms map[string]int) []Violation {
	if e.pool == nil {
		return nil // its pool is gone: the fan-out check reports it
	}
	problems := metaProblems(e)
	var ingress, lbID string
	var cloud []string
	switch {
	case e.user && e.lbID == "":
		// Nothing happens until the user names an ELB.
	case e.user && ix.unusable(e) != "":
		// A PoolService never advertises an address it no longer
		// reconciles: no ingress (statusProblems below) and not Ready.
		if conditionStatus(e.ps, conditionReady) == "True" {
			cloud = append(cloud, fmt.Sprintf("condition Ready=True, but its user ELB %s %s", e.lbID, ix.unusable(e)))
		}
	case e.user:
		cloud, ingress, lbID = ix.checkUser(e, forms)
	default:
		cloud, ingress, lbID = ix.checkManaged(e, forms)
	}
	problems = append(problems, cloud...)
	problems = append(problems, statusProblems(e.ps, ingress, lbID)...)
	if len(problems) == 0 {
		return nil
	}
	return []Violation{{Object: fmt.Sprintf("PoolService %s/%s (%s)", e.ps.Namespace, e.ps.Name, e.name),
		Problem: strings.Join(problems, "; ") + conditionsOf(e.ps)}}
}

// conditionsOf is what the PoolService says about itself, for the report.
func conditionsOf(ps *networkv1alpha1.PoolService) string {
	var parts []string
	for _, c := range ps.Status.Conditions {
		msg := c.Message
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		parts = append(parts, fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, msg))
	}
	if len(parts) == 0 {
		return " [no conditions]"
	}
	return " [" + strings.Join(parts, "; ") + "]"
}

// metaProblems: labels and class repaired (for a PoolService whose owner
// references say what it serves).
func metaProblems(e expectation) []string {
	var out []string
	if e.served.fromRefs {
		want := map[string]string{labelPSService: e.served.service, labelPSPool: e.served.pool, labelPSManagedBy: managedByValue}
		for _, k := range sortedKeys(want) {
			if got := e.ps.Labels[k]; got != want[k] {
				out = append(out, fmt.Sprintf("label %s=%q, want %q", k, got, want[k]))
			}
		}
	}
	if c := e.ps.Spec.LoadBalancerClass; c == nil || *c != classELB {
		out = append(out, fmt.Sprintf("spec.loadBalancerClass %v, want %s", derefOr(c, "<nil>"), classELB))
	}
	return out
}

// statusProblems: ingress is exactly wantIP (none when empty), the ELB id
// is aggregated, and Ready is True once there is an address.
func statusProblems(ps *networkv1alpha1.PoolService, wantIP, lbID string) []string {
	var out []string
	got := ingressOf(ps.Status.LoadBalancer.Ingress)
	var want []string
	if wantIP != "" {
		want = []string{wantIP}
	}
	if !slices.Equal(got, want) {
		out = append(out, fmt.Sprintf("status ingress %v, want %v", got, want))
	}
	if lbID != "" && ps.Status.AggregateToAnnotations[annLoadBalancerID] != lbID {
		out = append(out, fmt.Sprintf("status.aggregateToAnnotations[%s]=%q, want %s", annLoadBalancerID,
			ps.Status.AggregateToAnnotations[annLoadBalancerID], lbID))
	}
	if wantIP != "" {
		if s := conditionStatus(ps, conditionReady); s != "True" {
			out = append(out, fmt.Sprintf("condition Ready=%q, want True", s))
		}
	}
	return out
}

func conditionStatus(ps *networkv1alpha1.PoolService, typ string) string {
	for _, c := range ps.Status.Conditions {
		if c.Type == typ {
			return string(c.Status)
		}
	}
	return ""
}

// ingressOf is the sorted, de-duplicated addresses of an ingress list.
func ingressOf(in []corev1.LoadBalancerIngress) []string {
	var out []string
	for _, i := range in {
		out = append(out, cmpOr(i.IP, i.Hostname))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func derefOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}
