package ens_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/klog/v2/ktesting"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens/enstest"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// pagedInventory holds n ELBs and n EIPs in hefei, n instances in the hefei
// network and one chengdu ELB with n listeners.
func pagedInventory(n int) ensemulator.Inventory {
	inv := ensemulator.DefaultInventory()
	inv.LoadBalancers, inv.EIPs, inv.Instances = nil, nil, manyInstances(n)
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	withListeners := ensemulator.LoadBalancer{ID: "lb-listeners", Name: "listeners", RegionID: "cn-chengdu-telecom-4",
		NetworkID: "n-chengdu", VSwitchID: "vsw-chengdu-1", Spec: "elb.s2.small", Status: "Active", Address: "10.2.0.200", CreateTime: created}
	for i := range n {
		inv.LoadBalancers = append(inv.LoadBalancers, ensemulator.LoadBalancer{ID: fmt.Sprintf("lb-page-%03d", i),
			Name: fmt.Sprintf("page-%03d", i), RegionID: region, NetworkID: network, VSwitchID: vswitch, Spec: "elb.s2.small",
			Status: "Active", Address: fmt.Sprintf("10.1.2.%d", i), CreateTime: created})
		inv.EIPs = append(inv.EIPs, ensemulator.EIP{ID: fmt.Sprintf("eip-page-%03d", i), Name: fmt.Sprintf("page-%03d", i),
			RegionID: region, Address: fmt.Sprintf("47.1.%d.%d", i/200, i%200), Bandwidth: 10, Status: "Available", CreateTime: created})
		withListeners.Listeners = append(withListeners.Listeners, ensemulator.Listener{Port: 1000 + i, Protocol: "TCP",
			BackendServerPort: 30000 + i, Status: "Running", Scheduler: "rr", CreateTime: created})
	}
	inv.LoadBalancers = append(inv.LoadBalancers, withListeners)
	return inv
}

func TestPagination(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 100, 101, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			env, c := start(t, emulatortest.WithInventory(pagedInventory(n)))
			pages := max(1, (n+ens.PageSize-1)/ens.PageSize)
			lbs, err := c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{RegionID: region})
			if err != nil || len(lbs) != n || (n > 0 && lbs[n-1].ID != fmt.Sprintf("lb-page-%03d", n-1)) {
				t.Errorf("ListLoadBalancers: %d items, %v; want %d", len(lbs), err, n)
			}
			eips, err := c.ListEIPs(ctx, cloud.EIPFilter{RegionID: region})
			if err != nil || len(eips) != n {
				t.Errorf("ListEIPs: %d items, %v; want %d", len(eips), err, n)
			}
			listeners, err := c.ListListeners(ctx, "lb-listeners")
			if err != nil || len(listeners) != n || (n > 0 && listeners[n-1].Port != 1000+n-1) {
				t.Errorf("ListListeners: %d items, %v; want %d", len(listeners), err, n)
			}
			instances, err := c.ListInstances(ctx, cloud.InstanceFilter{RegionID: region})
			if err != nil || len(instances) != n {
				t.Errorf("ListInstances: %d items, %v; want %d", len(instances), err, n)
			}
			for action, want := range map[string]int{"DescribeLoadBalancers": pages, "DescribeEnsEipAddresses": pages,
				"DescribeLoadBalancerListeners": pages, "DescribeInstances": pages} {
				if got := env.Emulator.Calls()[action]; got != want {
					t.Errorf("%s calls = %d, want %d", action, got, want)
				}
			}

			// By ids: at most 100 ids a call, each call one page here.
			env.Emulator.ResetCalls()
			var ids []string
			for _, in := range manyInstances(n) {
				ids = append(ids, in.ID)
			}
			byID, err := c.ListInstances(ctx, cloud.InstanceFilter{IDs: ids, RegionID: region})
			if err != nil || len(byID) != n {
				t.Errorf("ListInstances by %d ids: %d items, %v", n, len(byID), err)
			}
			if got := env.Emulator.Calls()["DescribeInstances"]; got != pages {
				t.Errorf("DescribeInstances calls by id = %d, want %d", got, pages)
			}
		})
	}
}

func TestAuthFailures(t *testing.T) {
	ctx := context.Background()
	env := emulatortest.Start(t)
	for name, edit := range map[string]func(*ens.ClientConfig){
		"wrong secret": func(c *ens.ClientConfig) { c.AccessKeySecret = "wrong-secret-value" },
		"wrong key id": func(c *ens.ClientConfig) { c.AccessKeyID = "someone-else" },
	} {
		cfg := enstest.Config(env)
		edit(&cfg)
		c, err := ens.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{})
		if !errors.Is(err, cloud.ErrAuth) || ens.Retryable(err) {
			t.Errorf("%s: %v, want a non-retryable ErrAuth", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "wrong-secret-value") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
	// The emulator's clock is an hour ahead: our timestamps are stale.
	late := emulatortest.Start(t, emulatortest.WithClock(func() time.Time { return time.Now().Add(time.Hour) }))
	_, err := enstest.NewClient(t, late).ListLoadBalancers(ctx, cloud.LoadBalancerFilter{})
	var apiErr *cloud.APIError
	if errors.Is(err, cloud.ErrAuth) || !errors.Is(err, cloud.ErrTransient) || !ens.Retryable(err) ||
		!errors.As(err, &apiErr) || apiErr.Code != "InvalidTimeStamp.Expired" {
		t.Errorf("stale timestamp: %v, want a retryable ErrTransient InvalidTimeStamp.Expired", err)
	}
	if calls := env.Emulator.Calls(); len(calls) != 0 {
		t.Errorf("rejected calls were executed: %v", calls)
	}
}

// userClient is a client of env signing as one of its credentials.
func userClient(t *testing.T, env *emulatortest.Env, id, secret string) *ens.Client {
	t.Helper()
	cfg := enstest.Config(env)
	cfg.AccessKeyID, cfg.AccessKeySecret = id, secret
	c, err := ens.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSeveralAccessKeys: one ENS account has several AccessKeys (RAM
// users); each request is checked against the secret of its own
// AccessKeyId.
func TestSeveralAccessKeys(t *testing.T) {
	ctx := context.Background()
	env := emulatortest.Start(t, emulatortest.WithCredentials(ensemulator.Credential{AccessKeyID: "ak-user", AccessKeySecret: "secret-user"}))
	for _, cred := range env.Credentials {
		lbs, err := userClient(t, env, cred.AccessKeyID, cred.AccessKeySecret).ListLoadBalancers(ctx, cloud.LoadBalancerFilter{})
		if err != nil || len(lbs) != 2 {
			t.Errorf("as %s: %d ELBs, %v; want the 2 seeded", cred.AccessKeyID, len(lbs), err)
		}
	}
	_, err := userClient(t, env, "ak-user", env.AccessKeySecret).ListLoadBalancers(ctx, cloud.LoadBalancerFilter{})
	if !errors.Is(err, cloud.ErrAuth) || ens.Retryable(err) {
		t.Errorf("ak-user signing with another user's secret: %v, want a non-retryable ErrAuth", err)
	}
}

// TestCreatorRecords: the emulator records which AccessKey created and
// released each ELB and EIP, and counts calls per AccessKey, so tests can
// prove the controller never touched what a user made.
func TestCreatorRecords(t *testing.T) {
	ctx := context.Background()
	env := emulatortest.Start(t, emulatortest.WithCredentials(ensemulator.Credential{AccessKeyID: "ak-user", AccessKeySecret: "secret-user"}))
	ctrl := enstest.NewClient(t, env)
	user := userClient(t, env, "ak-user", "secret-user")
	lbID := createLB(t, ctrl, "k8s/svc/ns/pool/cluster")
	eipID, err := user.CreateEIP(ctx, cloud.CreateEIPRequest{Name: "user-eip", RegionID: region, Bandwidth: 10})
	if err != nil {
		t.Fatal(err)
	}
	inv := env.Emulator.Inventory()
	if inv.LoadBalancer(lbID).CreatedBy != env.AccessKeyID || inv.EIP(eipID).CreatedBy != "ak-user" {
		t.Fatalf("CreatedBy: ELB %q, EIP %q", inv.LoadBalancer(lbID).CreatedBy, inv.EIP(eipID).CreatedBy)
	}
	if err := user.ReleaseLoadBalancer(ctx, lbID); err != nil {
		t.Fatal(err)
	}
	if err := ctrl.ReleaseEIP(ctx, eipID); err != nil {
		t.Fatal(err)
	}
	got := env.Emulator.Inventory().Released
	want := []ensemulator.Released{
		{Kind: ensemulator.KindLoadBalancer, ID: lbID, Name: "k8s/svc/ns/pool/cluster", CreatedBy: env.AccessKeyID, ReleasedBy: "ak-user"},
		{Kind: ensemulator.KindEIP, ID: eipID, Name: "user-eip", CreatedBy: "ak-user", ReleasedBy: env.AccessKeyID},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(ensemulator.Released{}, "ReleasedAt")); diff != "" || got[0].ReleasedAt.IsZero() {
		t.Errorf("Released (-want +got):\n%s", diff)
	}
	byKey := env.Emulator.CallsByAccessKey()
	if byKey[env.AccessKeyID].Calls["CreateLoadBalancer"] != 1 || byKey[env.AccessKeyID].MutatingCalls != 2 ||
		byKey["ak-user"].Calls["CreateEipInstance"] != 1 || byKey["ak-user"].MutatingCalls != 2 {
		t.Errorf("CallsByAccessKey = %+v", byKey)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	env, _ := start(t)
	reg := prometheus.NewPedanticRegistry()
	c := enstest.NewClient(t, env, ens.WithMetricsRegisterer(reg))
	for _, tc := range []struct {
		code string
		kind error
	}{
		{"Throttling", cloud.ErrThrottled}, {"Throttling.User", cloud.ErrThrottled}, {"Rejected.Throttling", cloud.ErrThrottled},
		{"ServiceUnavailable", cloud.ErrUnavailable}, {"InternalError", cloud.ErrUnavailable},
		// A gateway that saw a retry's nonce twice: retryable, not ErrAuth.
		{"SignatureNonceUsed", cloud.ErrTransient},
	} {
		env.Emulator.SetFault("DescribeLoadBalancers", ensemulator.Fault{Code: tc.code, FailNext: 1})
		_, err := c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{})
		if !errors.Is(err, tc.kind) || !ens.Retryable(err) || errors.Is(err, cloud.ErrAuth) {
			t.Errorf("fault %s: %v, want retryable %v", tc.code, err, tc.kind)
		}
		if lbs, err := c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{}); err != nil || len(lbs) != 2 {
			t.Errorf("after fault %s cleared: %d ELBs, %v", tc.code, len(lbs), err)
		}
	}
	// A write whose answer is lost after ENS acted: error, but state changed.
	env.Emulator.SetFault("SetLoadBalancerStatus", ensemulator.Fault{Code: "ServiceUnavailable", FailNext: 1, Applied: true})
	if err := c.SetLoadBalancerStatus(ctx, "lb-hefei-existing", cloud.LoadBalancerInActive); !ens.Retryable(err) {
		t.Errorf("applied fault: %v, want retryable", err)
	}
	if s := env.Emulator.Inventory().LoadBalancer("lb-hefei-existing").Status; s != cloud.LoadBalancerInActive {
		t.Errorf("status = %s, want the write applied", s)
	}
	assertCounter(t, reg, "DescribeLoadBalancers", "Throttling", 1)
	assertCounter(t, reg, "DescribeLoadBalancers", "OK", 6)
	assertCounter(t, reg, "SetLoadBalancerStatus", "ServiceUnavailable", 1)
}

// assertCounter checks one ens_api_calls_total series and that the
// duration histogram counted the action.
func assertCounter(t *testing.T, reg *prometheus.Registry, action, code string, want float64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got float64
	var observed uint64
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch {
			case f.GetName() == "ens_api_calls_total" && labels["action"] == action && labels["code"] == code:
				got = m.GetCounter().GetValue()
			case f.GetName() == "ens_api_call_duration_seconds" && labels["action"] == action:
				observed = m.GetHistogram().GetSampleCount()
			}
		}
	}
	if got != want || observed == 0 {
		t.Errorf("ens_api_calls_total{action=%q,code=%q} = %v (histogram count %d), want %v", action, code, got, observed, want)
	}
}

func TestListErrorsStopPaging(t *testing.T) {
	ctx := context.Background()
	env, c := start(t, emulatortest.WithInventory(pagedInventory(150)))
	for action, list := range map[string]func() error{
		"DescribeInstances": func() error {
			_, err := c.ListInstances(ctx, cloud.InstanceFilter{RegionID: region})
			return err
		},
		"DescribeLoadBalancerListeners": func() error { _, err := c.ListListeners(ctx, "lb-listeners"); return err },
		"DescribeLoadBalancers": func() error {
			_, err := c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{})
			return err
		},
		"DescribeEnsEipAddresses": func() error { _, err := c.ListEIPs(ctx, cloud.EIPFilter{}); return err },
	} {
		// The second page fails: the whole list fails, no partial result.
		env.Emulator.ResetCalls()
		if err := list(); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		env.Emulator.ResetCalls()
		env.Emulator.SetFault(action, ensemulator.Fault{Code: "ServiceUnavailable", Rate: 1})
		if err := list(); !errors.Is(err, cloud.ErrUnavailable) {
			t.Errorf("%s failing: %v, want ErrUnavailable", action, err)
		}
		env.Emulator.ClearFaults()
	}
	env.Emulator.SetFault("DescribeInstances", ensemulator.Fault{Code: "Throttling", Rate: 1})
	if _, err := c.ListInstances(ctx, cloud.InstanceFilter{IDs: []string{"i-many-001"}}); !errors.Is(err, cloud.ErrThrottled) {
		t.Errorf("ListInstances by id failing: %v, want ErrThrottled", err)
	}
}

func TestTimeoutIsRetryable(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithFault("DescribeLoadBalancers", ensemulator.Fault{Latency: time.Minute}))
	cfg := enstest.Config(env)
	cfg.Timeout = 100 * time.Millisecond
	c, err := ens.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListLoadBalancers(context.Background(), cloud.LoadBalancerFilter{})
	var te *cloud.TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !ens.Retryable(err) {
		t.Errorf("slow ENS: %v, want a retryable timeout", err)
	}
}

func TestMetricsSharedRegistry(t *testing.T) {
	env := emulatortest.Start(t)
	reg := prometheus.NewPedanticRegistry()
	a := enstest.NewClient(t, env, ens.WithMetricsRegisterer(reg))
	b := enstest.NewClient(t, env, ens.WithMetricsRegisterer(reg))
	for _, c := range []*ens.Client{a, b} {
		if _, err := c.DescribeNetwork(context.Background(), network); err != nil {
			t.Fatal(err)
		}
	}
	assertCounter(t, reg, "DescribeNetworks", "OK", 2)
	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "ens_api_calls_total", Help: "other"}))
	if _, err := ens.NewClient(enstest.Config(env), ens.WithMetricsRegisterer(clash)); err == nil {
		t.Error("a clashing metric was accepted")
	}
	clash = prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "ens_api_call_duration_seconds", Help: "other"}))
	if _, err := ens.NewClient(enstest.Config(env), ens.WithMetricsRegisterer(clash)); err == nil {
		t.Error("a clashing histogram was accepted")
	}
}

// countingLimiter lets everything through and counts the waits.
type countingLimiter struct {
	flowcontrol.RateLimiter
	waits atomic.Int64
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.waits.Add(1)
	return l.RateLimiter.Wait(ctx)
}

func TestRateLimiterPerRequest(t *testing.T) {
	inv := pagedInventory(250)
	env := emulatortest.Start(t, emulatortest.WithInventory(inv))
	limiter := &countingLimiter{RateLimiter: flowcontrol.NewFakeAlwaysRateLimiter()}
	c := enstest.NewClient(t, env, ens.WithRateLimiter(limiter))
	ctx := context.Background()
	if _, err := c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListInstances(ctx, cloud.InstanceFilter{IDs: []string{"i-many-000", "i-many-249"}}); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range env.Emulator.Calls() {
		total += n
	}
	if got := limiter.waits.Load(); got != int64(total) || total != 4 {
		t.Errorf("limiter waits = %d, emulator calls = %d; want one wait per call (4)", got, total)
	}
	// A limiter that never admits: nothing reaches ENS.
	env.Emulator.ResetCalls()
	never := enstest.NewClient(t, env, ens.WithRateLimiter(flowcontrol.NewFakeNeverRateLimiter()))
	_, err := never.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{})
	var te *cloud.TransportError
	if !errors.As(err, &te) || len(env.Emulator.Calls()) != 0 {
		t.Errorf("blocked limiter: %v, calls %v", err, env.Emulator.Calls())
	}
}

func TestRateLimiterFromConfig(t *testing.T) {
	env := emulatortest.Start(t)
	cfg := enstest.Config(env)
	cfg.QPS, cfg.Burst = 0.001, 2 // two calls, then one every 1000 s
	c, err := ens.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 2 {
		if _, err := c.DescribeNetwork(ctx, network); err != nil {
			t.Fatal(err)
		}
	}
	// The token bucket refuses at once when the wait would pass the deadline.
	_, err = c.DescribeNetwork(ctx, network)
	var te *cloud.TransportError
	if !errors.As(err, &te) || !ens.Retryable(err) {
		t.Errorf("third call: %v, want a rate limiter error", err)
	}
	if got := env.Emulator.Calls()["DescribeNetworks"]; got != 2 {
		t.Errorf("DescribeNetworks calls = %d, want the burst of 2", got)
	}
}

func TestHTTPS(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithTLS())
	c := enstest.NewClient(t, env)
	if n, err := c.DescribeNetwork(context.Background(), network); err != nil || n.ID != network {
		t.Fatalf("over TLS: %+v, %v", n, err)
	}
	cfg := enstest.Config(env)
	cfg.InsecureSkipVerify = false
	strict, err := ens.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = strict.DescribeNetwork(context.Background(), network)
	var te *cloud.TransportError
	if !errors.As(err, &te) {
		t.Errorf("self-signed certificate with verification: %v, want a transport error", err)
	}
}

