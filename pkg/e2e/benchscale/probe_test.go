//go:build benchscale

package benchscale

import (
	"context"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/scale"
)

// reflectTimeout bounds the wait for the last moves after the writes end.
const reflectTimeout = 2 * time.Minute

// phase 3: the probe's endpoint moves, one pool at a time in turn, from
// its node to the pool's next, MoveRate times a second for MoveDuration,
// beginning with the resync pass after the no-op one. ENS's backend
// limits (10/s per action) allow exactly this much: a move costs its ELB
// one AddBackendServers and one RemoveBackendServers at least, so moving
// every pool's endpoint at once 5 times a second could never keep up.
func (e *env) moveEndpoints(ctx context.Context, r *Report) {
	p := e.p
	sliceClient := e.kube.DiscoveryV1().EndpointSlices(namespace)
	slice, err := sliceClient.Get(ctx, serviceName(probe)+"-bench", metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	initial := map[int][]string{}
	for pool := range p.Pools {
		initial[pool] = []string{instanceID(pool, 0)}
	}
	e.resetCalls()
	at := make([]int, p.Pools)
	var moves []Move
	start := time.Now()
	gap := time.Duration(float64(time.Second) / p.MoveRate)
	for m := range p.Moves() {
		time.Sleep(time.Until(start.Add(time.Duration(m) * gap)))
		pool := m % p.Pools
		at[pool] = (at[pool] + 1) % p.NodesPerPool
		slice.Endpoints = endpointSlice(probe, probeNodes(at)).Endpoints
		sent := time.Now()
		if slice, err = sliceClient.Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
			e.t.Fatalf("move %d: %v", m, err)
		}
		moves = append(moves, Move{Pool: pool, At: sent, Want: []string{instanceID(pool, at[pool])}})
	}
	writesEnd := time.Now()
	e.logf("%d moves written in %s; waiting for the ELBs", len(moves), since(start))

	var lat []MoveLatency
	var ok []bool
	deadline := time.Now().Add(reflectTimeout)
	for {
		lat, ok = MoveLatencies(initial, e.probeELBs, moves, e.proxy.Calls())
		if !slices.Contains(ok, false) || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	end := time.Now()
	throttled := e.throttled()

	mr := &r.Moves
	mr.Moves, mr.RatePerSecond, mr.DurationSeconds = len(moves), p.MoveRate, writesEnd.Sub(start).Seconds()
	var answered, received []time.Duration
	for i, l := range lat {
		if ok[i] {
			answered, received = append(answered, l.Answered), append(received, l.Received)
		}
	}
	mr.Reflected = len(answered)
	a, rc := scale.Summarize(answered), scale.Summarize(received)
	mr.P50Seconds, mr.P99Seconds, mr.MaxSeconds = a.P50.Seconds(), a.P99.Seconds(), a.Max.Seconds()
	mr.ReceivedP50Seconds, mr.ReceivedP99Seconds = rc.P50.Seconds(), rc.P99.Seconds()
	mr.ResyncEnqueued = e.poll.valueAt(end) - e.poll.valueAt(start)
	mr.Calls = phaseCalls(e.proxy.CallsBetween(start, end), throttled, e.apiWrites(start, end), nil)
	e.logf("moves: %d of %d reflected, p50 %.3fs p99 %.3fs max %.3fs; resync enqueued %d meanwhile", mr.Reflected, mr.Moves,
		mr.P50Seconds, mr.P99Seconds, mr.MaxSeconds, mr.ResyncEnqueued)
	if mr.Reflected != mr.Moves {
		e.t.Errorf("%d of %d endpoint moves never reached their ELB within %v after the last write", mr.Moves-mr.Reflected, mr.Moves, reflectTimeout)
	}

	// The cloud agrees: each probe ELB has exactly its last move's node.
	inv, err := e.emu.Inventory()
	if err != nil {
		e.t.Fatal(err)
	}
	e.probeWant = map[int][]string{}
	for pool, id := range e.probeELBs {
		lb := inv.LoadBalancer(id)
		want := []string{instanceID(pool, at[pool])}
		e.probeWant[pool] = want
		if lb == nil || !equalStrings(backendsOf(lb), want) {
			e.t.Errorf("probe ELB %s of pool %d: %+v, want backends %v", id, pool, lb, want)
		}
	}
}

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }
