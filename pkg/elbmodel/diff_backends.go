package elbmodel

import (
	"fmt"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// backendDiff is what diffBackends found, each list in SortBackends order.
type backendDiff struct {
	remove, add, weights []cloud.Backend
}

// diffBackends plans backend changes, one entry per instance. On a managed
// ELB every backend is ours; on a user-managed one only an instance in
// d.Removable (one of this cluster's nodes, or one our record says we
// added: UserRemovable) that no sharer needs is ever removed: an instance
// we do not know is never touched. Per-port entries (an older controller
// wrote them) of a needed instance are replaced on a managed ELB and left
// alone on a user one.
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

// drainFirst holds back, under connection drain, the removal of backends
// that still take connections: one with weight above 0, or at 0 with no
// drain on record (a new leader does not know when it began), is drained
// now (weight 0: ENS sends it no new connections), and one drained for
// d.Drain is removed. The wait says when the next drain ends. A backend
// needed again meanwhile is not here: its weight is simply restored.
func drainFirst(d Desired, gone []cloud.Backend, now time.Time, since map[string]time.Time) (remove, drain []cloud.Backend, wait *NotNow) {
	if d.Drain == 0 {
		return gone, nil, nil
	}
	var next time.Duration
	for _, b := range gone {
		started, ok := since[b.ServerID]
		left := d.Drain
		switch {
		case b.Weight != 0 || !ok:
			b.Weight = 0
			drain = append(drain, b)
		case now.Sub(started) >= d.Drain:
			remove = append(remove, b)
			continue
		default:
			left = d.Drain - now.Sub(started)
		}
		if next == 0 || left < next {
			next = left
		}
	}
	if next > 0 {
		wait = &NotNow{Why: fmt.Sprintf("%d backend(s) draining, the next removed in %s", len(gone)-len(remove), next.Round(time.Second)), After: next}
	}
	return remove, drain, wait
}