// secretMount lays out a directory like a Kubernetes Secret volume: the
// file is a symlink through ..data, which an update swaps atomically.
type secretMount struct {
	t    *testing.T
	dir  string
	gen  int
	path string
}

func newSecretMount(t *testing.T) *secretMount {
	m := &secretMount{t: t, dir: t.TempDir()}
	m.path = filepath.Join(m.dir, "cloud-config.yaml")
	return m
}

func (m *secretMount) write(content string) {
	m.t.Helper()
	m.gen++
	ts := filepath.Join(m.dir, fmt.Sprintf("..2024_01_01_00_00_%02d", m.gen))
	if err := os.Mkdir(ts, 0o700); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ts, "cloud-config.yaml"), []byte(content), 0o600); err != nil {
		m.t.Fatal(err)
	}
	tmp := filepath.Join(m.dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		m.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(m.dir, "..data")); err != nil {
		m.t.Fatal(err)
	}
	if m.gen == 1 {
		if err := os.Symlink(filepath.Join("..data", "cloud-config.yaml"), m.path); err != nil {
			m.t.Fatal(err)
		}
	}
}

func TestCredentialReload(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	env := emulatortest.Start(t)
	mount := newSecretMount(t)
	fileFor := func(secret string) string {
		return fmt.Sprintf("accessKeyID: %s\naccessKeySecret: %s\nendpoint: %s\nscheme: HTTP\n", env.AccessKeyID, secret, env.Endpoint)
	}
	mount.write(fileFor("old-wrong-secret"))
	cfg, err := ens.LoadConfigFile(mount.path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 1000, 1000
	c, err := ens.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	list := func() error { _, err := c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{}); return err }
	if err := list(); !errors.Is(err, cloud.ErrAuth) {
		t.Fatalf("with the wrong secret: %v, want ErrAuth", err)
	}
	mount.write(fileFor(env.AccessKeySecret)) // the Secret is fixed
	if err := list(); err != nil {
		t.Fatalf("after the Secret update: %v", err)
	}
	mount.write("accessKeyID: [unterminated\n") // a broken update keeps the last good credentials
	if err := list(); err != nil {
		t.Errorf("after a broken update: %v", err)
	}
	mount.write("endpoint: " + env.Endpoint + "\n") // no credentials at all: keep them too
	t.Setenv(ens.EnvAccessKeyID, "")
	t.Setenv(ens.EnvAccessKeySecret, "")
	if err := list(); err != nil {
		t.Errorf("after an update without credentials: %v", err)
	}
	mount.write(fileFor("rotated-away"))
	if err := list(); !errors.Is(err, cloud.ErrAuth) {
		t.Errorf("after rotating to a wrong secret: %v, want ErrAuth", err)
	}
	if err := os.Remove(mount.path); err != nil {
		t.Fatal(err)
	}
	if err := list(); !errors.Is(err, cloud.ErrAuth) {
		t.Errorf("with the file gone: %v, want the last credentials (ErrAuth)", err)
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	env := emulatortest.Start(t)
	const token = "sts-token-must-not-leak"
	cfg := enstest.Config(env)
	cfg.AccessKeySecret, cfg.SecurityToken = "secret-must-not-leak", token
	c, err := ens.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, authErr := c.ListLoadBalancers(context.Background(), cloud.LoadBalancerFilter{})
	env.Server.Close() // now a transport error, whose URL would carry the token
	_, netErr := c.ListLoadBalancers(context.Background(), cloud.LoadBalancerFilter{})
	if !errors.Is(authErr, cloud.ErrAuth) || !ens.Retryable(netErr) {
		t.Fatalf("errors: %v / %v", authErr, netErr)
	}
	for _, err := range []error{authErr, netErr} {
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprint(cfg)} {
			if strings.Contains(s, "secret-must-not-leak") || strings.Contains(s, token) {
				t.Errorf("a secret leaks: %s", s)
			}
		}
	}
}

func TestConcurrentCalls(t *testing.T) {
	env, c := start(t)
	ctx := context.Background()
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			if i%2 == 0 {
				_, err := c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{RegionID: region})
				errs <- err
				return
			}
			errs <- c.SetLoadBalancerStatus(ctx, "lb-chengdu-existing", cloud.LoadBalancerActive)
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	calls := env.Emulator.Calls()
	if calls["DescribeLoadBalancers"] != 8 || calls["SetLoadBalancerStatus"] != 8 {
		t.Errorf("calls = %v, want 8 of each", calls)
	}
}
