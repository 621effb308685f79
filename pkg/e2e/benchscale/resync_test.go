//go:build benchscale

package benchscale

import (
	"context"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

// phase 2: the first whole resync pass after the converge, cut out by the
// manager's enqueue counter (windows.go). Nothing changed, so every call
// it makes is the cost of looking: reads per PoolService, and writes that
// should not be there.
func (e *env) noopResync(ctx context.Context, r *Report) {
	p := e.p
	n := p.PoolServices()
	e.poll = pollCounter(e.mgr, 50*time.Millisecond)
	if err := e.poll.waitFor(ctx, 0, 10*time.Second); err != nil {
		e.t.Fatal(err)
	}
	e.resetCalls()
	last := NextPassEnd(e.passBase, n, e.poll.last())
	e.logf("resync counter at %d: the no-op pass is enqueues %d-%d (a key every %v)", e.poll.last(), last+1, last+n, p.ResyncGap())
	// The pass after it must have begun for the window to close.
	if err := e.poll.waitFor(ctx, last+n+1, 3*p.ResyncPeriod()+time.Minute); err != nil {
		e.t.Fatal(err)
	}
	from, to := e.poll.boundary(last, p.ResyncGap()), e.poll.boundary(last+n, p.ResyncGap())
	calls := e.proxy.CallsBetween(from, to)
	throttled := e.throttled()

	nr := &r.Noop
	nr.PoolServices = n
	nr.Pass = (last-e.passBase)/n + 1
	nr.Seconds = to.Sub(from).Seconds()
	// The least a pass can read: each ELB once (the regions' EIPs and the
	// nodes' instances in pages).
	nr.Calls = phaseCalls(calls, throttled, e.apiWrites(from, to), MinimalLookCalls(e.elbsByRegion(n), p.Nodes()))
	nr.ReadsPerPoolService = float64(nr.Reads) / float64(n)
	nr.Writes = nr.Mutating + framework.SumCounts(nr.APIWrites)
	read := map[string]bool{}
	for _, c := range calls {
		if framework.IsRead(c.Action) && c.LoadBalancerID != "" {
			read[c.LoadBalancerID] = true
		}
	}
	nr.ELBsRead = len(read)
	e.passEnd = last + n
	e.logf("no-op pass %d (%.1fs): %.2f reads per PoolService %v, %d ELBs read, %d writes", nr.Pass, nr.Seconds,
		nr.ReadsPerPoolService, nr.Calls.Calls, nr.ELBsRead, nr.Writes)
}

// elbsByRegion: each pool is a region with n/pools ELBs.
func (e *env) elbsByRegion(n int) map[string]int {
	out := map[string]int{}
	for pool := range e.p.Pools {
		out[regionID(pool)] = n / e.p.Pools
	}
	return out
}
