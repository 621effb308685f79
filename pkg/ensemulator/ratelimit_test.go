package ensemulator_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
	"github.com/google/go-cmp/cmp"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// startLimited starts an emulator enforcing limits (times scale) over a
// frozen clock, so every bucket refills only when the test moves it.
func startLimited(t *testing.T, limits map[string]ensemulator.RateLimit, scale float64, creds ...ensemulator.Credential) (*emulatortest.Env, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	env := emulatortest.Start(t, emulatortest.WithClock(clk.Now), emulatortest.WithCredentials(creds...),
		emulatortest.WithConfig(func(c *ensemulator.Config) { c.RateLimits, c.RateLimitScale = limits, scale }))
	return env, clk
}

// createLBs calls CreateLoadBalancer n times (token prefix-i) and returns
// how many succeeded; every failure must be code.
func createLBs(t *testing.T, c *ens.Client, prefix string, n int, code string) int {
	t.Helper()
	ok := 0
	for i := range n {
		_, err := c.CreateLoadBalancer(lbRequest(fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("%s-%d", prefix, i)))
		if err == nil {
			ok++
			continue
		}
		wantCode(t, err, code, http.StatusBadRequest)
	}
	return ok
}

func describeLBs(c *ens.Client) error {
	_, err := c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	return err
}

// TestRateLimitsPerAction: each action has its own budget (openapi
// "Documented rate limits": CreateLoadBalancer 5/s per user, the other ELB
// actions 10/s); exhausting one leaves the others alone, and a throttled
// call changes nothing and is counted apart.
func TestRateLimitsPerAction(t *testing.T) {
	env, _ := startLimited(t, ensemulator.DefaultRateLimits(), 0)
	c := newClient(t, env)
	before := len(env.Emulator.Inventory().LoadBalancers)
	if got := createLBs(t, c, "a", 8, ensemulator.CodeThrottlingUser); got != 5 {
		t.Fatalf("CreateLoadBalancer admitted %d of 8 within one instant, want the per-user 5", got)
	}
	for i := range 10 {
		if err := describeLBs(c); err != nil {
			t.Fatalf("DescribeLoadBalancers %d after CreateLoadBalancer was exhausted: %v", i, err)
		}
	}
	wantCode(t, describeLBs(c), ensemulator.CodeThrottlingUser, http.StatusBadRequest)

	inv := env.Emulator.Inventory()
	if got := len(inv.LoadBalancers) - before; got != 5 {
		t.Errorf("%d ELBs created, want 5: a throttled create must create nothing", got)
	}
	if len(inv.ClientTokens) != 5 {
		t.Errorf("%d ClientTokens remembered, want 5: a throttled create must not record its token", len(inv.ClientTokens))
	}
	st := env.Emulator.CallStats()
	wantThrottled := map[string]int{"CreateLoadBalancer": 3, "DescribeLoadBalancers": 1}
	if diff := cmp.Diff(wantThrottled, st.Throttled); diff != "" {
		t.Errorf("Throttled (-want +got):\n%s", diff)
	}
	if st.Calls["CreateLoadBalancer"] != 5 || st.Calls["DescribeLoadBalancers"] != 10 || st.MutatingCalls != 5 {
		t.Errorf("calls = %v, mutating %d; throttled calls must count in neither", st.Calls, st.MutatingCalls)
	}
	if diff := cmp.Diff(wantThrottled, st.ByAccessKey[env.AccessKeyID].Throttled); diff != "" {
		t.Errorf("ByAccessKey throttled (-want +got):\n%s", diff)
	}
}

