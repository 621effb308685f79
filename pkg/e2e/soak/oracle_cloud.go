package soak

import (
	"fmt"
	"slices"
	"strings"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// Backend layouts (Report.BackendForms).
const (
	formPerInstance = "per-instance"
	formPerPort     = "per-port"
)

// checkManaged: exactly one ELB of ours with the name, Active, in the
// pool's region and network, with exactly the Service's listeners and the
// wanted backends; for internet exactly one EIP of ours with the name,
// bound to it, with the annotated bandwidth. It returns the problems, the
// address the PoolService should show, and the ELB id.
func (ix *index) checkManaged(e expectation, forms map[string]int) ([]string, string, string) {
	lbs := ix.ourLBs[e.name]
	if len(lbs) != 1 {
		return []string{fmt.Sprintf("%d ELBs of ours named %s (%s), want 1", len(lbs), e.name, lbIDs(lbs))}, "", ""
	}
	lb := lbs[0]
	var out []string
	if lb.Status != lbStatusActive {
		out = append(out, fmt.Sprintf("ELB %s is %s, want %s", lb.ID, lb.Status, lbStatusActive))
	}
	region, network := e.pool.Annotations[annPoolRegion], e.pool.Annotations[annPoolNetwork]
	if lb.RegionID != region || lb.NetworkID != network {
		out = append(out, fmt.Sprintf("ELB %s in %s/%s, want the pool's %s/%s", lb.ID, lb.RegionID, lb.NetworkID, region, network))
	}
	if got, want := listenerStrings(lb.Listeners, ""), wantListenerStrings(e); !slices.Equal(got, want) {
		out = append(out, fmt.Sprintf("ELB %s listeners %v, want %v", lb.ID, got, want))
	}
	out = append(out, managedBackends(lb, ix.backendInstances(e, lb), e.nodePorts, forms)...)
	if !e.internet {
		return out, lb.Address, lb.ID
	}
	eipProblems, addr := ix.checkEIP(e, lb)
	return append(out, eipProblems...), addr, lb.ID
}

func (ix *index) checkEIP(e expectation, lb *ensemulator.LoadBalancer) ([]string, string) {
	eips := ix.ourEIPs[e.name]
	if len(eips) != 1 {
		return []string{fmt.Sprintf("%d EIPs of ours named %s (%s), want 1", len(eips), e.name, eipIDs(eips))}, ""
	}
	eip := eips[0]
	var out []string
	if eip.InstanceID != lb.ID || eip.Status != eipStatusInUse {
		out = append(out, fmt.Sprintf("EIP %s is %s on %q, want %s on ELB %s", eip.ID, eip.Status, eip.InstanceID, eipStatusInUse, lb.ID))
	}
	if eip.Bandwidth != e.bandwidth {
		out = append(out, fmt.Sprintf("EIP %s bandwidth %d, want %d", eip.ID, eip.Bandwidth, e.bandwidth))
	}
	if eip.RegionID != lb.RegionID {
		out = append(out, fmt.Sprintf("EIP %s in %s, ELB in %s", eip.ID, eip.RegionID, lb.RegionID))
	}
	return out, eip.Address
}

// unusable says why the user ELB a PoolService names cannot serve it (it
// does not exist, or is in another region than the pool), "" when it can.
func (ix *index) unusable(e expectation) string {
	lb := ix.lbByID[e.lbID]
	if lb == nil {
		return "does not exist"
	}
	if region := e.pool.Annotations[annPoolRegion]; lb.RegionID != region {
		return fmt.Sprintf("is in %s, the pool in %s", lb.RegionID, region)
	}
	return ""
}

// checkUser: on the user's ELB, our listeners (Description = the name) are
// exactly the Service's ports, and every wanted instance is a backend
// (others may share the ELB, and instances are not removed for them). The
// address is the EIP the user bound to it, else its own.
func (ix *index) checkUser(e expectation, forms map[string]int) ([]string, string, string) {
	lb := ix.lbByID[e.lbID]
	var out []string
	if got, want := listenerStrings(lb.Listeners, e.name), wantListenerStrings(e); !slices.Equal(got, want) {
		out = append(out, fmt.Sprintf("user ELB %s: our listeners %v, want %v (all: %v)", lb.ID, got, want, listenerStrings(lb.Listeners, "")))
	}
	got := backendPorts(lb.Backends)
	for _, id := range ix.backendInstances(e, lb) {
		form := formOf(got[id], e.nodePorts)
		if form == "" {
			out = append(out, fmt.Sprintf("user ELB %s: instance %s has backend ports %v, want [0] or %v", lb.ID, id, got[id], e.nodePorts))
			continue
		}
		forms[form]++
	}
	addr := lb.Address
	if eip := ix.eipOn[lb.ID]; eip != nil {
		addr = eip.Address
	}
	return out, addr, lb.ID
}

// backendInstances are the wanted nodes' instances that are Running in the
// ELB's region and network, sorted.
func (ix *index) backendInstances(e expectation, lb *ensemulator.LoadBalancer) []string {
	var out []string
	for _, n := range e.nodes {
		inst := ix.instances[instanceOf(n)]
		if inst == nil || inst.Status != instanceRunning || inst.RegionID != lb.RegionID || inst.NetworkID != lb.NetworkID {
			continue
		}
		out = append(out, inst.ID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// managedBackends: the ELB's backends are exactly the wanted instances,
// in either layout; it counts the layout seen.
func managedBackends(lb *ensemulator.LoadBalancer, want []string, nodePorts []int, forms map[string]int) []string {
	got := backendPorts(lb.Backends)
	ids := sortedKeys(got)
	if !slices.Equal(ids, want) {
		return []string{fmt.Sprintf("ELB %s backends %v, want instances %v", lb.ID, describeBackends(got), want)}
	}
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		form := formOf(got[id], nodePorts)
		if form == "" || (form == formPerInstance && len(got[id]) != 1) || (form == formPerPort && !slices.Equal(got[id], nodePorts)) {
			out = append(out, fmt.Sprintf("ELB %s instance %s on ports %v, want [0] or the nodePorts %v", lb.ID, id, got[id], nodePorts))
			continue
		}
		seen[form] = true
	}
	if len(seen) > 1 {
		out = append(out, fmt.Sprintf("ELB %s mixes backend layouts: %v", lb.ID, describeBackends(got)))
	}
	for form := range seen {
		forms[form]++
	}
	return out
}

// formOf names the layout of one instance's backend ports: Port 0 (one
// entry per instance) or every nodePort.
func formOf(ports []int, nodePorts []int) string {
	if slices.Contains(ports, 0) {
		return formPerInstance
	}
	for _, p := range nodePorts {
		if !slices.Contains(ports, p) {
			return ""
		}
	}
	if len(nodePorts) == 0 {
		return ""
	}
	return formPerPort
}

// backendPorts maps each backend instance to its sorted ports.
func backendPorts(bs []ensemulator.Backend) map[string][]int {
	out := map[string][]int{}
	for _, b := range bs {
		out[b.ServerID] = append(out[b.ServerID], b.Port)
	}
	for id := range out {
		slices.Sort(out[id])
	}
	return out
}

func describeBackends(m map[string][]int) string {
	var parts []string
	for _, id := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s:%v", id, m[id]))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// listenerStrings renders listeners as sorted "PROTO:port->backendPort
// desc status"; with owner set, only those whose Description is owner.
func listenerStrings(ls []ensemulator.Listener, owner string) []string {
	var out []string
	for _, l := range ls {
		if owner != "" && l.Description != owner {
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d->%d %q %s", l.Protocol, l.Port, l.BackendServerPort, l.Description, l.Status))
	}
	slices.Sort(out)
	return out
}

func wantListenerStrings(e expectation) []string {
	var out []string
	for _, l := range e.listeners {
		out = append(out, fmt.Sprintf("%s:%d->%d %q %s", l.protocol, l.port, l.nodePort, e.name, listenerStatusRunning))
	}
	slices.Sort(out)
	return out
}
