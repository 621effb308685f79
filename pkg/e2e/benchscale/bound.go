package benchscale

import (
	"maps"
	"math"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/scale"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// The bounds come from the workload and the documented limits only
// (pkg/e2e/scale: each action's minimal calls at its limit, after the
// emulator's full bucket, plus the round trip and what must follow the
// last call), never from the calls the controller made.

// ConvergeBound is phase 1's: every PoolService from nothing to ready,
// a TCP and a UDP listener each, the pool's nodes behind it.
func ConvergeBound(p Profile) (minimal map[string]int, bound float64, perAction []scale.ActionBound) {
	w := scale.Workload{PoolServices: p.PoolServices(), TCPPorts: 1, UDPPorts: 1, Backends: p.NodesPerPool}
	minimal = scale.MinimalConvergeCalls(w)
	timing := scale.Timing{RoundTrip: p.RTT, Active: ensemulator.RealisticActiveDelay,
		Listener: ensemulator.RealisticListenerTransitionDelay, EIP: ensemulator.RealisticEIPTransitionDelay}
	bound, perAction = scale.Bound(minimal, ensemulator.DefaultRateLimits(), p.RTT, scale.ConvergeTails(timing))
	return minimal, bound, perAction
}

// ENS's page size for the list reads (ens-openapi.md: PageSize ≤ 100).
const pageSize = 100

// MinimalLookCalls are the reads that look at every ELB once, the least a
// resync pass or a restarted manager's first pass needs: one
// DescribeLoadBalancerAttribute per ELB (the only read that shows an ELB's
// backends and listener ports), the EIPs of each region in full pages
// (DescribeEnsEipAddresses by region), and the cluster's instances by id a
// page at a time (DescribeInstances). elbsByRegion counts the ELBs (one EIP
// each) per region.
func MinimalLookCalls(elbsByRegion map[string]int, instances int) map[string]int {
	out := map[string]int{}
	for _, n := range elbsByRegion {
		out["DescribeLoadBalancerAttribute"] += n
		out["DescribeEnsEipAddresses"] += ceilDiv(n, pageSize)
	}
	if instances > 0 {
		out["DescribeInstances"] = ceilDiv(instances, pageSize)
	}
	return out
}

// AdoptBound is the earliest a restarted manager can have looked at every
// ELB under the limits scaled by s: MinimalLookCalls at those limits.
func AdoptBound(elbsByRegion map[string]int, instances int, rtt time.Duration, s float64) (minimal map[string]int, bound float64, perAction []scale.ActionBound) {
	minimal = MinimalLookCalls(elbsByRegion, instances)
	bound, perAction = scale.Bound(minimal, ScaledRateLimits(s), rtt, nil)
	return minimal, bound, perAction
}

// ScaledRateLimits is the emulator's documented table times s, as
// --rate-limit-scale=s makes it.
func ScaledRateLimits(s float64) map[string]ensemulator.RateLimit {
	out := maps.Clone(ensemulator.DefaultRateLimits())
	for a, l := range out {
		out[a] = ensemulator.RateLimit{Account: l.Account * s, User: l.User * s}
	}
	return out
}

// ClientLimits is the --cloud-api-limits value that scales every one of
// the client's documented budgets by s (bursts half a second's worth, as
// the client's own defaults).
func ClientLimits(s float64) string {
	out := map[string]ens.Limit{}
	for a, l := range ens.DocumentedLimits() {
		qps := l.QPS * s
		out[a] = ens.Limit{QPS: qps, Burst: max(1, int(math.Ceil(qps/2)))}
	}
	return ens.FormatAPILimits(out)
}