// TestRateLimitsPerAccessKeyAndAccount: every AccessKey gets the per-user
// budget, and the account's caps what they use together.
func TestRateLimitsPerAccessKeyAndAccount(t *testing.T) {
	keys := []ensemulator.Credential{{AccessKeyID: "ak-2", AccessKeySecret: "s2"}, {AccessKeyID: "ak-3", AccessKeySecret: "s3"}}

	t.Run("documented", func(t *testing.T) {
		env, _ := startLimited(t, ensemulator.DefaultRateLimits(), 0, keys[0])
		a, b := newClient(t, env), newClientWithKeys(t, env, keys[0].AccessKeyID, keys[0].AccessKeySecret)
		if na, nb := createLBs(t, a, "a", 6, ensemulator.CodeThrottlingUser), createLBs(t, b, "b", 6, ensemulator.CodeThrottlingUser); na != 5 || nb != 5 {
			t.Errorf("admitted %d and %d, want the per-user 5 each", na, nb)
		}
		by := env.Emulator.CallsByAccessKey()
		for _, k := range []string{env.AccessKeyID, keys[0].AccessKeyID} {
			if by[k].Calls["CreateLoadBalancer"] != 5 || by[k].Throttled["CreateLoadBalancer"] != 1 {
				t.Errorf("%s: %+v, want 5 calls and 1 throttled", k, by[k])
			}
		}
	})

	t.Run("account caps the sum", func(t *testing.T) {
		limits := map[string]ensemulator.RateLimit{"CreateLoadBalancer": {Account: 7, User: 5}}
		env, clk := startLimited(t, limits, 0, keys...)
		clients := []*ens.Client{newClient(t, env)}
		for _, k := range keys {
			clients = append(clients, newClientWithKeys(t, env, k.AccessKeyID, k.AccessKeySecret))
		}
		got := []int{
			createLBs(t, clients[0], "a", 5, ""),
			createLBs(t, clients[1], "b", 4, ensemulator.CodeThrottlingAPI), // 2 left in the account
			createLBs(t, clients[2], "c", 1, ensemulator.CodeThrottlingAPI),
		}
		if diff := cmp.Diff([]int{5, 2, 0}, got); diff != "" {
			t.Errorf("admitted per key (-want +got):\n%s", diff)
		}
		// Other actions have no limit in this table.
		for range 20 {
			if err := describeLBs(clients[2]); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(time.Second) // the account refills 7, the first key its 5
		if n := createLBs(t, clients[0], "a2", 6, ensemulator.CodeThrottlingUser); n != 5 {
			t.Errorf("after a second the first key got %d, want 5", n)
		}
		if n := createLBs(t, clients[2], "c2", 3, ensemulator.CodeThrottlingAPI); n != 2 {
			t.Errorf("the third key got %d, want the account's 2 left", n)
		}
		if st := env.Emulator.CallStats(); st.Calls["CreateLoadBalancer"] != 14 {
			t.Errorf("CreateLoadBalancer calls = %d, want 2 × the account's 7", st.Calls["CreateLoadBalancer"])
		}
	})
}

// TestRateLimitsRefill: a bucket holds one second's worth and refills
// continuously over the emulator's clock.
func TestRateLimitsRefill(t *testing.T) {
	env, clk := startLimited(t, ensemulator.DefaultRateLimits(), 0)
	c := newClient(t, env)
	if n := createLBs(t, c, "a", 6, ensemulator.CodeThrottlingUser); n != 5 {
		t.Fatalf("admitted %d, want 5", n)
	}
	clk.Advance(100 * time.Millisecond) // half a token
	if n := createLBs(t, c, "b", 1, ensemulator.CodeThrottlingUser); n != 0 {
		t.Errorf("after 100ms: admitted %d, want 0", n)
	}
	clk.Advance(110 * time.Millisecond) // a little over one token
	if n := createLBs(t, c, "c", 2, ensemulator.CodeThrottlingUser); n != 1 {
		t.Errorf("after 210ms: admitted %d, want 1", n)
	}
	clk.Advance(10 * time.Second) // full, not more
	if n := createLBs(t, c, "d", 7, ensemulator.CodeThrottlingUser); n != 5 {
		t.Errorf("after 10s: admitted %d, want the capacity 5", n)
	}
}

// TestRateLimitScale: the scale multiplies every limit.
func TestRateLimitScale(t *testing.T) {
	for _, tt := range []struct {
		scale       float64
		create, lbs int // admitted at once
		refill      time.Duration
	}{
		{scale: 0.4, create: 2, lbs: 4, refill: 510 * time.Millisecond},
		{scale: 3, create: 15, lbs: 30, refill: time.Second/15 + time.Millisecond},
	} {
		t.Run(fmt.Sprint(tt.scale), func(t *testing.T) {
			env, clk := startLimited(t, ensemulator.DefaultRateLimits(), tt.scale)
			c := newClient(t, env)
			if n := createLBs(t, c, "a", tt.create+2, ensemulator.CodeThrottlingUser); n != tt.create {
				t.Errorf("CreateLoadBalancer admitted %d, want %d", n, tt.create)
			}
			lbs := 0
			for range tt.lbs + 2 {
				if describeLBs(c) == nil {
					lbs++
				}
			}
			if lbs != tt.lbs {
				t.Errorf("DescribeLoadBalancers admitted %d, want %d", lbs, tt.lbs)
			}
			clk.Advance(tt.refill)
			if n := createLBs(t, c, "b", 2, ensemulator.CodeThrottlingUser); n != 1 {
				t.Errorf("after %s: admitted %d, want 1", tt.refill, n)
			}
		})
	}
}

// TestRateLimitsOffByDefault: the zero Config enforces nothing.
func TestRateLimitsOffByDefault(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	if n := createLBs(t, c, "a", 20, ""); n != 20 {
		t.Errorf("admitted %d of 20 without limits", n)
	}
	if st := env.Emulator.CallStats(); len(st.Throttled) != 0 {
		t.Errorf("throttled %v", st.Throttled)
	}
}

func TestParseRateLimits(t *testing.T) {
	base := ensemulator.DefaultRateLimits()
	got, err := ensemulator.ParseRateLimits([]byte("CreateLoadBalancer: {user: 20}\nAssociateEnsEipAddress: {account: 40}\n\"*\": {user: 2}\n"), base)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ensemulator.RateLimit{
		"CreateLoadBalancer":     {Account: 100, User: 20}, // the account limit stays documented
		"AssociateEnsEipAddress": {Account: 40, User: 10},  // from the documented default
		ensemulator.AllActions:   {Account: 100, User: 2},
	}
	for action, w := range want {
		if got[action] != w {
			t.Errorf("%s = %+v, want %+v", action, got[action], w)
		}
	}
	if base["CreateLoadBalancer"].User != 5 {
		t.Error("ParseRateLimits changed its base")
	}
	if got, err := ensemulator.ParseRateLimits([]byte(`{"DescribeInstances": {"user": 1}}`), nil); err != nil || len(got) != 1 || got["DescribeInstances"] != (ensemulator.RateLimit{User: 1}) {
		t.Errorf("JSON over nothing = %+v, %v", got, err)
	}
	for _, bad := range []string{"CreateLoadBalancr: {user: 1}", "CreateLoadBalancer: {user: -1}", "CreateLoadBalancer: {qps: 1}", "[1]"} {
		if _, err := ensemulator.ParseRateLimits([]byte(bad), base); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	if _, err := ensemulator.New(ensemulator.Config{RateLimits: base, RateLimitScale: -1}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative scale: %v", err)
	}
}

// TestDefaultRateLimits: the table is the documented one (openapi
// "Documented rate limits") and names only implemented actions.
func TestDefaultRateLimits(t *testing.T) {
	limits := ensemulator.DefaultRateLimits()
	for action, want := range map[string]ensemulator.RateLimit{
		"CreateLoadBalancer":            {Account: 100, User: 5},
		"DescribeLoadBalancerAttribute": {Account: 100, User: 10},
		"CreateLoadBalancerUDPListener": {Account: 100, User: 10},
		"StartLoadBalancerListener":     {Account: 100, User: 10},
		"AddBackendServers":             {Account: 100, User: 10},
		"SetBackendServers":             {Account: 100, User: 10},
		"CreateEipInstance":             {Account: 5000, User: 50},
		"ReleaseInstance":               {Account: 10000, User: 50},
		"DescribeLoadBalancers":         {Account: 100, User: 10}, // per-user assumed
		"DescribeInstances":             {Account: 800, User: 100},
		ensemulator.AllActions:          {Account: 100, User: 10}, // assumed
	} {
		if limits[action] != want {
			t.Errorf("%s = %+v, want %+v", action, limits[action], want)
		}
	}
	for action := range limits {
		if action != ensemulator.AllActions && !slices.Contains(ensemulator.Actions(), action) {
			t.Errorf("limit of %s, which the emulator does not implement", action)
		}
	}
}

// TestRoundTrip: every call takes at least the configured round trip.
func TestRoundTrip(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithConfig(func(c *ensemulator.Config) { c.RoundTrip = 200 * time.Millisecond }))
	c := newClient(t, env)
	start := time.Now()
	if err := describeLBs(c); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("call took %s, want at least the 200ms round trip", d)
	}
}
