package elbmodel

import (
	"fmt"
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

// diffListeners plans listener changes. A listener is ours when its
// Description is d.Name; others are never touched unless they clash with a
// wanted listener and ForceOverride is set (then they are replaced).
func diffListeners(d Desired, actual []ens.Listener) ([]Action, string, error) {
	want := map[listenerKey]ens.Listener{}
	for _, l := range d.Listeners {
		want[keyOf(l)] = l
	}
	kept := map[listenerKey]bool{}
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
			if !sameAttributes(l, w) {
				upd = append(upd, Action{Type: UpdateListener, Listener: w})
			}
			switch st := strings.ToLower(l.Status); st {
			case "", strings.ToLower(ens.ListenerRunning):
			case strings.ToLower(ens.ListenerStopped):
				start = append(start, Action{Type: StartListener, Listener: w})
			default:
				waits = append(waits, fmt.Sprintf("listener %s:%d is %s", l.Protocol, l.Port, l.Status))
			}
		}
	}
	if len(conflicts) > 0 {
		return nil, "", &InputError{Reason: apis.EventListenerConflict, Field: "spec.ports",
			Message: fmt.Sprintf("listener(s) %s on the ELB are not this Service's; set %s: \"true\" to take them over",
				strings.Join(conflicts, ", "), apis.AnnotationForceOverrideListeners)}
	}
	var create []Action
	for _, w := range d.Listeners {
		if !kept[keyOf(w)] {
			create = append(create, Action{Type: CreateListener, Listener: w})
		}
	}
	out := append(append(append(del, create...), upd...), start...)
	return out, strings.Join(waits, "; "), nil
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

type backendKey struct {
	server string
	port   int
}

// diffBackends plans backend changes. A managed ELB's backends are all
// ours; on a user-managed ELB only the backend ports of our listeners are.
//
// ENS sets weights per server, on every port (SetBackendServers has no
// port). So on a user-managed ELB, where a server may also back another
// Service's listeners, a weight change of such a server is a remove and
// re-add of our (server, port) backends: the other Service's weights stay.
func diffBackends(d Desired, lb *ens.LoadBalancer) []Action {
	ports := map[int]bool{}
	for _, p := range backendPorts(d.Listeners) {
		ports[p] = true
	}
	for _, l := range lb.Listeners {
		if l.Description == d.Name {
			ports[l.BackendPort] = true
		}
	}
	want := map[backendKey]ens.Backend{}
	for _, b := range d.Backends {
		want[backendKey{b.ServerID, b.Port}] = b
	}
	shared := map[string]bool{} // servers that also back listeners not ours
	for _, b := range lb.Backends {
		if !d.Managed && !ports[b.Port] {
			shared[b.ServerID] = true
		}
	}
	have := map[backendKey]bool{}
	var remove, add, weights []ens.Backend
	for _, b := range lb.Backends {
		if !d.Managed && !ports[b.Port] {
			continue
		}
		k := backendKey{b.ServerID, b.Port}
		have[k] = true
		w, ok := want[k]
		switch {
		case !ok:
			remove = append(remove, b)
		case w.Weight != b.Weight && shared[b.ServerID]:
			remove, add = append(remove, b), append(add, w)
		case w.Weight != b.Weight:
			weights = append(weights, w)
		}
	}
	for _, b := range d.Backends {
		if !have[backendKey{b.ServerID, b.Port}] {
			add = append(add, b)
		}
	}
	var out []Action
	for _, x := range []struct {
		t ActionType
		b []ens.Backend
	}{{RemoveBackends, remove}, {AddBackends, add}, {SetBackendWeights, weights}} {
		if len(x.b) > 0 {
			out = append(out, Action{Type: x.t, Backends: sortedCopy(x.b)})
		}
	}
	return out
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
