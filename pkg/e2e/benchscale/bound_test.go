package benchscale

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestConvergeBound(t *testing.T) {
	p, err := ProfileFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	minimal, bound, per := ConvergeBound(p)
	// 1000 ELBs at 5/s after a bucket of 5: 199 s, then the round trip and
	// the 3 s the last ELB takes to become Active.
	if math.Abs(bound-202.03) > 1e-9 || per[0].Action != "CreateLoadBalancer" {
		t.Errorf("bound = %v (%+v), want 202.03 s by CreateLoadBalancer", bound, per)
	}
	if minimal["CreateLoadBalancer"] != 1000 || minimal["StartLoadBalancerListener"] != 2000 || minimal["AddBackendServers"] != 1000 {
		t.Errorf("minimal = %v", minimal)
	}
}

func TestAdoptBound(t *testing.T) {
	byRegion := map[string]int{"r1": 1000, "r2": 150}
	minimal := MinimalLookCalls(byRegion, 250)
	want := map[string]int{"DescribeLoadBalancerAttribute": 1150, "DescribeEnsEipAddresses": 12, "DescribeInstances": 3}
	if len(minimal) != len(want) {
		t.Fatalf("MinimalLookCalls = %v, want %v", minimal, want)
	}
	for a, n := range want {
		if minimal[a] != n {
			t.Errorf("%s: %d, want %d", a, minimal[a], n)
		}
	}
	// Limits ×10: attribute reads at 100/s after a bucket of 100: 10.5 s and the round trip.
	_, bound, per := AdoptBound(byRegion, 250, 30*time.Millisecond, 10)
	if math.Abs(bound-10.53) > 1e-9 || per[0].Action != "DescribeLoadBalancerAttribute" || per[0].Rate != 100 {
		t.Errorf("bound = %v (%+v), want 10.53 s by DescribeLoadBalancerAttribute at 100/s", bound, per)
	}
}

func TestClientLimits(t *testing.T) {
	got := ClientLimits(10)
	for _, want := range []string{"CreateLoadBalancer=50:25", "DescribeLoadBalancerAttribute=100:50", "DescribeInstances=1000:500", "CreateEipInstance=500:250"} {
		if !strings.Contains(got, want) {
			t.Errorf("ClientLimits(10) = %s, want it to hold %s", got, want)
		}
	}
	if l := ScaledRateLimits(10)["CreateLoadBalancer"]; l.User != 50 || l.Account != 1000 {
		t.Errorf("ScaledRateLimits(10)[CreateLoadBalancer] = %+v, want 1000/50", l)
	}
}
