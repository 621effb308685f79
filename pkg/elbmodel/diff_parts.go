package elbmodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

type listenerKey struct {
	port     int
	protocol string
}

func keyOf(l ens.Listener) listenerKey {
	return listenerKey{l.Port, strings.ToUpper(l.Protocol)}
}

// listenerDiff is the listener part of a plan, by action type.
type listenerDiff struct {
	del, create, update, start []Action
	wait                       string
}

// diffListeners plans listener changes. A listener is ours when its
// Description is d.Name; others are never touched unless they clash with a
// wanted listener and ForceOverride is set (then they are replaced). ENS
// creates listeners Stopped, so every create is followed by a start in the
// same plan.
func diffListeners(d Desired, actual []ens.Listener) (listenerDiff, error) {
	want := make(map[listenerKey]ens.Listener, len(d.Listeners))
	for _, l := range d.Listeners {
		want[keyOf(l)] = l
	}
	kept := make(map[listenerKey]bool, len(d.Listeners))
	var conflicts, waits []string
	var del, upd, start []Action
	for _, l := range actual {
		w, wanted := want[keyOf(l)]
		switch {
		case l.Description != d.Name:
			if !clashes(l, d.Listeners) {
				continue
			}
			if !d.ForceOverride {
				conflicts = append(conflicts, fmt.Sprintf("%s:%d (description %q)", l.Protocol, l.Port, l.Description))
				continue
			}
			del = append(del, Action{Type: DeleteListener, Listener: l})
		case !wanted || l.BackendPort != w.BackendPort:
			del = append(del, Action{Type: DeleteListener, Listener: l})
		default:
			kept[keyOf(l)] = true
			switch st := strings.ToLower(l.Status); st {
			case "", strings.ToLower(ens.ListenerRunning):
			case strings.ToLower(ens.ListenerStopped):
				start = append(start, Action{Type: StartListener, Listener: w})
			default:
				// ENS refuses to set a listener that is changing state:
				// wait for it to settle, then update it.
				waits = append(waits, fmt.Sprintf("listener %s:%d is %s", l.Protocol, l.Port, l.Status))
				continue
			}
			if !sameAttributes(l, w) {
				upd = append(upd, Action{Type: UpdateListener, Listener: w})
			}
		}
	}
	if len(conflicts) > 0 {
		return listenerDiff{}, &InputError{Reason: apis.EventListenerConflict, Field: "spec.ports",
			Message: fmt.Sprintf("listener(s) %s on the ELB are not this Service's; set %s: \"true\" to take them over",
				strings.Join(conflicts, ", "), apis.AnnotationForceOverrideListeners)}
	}
	var create []Action
	for _, w := range d.Listeners {
		if !kept[keyOf(w)] {
			create = append(create, Action{Type: CreateListener, Listener: w})
			start = append(start, Action{Type: StartListener, Listener: w})
		}
	}
	return listenerDiff{del: del, create: create, update: upd, start: start, wait: strings.Join(waits, "; ")}, nil
}

// clashes reports whether a listener occupies a port a wanted listener
// needs: same port and protocol, or same port with an HTTP(S) listener on
// either side (ENS forbids TCP/UDP next to HTTP/HTTPS on one port).
func clashes(l ens.Listener, wanted []ens.Listener) bool {
	for _, w := range wanted {
		if w.Port != l.Port {
			continue
		}
		if keyOf(w) == keyOf(l) || strings.HasPrefix(strings.ToUpper(l.Protocol), "HTTP") {
			return true
		}
	}
	return false
}

// sameAttributes compares the attributes UpdateListener can set.
func sameAttributes(a, b ens.Listener) bool {
	return a.Scheduler == b.Scheduler &&
		a.PersistenceTimeout == b.PersistenceTimeout &&
		a.EstablishedTimeout == b.EstablishedTimeout &&
		a.HealthyThreshold == b.HealthyThreshold &&
		a.UnhealthyThreshold == b.UnhealthyThreshold &&
		a.HealthCheckInterval == b.HealthCheckInterval &&
		a.HealthCheckConnectTimeout == b.HealthCheckConnectTimeout
}

// backendDiff is what diffBackends found, each list in SortBackends order.
type backendDiff struct {
	remove, add, weights []ens.Backend
}

