package benchscale

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

// Move is one EndpointSlice write of the probe: its endpoint in one pool
// moved, so that pool's ELB should have exactly Want (sorted instance ids).
type Move struct {
	Pool int
	At   time.Time // just before the write was sent
	Want []string
}

// MoveLatency is how long one move took to reach its ELB.
type MoveLatency struct {
	// Answered: until ENS answered the backend call after which the ELB
	// had the move's backends; Received: until that call arrived.
	Answered, Received time.Duration
}

// MoveLatencies follows the backends of each pool's ELB through the
// successful backend calls on it (Add adds, Remove removes by ServerId;
// Set changes weights only), from initial on. A move is reflected by the
// first call that arrived after its write and left the ELB with the
// backends of that move or of a later move of the pool already written
// when the call arrived (a controller may skip a state it never saw). The
// result has one entry per move (ok false: never reflected).
func MoveLatencies(initial map[int][]string, elbOfPool map[int]string, moves []Move, calls []framework.Call) ([]MoveLatency, []bool) {
	poolOfELB := map[string]int{}
	state := map[int]map[string]bool{}
	for pool, elb := range elbOfPool {
		poolOfELB[elb] = pool
		state[pool] = setOf(initial[pool])
	}
	byPool := map[int][]int{} // move indexes of each pool, in write order
	for i, m := range moves {
		byPool[m.Pool] = append(byPool[m.Pool], i)
	}
	for _, idx := range byPool {
		sort.SliceStable(idx, func(a, b int) bool { return moves[idx[a]].At.Before(moves[idx[b]].At) })
	}
	calls = slices.Clone(calls)
	sort.SliceStable(calls, func(a, b int) bool { return calls[a].Answered.Before(calls[b].Answered) })

	out := make([]MoveLatency, len(moves))
	ok := make([]bool, len(moves))
	next := map[int]int{} // per pool: the first move not yet reflected
	for _, c := range calls {
		pool, ours := poolOfELB[c.LoadBalancerID]
		if !ours || !c.OK() || !apply(state[pool], c) {
			continue
		}
		idx := byPool[pool]
		// The latest move of the pool written before c arrived whose
		// backends the ELB now has.
		hit := -1
		for j := next[pool]; j < len(idx) && moves[idx[j]].At.Before(c.Received); j++ {
			if maps.Equal(state[pool], setOf(moves[idx[j]].Want)) {
				hit = j
			}
		}
		for j := next[pool]; j <= hit; j++ {
			m := moves[idx[j]]
			out[idx[j]] = MoveLatency{Answered: c.Answered.Sub(m.At), Received: c.Received.Sub(m.At)}
			ok[idx[j]] = true
		}
		if hit >= 0 {
			next[pool] = hit + 1
		}
	}
	return out, ok
}

// apply changes the backend set as the successful call did; false for a
// call that does not change membership.
func apply(set map[string]bool, c framework.Call) bool {
	var entries []struct{ ServerId string }
	if err := json.Unmarshal([]byte(c.BackendServers), &entries); err != nil {
		return false
	}
	switch c.Action {
	case "AddBackendServers":
		for _, e := range entries {
			set[e.ServerId] = true
		}
	case "RemoveBackendServers":
		for _, e := range entries {
			delete(set, e.ServerId)
		}
	default:
		return false
	}
	return true
}

func setOf(ids []string) map[string]bool {
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}
