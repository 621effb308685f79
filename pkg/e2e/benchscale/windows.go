package benchscale

import "time"

// A resync pass is cut out of the run by the manager's counter of the keys
// the resync enqueued (edge_controller_manager_elb_resync_enqueued_total),
// polled often. The manager starts before the workload exists, so its first
// pass enqueues nothing and every later pass enqueues each of the N
// PoolServices once: pass k (k ≥ 1) is the enqueues base+(k-1)N+1 …
// base+kN. The passes run back to back one key per resync gap, and a key's
// sync is over well within a gap, so the boundary between two passes is
// taken midway between the last enqueue of one and the first of the next.

// CounterSample is one poll of the counter.
type CounterSample struct {
	At    time.Time
	Value int
}

// Reached is when the counter reached v: midway between the last poll below
// v and the first at or above it (false when it has not yet, or the first
// poll was already there).
func Reached(samples []CounterSample, v int) (time.Time, bool) {
	for i, s := range samples {
		if s.Value >= v {
			if i == 0 {
				return time.Time{}, false
			}
			prev := samples[i-1].At
			return prev.Add(s.At.Sub(prev) / 2), true
		}
	}
	return time.Time{}, false
}

// PassBoundary is the moment between the enqueue number last (the end of
// a pass) and last+1 (the start of the next).
func PassBoundary(samples []CounterSample, last int) (time.Time, bool) {
	end, ok1 := Reached(samples, last)
	next, ok2 := Reached(samples, last+1)
	if !ok1 || !ok2 {
		return time.Time{}, false
	}
	return end.Add(next.Sub(end) / 2), true
}

// NextPassEnd is the counter value that ends the last pass begun before the
// counter stood at now: the first whole pass after now starts at the
// enqueue after it. Passes are n keys after base.
func NextPassEnd(base, n, now int) int {
	if now <= base {
		return base
	}
	return base + ceilDiv(now-base, n)*n
}
