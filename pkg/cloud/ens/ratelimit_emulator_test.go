package ens_test

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens/enstest"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// TestDocumentedLimitsMatchTheEmulator: the client's table and the
// emulator's are kept apart (neither package imports the other) but must
// say the same: the client's rate is the emulator's per-AccessKey limit
// and its burst half of that, for every action the client calls.
func TestDocumentedLimitsMatchTheEmulator(t *testing.T) {
	client, emu := ens.DocumentedLimits(), ensemulator.DefaultRateLimits()
	for action, l := range client {
		want, ok := emu[action]
		if !ok {
			want = emu[ensemulator.AllActions]
		}
		if l.QPS != want.User || l.Burst != int(math.Ceil(want.User/2)) {
			t.Errorf("%s: client %v, emulator per AccessKey %v", action, l, want.User)
		}
	}
	want := slices.DeleteFunc(ensemulator.Actions(), func(a string) bool { return a == "DescribeEnsRegions" }) // not called
	if diff := cmp.Diff(want, slices.Sorted(maps.Keys(client))); diff != "" {
		t.Errorf("actions with a client budget (-emulator's +client's):\n%s", diff)
	}
}

// limitedEnv is an emulator enforcing limits and a client with the given
// budgets (nil: the documented ones) and no overall cap.
func limitedEnv(t *testing.T, limits map[string]ensemulator.RateLimit, budgets map[string]ens.Limit) (*emulatortest.Env, *ens.Client, *prometheus.Registry) {
	t.Helper()
	env := emulatortest.Start(t, emulatortest.WithConfig(func(c *ensemulator.Config) { c.RateLimits = limits }))
	cfg := enstest.Config(env)
	cfg.APILimits, cfg.QPS, cfg.Burst = budgets, 0, 0
	reg := prometheus.NewRegistry()
	c, err := ens.NewClient(cfg, ens.WithMetricsRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	return env, c, reg
}

// hammer runs workers goroutines per action, each calling it in a loop
// for d, and returns the seconds it took. Errors other than throttling
// and the end of d fail the test.
func hammer(t *testing.T, d time.Duration, workers int, calls map[string]func(context.Context) error) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for action, call := range calls {
		for range workers {
			wg.Go(func() {
				for ctx.Err() == nil {
					err := call(ctx)
					switch {
					case errors.Is(err, context.DeadlineExceeded):
						return // the next turn comes after the end
					case err != nil && !errors.Is(err, cloud.ErrThrottled):
						t.Errorf("%s: %v", action, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	return time.Since(start).Seconds()
}

// metricValue is the value (counter, gauge) of family name for action.
func metricValue(t *testing.T, reg *prometheus.Registry, name, action string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "action" && l.GetValue() == action {
					if m.GetCounter() != nil {
						return m.GetCounter().GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}

const (
	fast = "DescribeInstances" // 100/s per AccessKey
	slow = "DescribeNetworks"  // 10/s (assumed)
)

func listInstances(c *ens.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.ListInstances(ctx, cloud.InstanceFilter{RegionID: region})
		return err
	}
}

func describeNetwork(c *ens.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.DescribeNetwork(ctx, network)
		return err
	}
}

// TestActionsProceedAtTheirOwnRate: against the documented limits, two
// actions called at once each get their own budget, the fast one ten times
// the slow one's, and the client stays within both (no throttling). One
// shared bucket would hold both to the slower budget.
func TestActionsProceedAtTheirOwnRate(t *testing.T) {
	env, c, _ := limitedEnv(t, ensemulator.DefaultRateLimits(), nil)
	secs := hammer(t, 2*time.Second, 4, map[string]func(context.Context) error{fast: listInstances(c), slow: describeNetwork(c)})
	st := env.Emulator.CallStats()
	for _, action := range []string{fast, slow} {
		l := c.APILimit(action)
		allowed := float64(l.Burst) + l.QPS*secs // what the budget allows in that time
		got := st.Calls[action]
		t.Logf("%s: %d calls in %.2fs = %.1f/s after the burst (budget %v: %.0f calls), %d throttled",
			action, got, secs, (float64(got)-float64(l.Burst))/secs, l, allowed, st.Throttled[action])
		if float64(got) < 0.6*allowed {
			t.Errorf("%s: %d calls, want at least 60%% of the %.0f its budget allows", action, got, allowed)
		}
		if n := st.Throttled[action]; float64(n) > 0.02*float64(got)+2 {
			t.Errorf("%s: %d throttled of %d: the client exceeds its budget", action, n, got)
		}
	}
	if st.Calls[fast] < 5*st.Calls[slow] {
		t.Errorf("%s made %d calls, %s %d: the fast action was held to the slow one's pace", fast, st.Calls[fast], slow, st.Calls[slow])
	}
}

// TestThrottlingSlowsOnlyItsAction: the account leaves the slow action
// less than the client's budget (as when other AccessKeys share it), so
// ENS answers Throttling.Api; the client backs that action off and throttles
// far less than a client that kept its pace, while the other action keeps
// its whole budget.
func TestThrottlingSlowsOnlyItsAction(t *testing.T) {
	limits := map[string]ensemulator.RateLimit{slow: {Account: 5}, fast: ensemulator.DefaultRateLimits()[fast]}
	env, c, reg := limitedEnv(t, limits, map[string]ens.Limit{slow: {QPS: 20, Burst: 20}})
	const d = 3 * time.Second
	secs := hammer(t, d, 4, map[string]func(context.Context) error{fast: listInstances(c), slow: describeNetwork(c)})
	st := env.Emulator.CallStats()
	throttles, rate := metricValue(t, reg, "ens_api_throttles_total", slow), metricValue(t, reg, "ens_api_rate_limit_qps", slow)
	// Keeping 20/s against 5/s would have been throttled this often:
	unslowed := 20 + 20*secs - (5 + 5*secs)
	t.Logf("%s: %d calls, %d throttled (%.0f without backing off), client rate now %.2f/s; %s: %d calls in %.2fs = %.1f/s, %d throttled",
		slow, st.Calls[slow], st.Throttled[slow], unslowed, rate, fast, st.Calls[fast], secs, float64(st.Calls[fast])/secs, st.Throttled[fast])
	if st.Throttled[slow] == 0 || throttles != float64(st.Throttled[slow]) {
		t.Errorf("%s: emulator throttled %d, client counted %v; want the same, above 0", slow, st.Throttled[slow], throttles)
	}
	if float64(st.Throttled[slow]) > 0.6*unslowed {
		t.Errorf("%s: throttled %d times, want well below the %.0f of a client that does not back off", slow, st.Throttled[slow], unslowed)
	}
	if rate >= 20 {
		t.Errorf("%s: client rate %v after throttling, want below its budget 20", slow, rate)
	}
	l := c.APILimit(fast)
	if allowed := float64(l.Burst) + l.QPS*secs; float64(st.Calls[fast]) < 0.6*allowed || st.Throttled[fast] != 0 {
		t.Errorf("%s: %d calls (budget allows %.0f), %d throttled: the other action must keep its pace", fast, st.Calls[fast], allowed, st.Throttled[fast])
	}
	if got := metricValue(t, reg, "ens_api_rate_limit_qps", fast); got != l.QPS {
		t.Errorf("%s: client rate %v, want its whole budget %v", fast, got, l.QPS)
	}
}
