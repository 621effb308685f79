package scale

import (
	"math"
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

var benchTiming = Timing{RoundTrip: 20 * time.Millisecond, Active: 3 * time.Second, Listener: time.Second, EIP: 2 * time.Second}

func TestMinimalConvergeCalls(t *testing.T) {
	got := MinimalConvergeCalls(Workload{PoolServices: 100, TCPPorts: 1, UDPPorts: 1, Backends: 25})
	want := map[string]int{"CreateLoadBalancer": 100, "CreateLoadBalancerTCPListener": 100, "CreateLoadBalancerUDPListener": 100,
		"StartLoadBalancerListener": 200, "AddBackendServers": 200, "CreateEipInstance": 100, "AssociateEnsEipAddress": 100}
	if len(got) != len(want) {
		t.Fatalf("MinimalConvergeCalls = %v, want %v", got, want)
	}
	for action, n := range want {
		if got[action] != n {
			t.Errorf("%s: %d calls, want %d", action, got[action], n)
		}
	}
}

func TestBound(t *testing.T) {
	limits := ensemulator.DefaultRateLimits()
	for _, tc := range []struct {
		name    string
		w       Workload
		calls   func(Workload) map[string]int
		tails   map[string]time.Duration
		want    float64
		slowest string
	}{
		// 100 creates at 5/s after a bucket of 5: 19 s, then the round
		// trip and the 3 s the last ELB takes to become Active. 200 starts
		// at 10/s: 19 s + RTT + 1 s.
		{"converge 100", Workload{PoolServices: 100, TCPPorts: 1, UDPPorts: 1, Backends: 5}, MinimalConvergeCalls, ConvergeTails(benchTiming), 22.02, "CreateLoadBalancer"},
		// 1000 ELBs: 199 s of creates + 3.02 s; 2000 starts: 199 s + 1.02 s.
		{"converge 1000", Workload{PoolServices: 1000, TCPPorts: 1, UDPPorts: 1, Backends: 5}, MinimalConvergeCalls, ConvergeTails(benchTiming), 202.02, "CreateLoadBalancer"},
		// One PoolService: no rate limit binds, only the chain.
		{"converge 1", Workload{PoolServices: 1, TCPPorts: 1, UDPPorts: 1, Backends: 5}, MinimalConvergeCalls, ConvergeTails(benchTiming), 3.02, "CreateLoadBalancer"},
		// 100 unbinds at 10/s after 10: 9 s + RTT + 2 s + RTT; 200 releases at 50/s: 3 s + RTT.
		{"delete 100", Workload{PoolServices: 100}, MinimalDeleteCalls, DeleteTails(benchTiming), 11.04, "UnAssociateEnsEipAddress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, per := Bound(tc.calls(tc.w), limits, benchTiming.RoundTrip, tc.tails)
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("bound = %v s, want %v s (%+v)", got, tc.want, per)
			}
			if len(per) == 0 || per[0].Action != tc.slowest || per[0].Seconds != got {
				t.Errorf("slowest action = %+v, want %s at %v s", per, tc.slowest, got)
			}
		})
	}
}

func TestRateOf(t *testing.T) {
	limits := map[string]ensemulator.RateLimit{ensemulator.AllActions: {Account: 100, User: 10},
		"CreateLoadBalancer": {Account: 100, User: 5}, "Tight": {Account: 2, User: 10}, "AccountOnly": {Account: 7}}
	for action, want := range map[string]float64{"CreateLoadBalancer": 5, "Other": 10, "Tight": 2, "AccountOnly": 7} {
		if got := rateOf(limits, action); got != want {
			t.Errorf("rateOf(%s) = %v, want %v", action, got, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		in   []time.Duration
		want Latencies
	}{
		{nil, Latencies{}},
		{ms(7), Latencies{N: 1, P50: 7 * time.Millisecond, P99: 7 * time.Millisecond, Max: 7 * time.Millisecond}},
		{ms(40, 10, 30, 20), Latencies{N: 4, P50: 20 * time.Millisecond, P99: 40 * time.Millisecond, Max: 40 * time.Millisecond}},
	} {
		if got := Summarize(tc.in); got != tc.want {
			t.Errorf("Summarize(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
