package scale

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// Workload is the shape of what the benchmark asks for, which alone
// decides the calls any controller must make.
type Workload struct {
	PoolServices int
	TCPPorts     int // listeners per ELB of each protocol
	UDPPorts     int
	Backends     int // instances behind each ELB
}

// Timing is the emulator's: the round trip of every call and how long
// each transition lasts.
type Timing struct {
	RoundTrip, Active, Listener, EIP time.Duration
}

// maxBackendsPerCall is ENS's batch size of Add/RemoveBackendServers
// (ens-openapi.md, "Backends").
const maxBackendsPerCall = 20

// MinimalConvergeCalls are the mutating calls that take the workload from
// nothing to ready, per action (ens-openapi.md): per PoolService one
// CreateLoadBalancer, one Create…Listener and one StartLoadBalancerListener
// per port (listeners are created Stopped), the backends in batches of 20,
// one CreateEipInstance (it takes the name) and one AssociateEnsEipAddress.
// Reads are left out: how few reads suffice is what the resync phase
// measures, and leaving them out keeps this a lower bound.
func MinimalConvergeCalls(w Workload) map[string]int {
	n := w.PoolServices
	calls := map[string]int{
		"CreateLoadBalancer":        n,
		"StartLoadBalancerListener": n * (w.TCPPorts + w.UDPPorts),
		"AddBackendServers":         n * ceilDiv(w.Backends, maxBackendsPerCall),
		"CreateEipInstance":         n,
		"AssociateEnsEipAddress":    n,
	}
	if w.TCPPorts > 0 {
		calls["CreateLoadBalancerTCPListener"] = n * w.TCPPorts
	}
	if w.UDPPorts > 0 {
		calls["CreateLoadBalancerUDPListener"] = n * w.UDPPorts
	}
	return calls
}

// MinimalDeleteCalls release every PoolService's ELB and EIP: unbind the
// EIP (the doc does not say that releasing an ELB frees its EIP, and only
// an Available EIP can be released), then ReleaseInstance for each.
func MinimalDeleteCalls(w Workload) map[string]int {
	return map[string]int{
		"UnAssociateEnsEipAddress": w.PoolServices,
		"ReleaseInstance":          2 * w.PoolServices,
	}
}

// ConvergeTails are what must still happen after an action's last call
// before that PoolService is ready and the cloud settled: the ELB becomes
// Active while its listeners are created and started and its EIP bound; a
// created listener must still be started; a started one or a bound EIP
// must finish its transition.
func ConvergeTails(t Timing) map[string]time.Duration {
	startAfterCreate := t.RoundTrip + t.Listener
	return map[string]time.Duration{
		"CreateLoadBalancer":            max(t.Active, t.RoundTrip+startAfterCreate, t.RoundTrip+t.EIP),
		"CreateLoadBalancerTCPListener": startAfterCreate,
		"CreateLoadBalancerUDPListener": startAfterCreate,
		"StartLoadBalancerListener":     t.Listener,
		"CreateEipInstance":             t.RoundTrip + t.EIP,
		"AssociateEnsEipAddress":        t.EIP,
	}
}

// DeleteTails: an unbound EIP is Unassociating for a while, then released.
func DeleteTails(t Timing) map[string]time.Duration {
	return map[string]time.Duration{"UnAssociateEnsEipAddress": t.EIP + t.RoundTrip}
}

// ActionBound is one action's share of a bound.
type ActionBound struct {
	Action string
	Calls  int
	// Rate is the calls per second one AccessKey may make.
	Rate float64
	// Seconds is the earliest the phase can end because of this action:
	// its calls at Rate after the emulator's full bucket, one round trip,
	// and its tail.
	Seconds float64
}

// Bound is the earliest a phase needing calls can end under limits (the
// emulator's table: one AccessKey is bound by the lower of the per-user and
// per-account figures; its bucket starts full with a second's worth), with
// the round trip and the tails after each action's last call. It is the
// largest of the actions' bounds; the actions are returned slowest first.
func Bound(calls map[string]int, limits map[string]ensemulator.RateLimit, rtt time.Duration, tails map[string]time.Duration) (float64, []ActionBound) {
	var out []ActionBound
	total := 0.0
	for _, action := range slices.Sorted(maps.Keys(calls)) {
		n := calls[action]
		if n == 0 {
			continue
		}
		b := ActionBound{Action: action, Calls: n, Rate: rateOf(limits, action)}
		b.Seconds = (rtt + tails[action]).Seconds()
		if b.Rate > 0 {
			b.Seconds += max(0, float64(n)-max(1, b.Rate)) / b.Rate
		}
		total = max(total, b.Seconds)
		out = append(out, b)
	}
	slices.SortStableFunc(out, func(a, b ActionBound) int { return cmp.Compare(b.Seconds, a.Seconds) })
	return total, out
}

// rateOf is the calls per second one AccessKey may make of action; 0 is
// unlimited.
func rateOf(limits map[string]ensemulator.RateLimit, action string) float64 {
	l, ok := limits[action]
	if !ok {
		l = limits[ensemulator.AllActions]
	}
	switch {
	case l.User > 0 && l.Account > 0:
		return min(l.User, l.Account)
	case l.User > 0:
		return l.User
	default:
		return l.Account
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
