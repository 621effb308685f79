package ens

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

func TestParseAPILimits(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values []string
		want   map[string]Limit
	}{
		{"none", nil, map[string]Limit{}},
		{"comma list", []string{"CreateLoadBalancer=5:5,AddBackendServers=10:20"},
			map[string]Limit{"CreateLoadBalancer": {5, 5}, "AddBackendServers": {10, 20}}},
		{"repeated, later wins, burst defaults to half the qps rounded up", []string{"CreateLoadBalancer=5:5", " DescribeInstances=2.5 ,", "CreateLoadBalancer=8"},
			map[string]Limit{"CreateLoadBalancer": {8, 4}, "DescribeInstances": {2.5, 2}}},
		{"every action", []string{"*=50:60"}, map[string]Limit{AllActions: {50, 60}}},
		{"below one per second", []string{"ReleaseInstance=0.5"}, map[string]Limit{"ReleaseInstance": {0.5, 1}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAPILimits(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"CreateLoadBalancer", "=5:5", "CreateLoadBalancer=", "CreateLoadBalancer=x", "CreateLoadBalancer=5:x",
		"CreateLoadBalancer=0", "CreateLoadBalancer=-1:1", "CreateLoadBalancer=5:0", "CreateLoadBalancer=Inf", "CreateLoadBalancer=NaN",
		"CreateLoadBalancers=5:5", "DescribeEnsRegions=1"} {
		if got, err := ParseAPILimits([]string{bad}); err == nil {
			t.Errorf("%q = %v, want an error", bad, got)
		}
	}
	if s := FormatAPILimits(map[string]Limit{"SetBackendServers": {10, 20}, "CreateLoadBalancer": {2.5, 3}}); s != "CreateLoadBalancer=2.5:3,SetBackendServers=10:20" {
		t.Errorf("FormatAPILimits = %q", s)
	}
}

func TestEffectiveLimits(t *testing.T) {
	table, fallback := effectiveLimits(nil)
	if diff := cmp.Diff(DocumentedLimits(), table); diff != "" || fallback != (Limit{10, 5}) {
		t.Errorf("no overrides: fallback %v, table (-documented +got):\n%s", fallback, diff)
	}
	table, fallback = effectiveLimits(map[string]Limit{AllActions: {1000, 2000}, "CreateLoadBalancer": {7, 7}})
	if table["CreateLoadBalancer"] != (Limit{7, 7}) || table["DescribeInstances"] != (Limit{1000, 2000}) || fallback != (Limit{1000, 2000}) {
		t.Errorf("overrides: %v, fallback %v", table, fallback)
	}
	table, _ = effectiveLimits(map[string]Limit{"AddBackendServers": {20, 40}})
	if table["AddBackendServers"] != (Limit{20, 40}) || table["CreateLoadBalancer"] != (Limit{5, 3}) {
		t.Errorf("one override: %v", table)
	}
}

// limitersAt returns limiters over a fake clock with their metrics.
func limitersAt(overrides map[string]Limit) (*actionLimiters, *clocktesting.FakeClock, *metrics) {
	clk := clocktesting.NewFakeClock(time.Unix(1_700_000_000, 0))
	m := newMetrics()
	return newActionLimiters(overrides, clk, m), clk, m
}

// reserveN enters n calls of action now (those without a token stay in
// line) and returns the last one's estimated wait.
func reserveN(l *actionLimiters, action string, n int) time.Duration {
	var d time.Duration
	for range n {
		_, d, _ = l.bucket(action).enter(cloud.PriorityNormal)
	}
	return d
}

// currentRate is b's rate, read under its lock (timers run dispatch).
func (b *bucket) currentRate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate
}

func near(a, b time.Duration) bool { return math.Abs(float64(a-b)) < float64(time.Millisecond) }

// TestThrottleBacksOffOnlyItsAction: over a fake clock, a Throttling
// answer halves its action's rate (once per hold, never below the floor),
// empties its bucket and recovers linearly; other actions keep theirs.
func TestThrottleBacksOffOnlyItsAction(t *testing.T) {
	l, clk, m := limitersAt(map[string]Limit{"SetBackendServers": {10, 10}, "AddBackendServers": {10, 10}})
	const a, b = "AddBackendServers", "SetBackendServers"
	if d := reserveN(l, a, 10); d != 0 {
		t.Fatalf("the 10th call of a burst of 10 waits %s", d)
	}
	if d := reserveN(l, a, 1); !near(d, 100*time.Millisecond) {
		t.Fatalf("the 11th waits %s, want 100ms at 10/s", d)
	}
	l.throttled(a)
	if got := l.bucket(a).currentRate(); got != 5 {
		t.Errorf("rate after a throttle = %v, want 5", got)
	}
	// One call waits in line: the next waits for two tokens at 5/s.
	if d := reserveN(l, a, 1); !near(d, 400*time.Millisecond) {
		t.Errorf("after the throttle the next call waits %s, want 400ms", d)
	}
	if d := reserveN(l, b, 10); d != 0 {
		t.Errorf("the other action's burst waits %s: it must not be slowed", d)
	}
	if got := sample(t, m.throttles, a); got != 1 {
		t.Errorf("ens_api_throttles_total{%s} = %v", a, got)
	}
	if got, other := sample(t, m.qps, a), sample(t, m.throttles, b); got != 5 || other != -1 {
		t.Errorf("qps gauge %v, throttles of the other action %v; want 5 and none", got, other)
	}

	l.throttled(a) // within the hold: answers to calls sent before the halving
	if got := l.bucket(a).currentRate(); got != 5 {
		t.Errorf("a second throttle within %s halved again: %v", backoffHold, got)
	}
	clk.Step(backoffHold)
	l.throttled(a) // 1 s later the rate had climbed to 6; halved to 3
	if got := l.bucket(a).currentRate(); math.Abs(got-3) > 1e-9 {
		t.Errorf("rate after a later throttle = %v, want 3", got)
	}
	for range 20 {
		clk.Step(backoffHold)
		l.throttled(a)
	}
	// A throttle every second: climbing 1/s and halving settles at 1/s.
	if got := l.bucket(a).currentRate(); got < 1 || got > 1.01 {
		t.Errorf("rate after a throttle every second = %v, want about 1", got)
	}
	clk.Step(10 * time.Second) // 1 per second per second: full again
	reserveN(l, a, 1)
	if got := l.bucket(a).currentRate(); got != 10 {
		t.Errorf("rate 10 s after the last throttle = %v, want the limit 10", got)
	}
	if got := l.bucket(b).currentRate(); got != 10 {
		t.Errorf("the other action's rate = %v", got)
	}
}

func TestBackoffFloor(t *testing.T) {
	b := newBucket(Limit{QPS: 10, Burst: 10}, clocktesting.NewFakeClock(time.Unix(0, 0)))
	b.rate = 1
	if got := b.backOff(); got != 10*backoffFloor {
		t.Errorf("halving 1/s = %v, want the floor %v", got, 10*backoffFloor)
	}
}

// sample is the value of c's series for action: a counter's or gauge's
// value, a histogram's count; -1 without that series.
func sample(t *testing.T, c prometheus.Collector, action string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			for _, label := range metric.GetLabel() {
				if label.GetName() != "action" || label.GetValue() != action {
					continue
				}
				switch {
				case metric.GetHistogram() != nil:
					return float64(metric.GetHistogram().GetSampleCount())
				case metric.GetCounter() != nil:
					return metric.GetCounter().GetValue()
				default:
					return metric.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}

// TestRecoveryEarnsTokens: while recovering, tokens accrue at the
// climbing rate, and the burst grows back with it.
func TestRecoveryEarnsTokens(t *testing.T) {
	b := newBucket(Limit{QPS: 10, Burst: 10}, clocktesting.NewFakeClock(time.Unix(0, 0)))
	b.tokens, b.rate = 0, 5
	b.advance(time.Unix(1, 0)) // 5 → 6: 5.5 tokens earned
	if math.Abs(b.tokens-5.5) > 1e-9 || math.Abs(b.rate-6) > 1e-9 {
		t.Errorf("after 1 s: tokens %v rate %v, want 5.5 and 6", b.tokens, b.rate)
	}
	b.tokens, b.rate = 0, 5
	b.advance(time.Unix(11, 0)) // 5 s climbing (37.5), 5 s at 10 (50), capped at the burst
	if b.tokens != 10 || b.rate != 10 {
		t.Errorf("after 10 s: tokens %v rate %v, want the burst 10 and 10", b.tokens, b.rate)
	}
	b.tokens, b.rate = 100, 2.5
	b.advance(time.Unix(11, 1))
	if math.Abs(b.tokens-2.5) > 1e-3 {
		t.Errorf("burst while backed off to a quarter = %v, want 2.5", b.tokens)
	}
}

// TestWaitHonoursContext: a wait past the deadline fails at once, a
// cancelled wait returns, and neither keeps its token.
func TestWaitHonoursContext(t *testing.T) {
	l, clk, m := limitersAt(map[string]Limit{"CreateLoadBalancer": {1, 1}})
	const action = "CreateLoadBalancer"
	if err := l.wait(context.Background(), action); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := l.wait(ctx, action); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a wait of 1 s with 100 ms left = %v, want DeadlineExceeded at once", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.wait(ctx, action) }()
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait = %v", err)
	}
	// Both tokens were given back: the next call waits 1 s, not 3.
	if d := reserveN(l, action, 1); !near(d, time.Second) {
		t.Errorf("next wait %s, want 1s", d)
	}
	if n := sample(t, m.wait, action); n != 1 {
		t.Errorf("waits observed = %v, want 1: only the admitted call", n)
	}
}

// TestWaitWaits: a call over the burst waits for its token on the clock.
func TestWaitWaits(t *testing.T) {
	l, clk, m := limitersAt(map[string]Limit{"DescribeInstances": {4, 1}})
	if err := l.wait(context.Background(), "DescribeInstances"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.wait(context.Background(), "DescribeInstances") }()
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("returned before its token: %v", err)
	default:
	}
	clk.Step(250 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := sample(t, m.wait, "DescribeInstances"); n != 2 {
		t.Errorf("waits observed = %v, want 2", n)
	}
}

// TestUrgentCallsGoFirst: tokens go to the most urgent waiting call, then
// in turn within a priority, however many calls of lower priority wait.
func TestUrgentCallsGoFirst(t *testing.T) {
	l, clk, _ := limitersAt(map[string]Limit{"AddBackendServers": {1, 1}})
	const action = "AddBackendServers"
	if err := l.wait(context.Background(), action); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 8)
	start := func(name string, p cloud.Priority) {
		go func() {
			if err := l.wait(cloud.WithPriority(context.Background(), p), action); err != nil {
				t.Error(err)
			}
			order <- name
		}()
	}
	waiting := func() int {
		b := l.bucket(action)
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.waiting
	}
	calls := []struct {
		name string
		p    cloud.Priority
	}{
		{"resync-1", cloud.PriorityBackground}, {"resync-2", cloud.PriorityBackground},
		{"new-1", cloud.PriorityNormal}, {"urgent-1", cloud.PriorityUrgent}, {"urgent-2", cloud.PriorityUrgent},
	}
	for i, c := range calls {
		start(c.name, c.p) // one at a time: their order in line is known
		for waiting() != i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	var got []string
	for range 5 {
		// The bucket arms its timer for the next token after a grant, on a
		// goroutine of its own: step the clock only once it is armed.
		for !clk.HasWaiters() {
			time.Sleep(time.Millisecond)
		}
		clk.Step(time.Second)
		got = append(got, <-order)
	}
	want := []string{"urgent-1", "urgent-2", "new-1", "resync-1", "resync-2"}
	if !slices.Equal(got, want) {
		t.Errorf("granted in order %v, want %v", got, want)
	}
}
