package elbmodel

import "github.com/edge-lb/edge-controller-manager/pkg/cloud"

// backendDiff is what diffBackends found, each list in SortBackends order.
type backendDiff struct {
	remove, add, weights []cloud.Backend
}

// diffBackends plans backend changes, one entry per instance. On a managed
// ELB every backend is ours; on a user-managed one only an instance in
// d.Removable (one of this cluster's nodes) that no sharer needs is ever
// removed: an instance we do not know is never touched. Per-port entries
// (an older controller wrote them) of a needed instance are replaced on a
// managed ELB and left alone on a user one.
func diffBackends(d Desired, lb *cloud.LoadBalancer) backendDiff {
	want := make(map[string]cloud.Backend, len(d.Backends))
	for _, b := range d.Backends {
		want[b.ServerID] = b
	}
	var out backendDiff
	have := make(map[string]bool, len(lb.Backends))
	for _, b := range sortedCopy(lb.Backends) {
		w, needed := want[b.ServerID]
		switch {
		case !needed:
			if d.Managed || d.Removable[b.ServerID] { // a nil Removable removes nothing
				out.remove = append(out.remove, b)
			}
		case b.Port != 0:
			if d.Managed {
				out.remove = append(out.remove, b)
			}
		case !have[b.ServerID]:
			have[b.ServerID] = true
			if b.Weight != w.Weight {
				out.weights = append(out.weights, w)
			}
		}
	}
	for _, w := range sortedCopy(d.Backends) {
		if !have[w.ServerID] {
			out.add = append(out.add, w)
		}
	}
	return out
}

func backendAction(t ActionType, b []cloud.Backend) []Action {
	if len(b) == 0 {
		return nil
	}
	return []Action{{Type: t, Backends: b}}
}

// splitReplaced splits removals into those of instances that leave and
// those of instances that are being added again (in the port-0 form).
func splitReplaced(remove, add []cloud.Backend) (gone, replaced []cloud.Backend) {
	adding := make(map[string]bool, len(add))
	for _, b := range add {
		adding[b.ServerID] = true
	}
	for _, b := range remove {
		if adding[b.ServerID] {
			replaced = append(replaced, b)
		} else {
			gone = append(gone, b)
		}
	}
	return gone, replaced
}

// sortedCopy returns the backends sorted without touching the input.
func sortedCopy(b []cloud.Backend) []cloud.Backend {
	out := append([]cloud.Backend(nil), b...)
	SortBackends(out)
	return out
}