// diffBackends plans backend changes. A managed ELB's backends are all
// ours; on a user-managed ELB only the backend ports of our listeners are.
//
// ENS sets weights per server, on every port (SetBackendServers has no
// port). So on a user-managed ELB, where a server may also back another
// Service's listeners, a weight change of such a server is a remove and
// re-add of our (server, port) backends: the other Service's weights stay.
//
// d.Backends is sorted; the actual backends are walked alongside it in the
// same order, so no per-backend map is built.
func diffBackends(d Desired, lb *ens.LoadBalancer) backendDiff {
	var ours func(port int) bool
	var shared map[string]bool // servers that also back listeners not ours
	if !d.Managed {
		ports := ourBackendPorts(d, lb.Listeners)
		ours = func(p int) bool { return slices.Contains(ports, p) }
		for _, b := range lb.Backends {
			if !ours(b.Port) {
				if shared == nil {
					shared = map[string]bool{}
				}
				shared[b.ServerID] = true
			}
		}
	}
	want, i := d.Backends, 0
	if sortedOrder(want) != nil { // Build sorts them; others might not
		want = sortedCopy(want)
	}
	order := sortedOrder(lb.Backends)
	var out backendDiff
	for n := range lb.Backends {
		b := &lb.Backends[n]
		if order != nil {
			b = &lb.Backends[order[n]]
		}
		if ours != nil && !ours(b.Port) {
			continue
		}
		for i < len(want) && compareBackends(&want[i], b) < 0 {
			out.add = append(out.add, want[i])
			i++
		}
		if i == len(want) || compareBackends(&want[i], b) > 0 {
			out.remove = append(out.remove, *b)
			continue
		}
		switch w := &want[i]; {
		case w.Weight != b.Weight && shared[b.ServerID]:
			out.remove, out.add = append(out.remove, *b), append(out.add, *w)
		case w.Weight != b.Weight:
			out.weights = append(out.weights, *w)
		}
		i++
	}
	out.add = append(out.add, want[i:]...)
	return out
}

// sortedOrder returns nil when b is in SortBackends order, else the
// indexes of b in that order. Sorting int32 indexes instead of the 64-byte
// backends avoids moving strings (and their write barriers) around.
func sortedOrder(b []ens.Backend) []int32 {
	k := 1
	for k < len(b) && compareBackends(&b[k-1], &b[k]) <= 0 {
		k++
	}
	if k >= len(b) {
		return nil
	}
	order := make([]int32, len(b))
	for k := range order {
		order[k] = int32(k)
	}
	slices.SortFunc(order, func(x, y int32) int { return compareBackends(&b[x], &b[y]) })
	return order
}

// ourBackendPorts are the backend ports of our wanted and existing
// listeners (a handful: a slice beats a map).
func ourBackendPorts(d Desired, actual []ens.Listener) []int {
	ports := backendPorts(d.Listeners)
	for _, l := range actual {
		if l.Description == d.Name && !slices.Contains(ports, l.BackendPort) {
			ports = append(ports, l.BackendPort)
		}
	}
	return ports
}

func backendAction(t ActionType, b []ens.Backend) []Action {
	if len(b) == 0 {
		return nil
	}
	return []Action{{Type: t, Backends: b}}
}

// diffEIP plans the managed EIP: one EIP named d.Name, associated with the
// ELB, with the annotated bandwidth; none at all when intranet.
func diffEIP(d Desired, lbID string, eips []ens.EIP) ([]Action, string) {
	if !d.Managed {
		return nil, ""
	}
	if d.EIP == nil {
		var out []Action
		for _, e := range eips {
			if e.AssociatedInstanceID != "" {
				out = append(out, Action{Type: UnassociateEIP, EIPID: e.AllocationID})
			}
			out = append(out, Action{Type: ReleaseEIP, EIPID: e.AllocationID})
		}
		return out, ""
	}
	e := pickEIP(eips, lbID)
	if e == nil {
		return []Action{{Type: CreateEIP}, {Type: AssociateEIP}}, ""
	}
	var out []Action
	switch {
	case e.AssociatedInstanceID == lbID:
	case e.Status == ens.EIPAvailable:
		out = append(out, Action{Type: AssociateEIP, EIPID: e.AllocationID})
	case e.Status == ens.EIPInUse:
		out = append(out, Action{Type: UnassociateEIP, EIPID: e.AllocationID}, Action{Type: AssociateEIP, EIPID: e.AllocationID})
	default:
		return nil, fmt.Sprintf("EIP %s is %s", e.AllocationID, e.Status)
	}
	if e.Bandwidth != d.EIP.Bandwidth {
		out = append(out, Action{Type: ModifyEIPBandwidth, EIPID: e.AllocationID, Bandwidth: d.EIP.Bandwidth})
	}
	return out, ""
}

// pickEIP prefers the EIP already on the ELB, then an Available one.
func pickEIP(eips []ens.EIP, lbID string) *ens.EIP {
	var best *ens.EIP
	for i := range eips {
		e := &eips[i]
		switch {
		case e.AssociatedInstanceID == lbID:
			return e
		case best == nil, e.Status == ens.EIPAvailable && best.Status != ens.EIPAvailable:
			best = e
		}
	}
	return best
}
