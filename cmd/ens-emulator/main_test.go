package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
	"github.com/google/go-cmp/cmp"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	faults := filepath.Join(dir, "faults.yaml")
	if err := os.WriteFile(faults, []byte("CreateLoadBalancer: {code: Throttling, rate: 0.5}\nDescribeInstances: {failNext: 1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := parseFlags([]string{"--listen-address=:0", "--seed=9", "--active-delay=3s",
		"--listener-transition-delay=250ms", "--eip-transition-delay=1s", "--faults-file=" + faults,
		"--fault=CreateLoadBalancer=ServiceUnavailable:1", "--fault", "AddBackendServers=latency=10ms",
		"--access-key=ak-user:secret:with:colons", "--access-key", "ak-2:s2", "--client-token-window=90s"})
	if err != nil {
		t.Fatal(err)
	}
	if o.listen != ":0" || o.cfg.Seed != 9 || o.cfg.ActiveDelay != 3*time.Second ||
		o.cfg.ListenerTransitionDelay != 250*time.Millisecond || o.cfg.EIPTransitionDelay != time.Second || o.cfg.AccessKeyID != ensemulator.DefaultAccessKeyID ||
		o.cfg.ClientTokenWindow != 90*time.Second {
		t.Fatalf("options = %+v", o)
	}
	wantCreds := []ensemulator.Credential{{AccessKeyID: "ak-user", AccessKeySecret: "secret:with:colons"}, {AccessKeyID: "ak-2", AccessKeySecret: "s2"}}
	if !slices.Equal(o.cfg.Credentials, wantCreds) || o.cfg.AccessKeySecret != ensemulator.DefaultAccessKeySecret {
		t.Fatalf("credentials = %+v, want the default first and %+v", o.cfg.Credentials, wantCreds)
	}
	want := map[string]ensemulator.Fault{
		"CreateLoadBalancer": {Code: "ServiceUnavailable", Rate: 1}, // the flag wins over the file
		"DescribeInstances":  {FailNext: 1},
		"AddBackendServers":  {Latency: 10 * time.Millisecond},
	}
	if len(o.cfg.Faults) != len(want) {
		t.Fatalf("faults = %+v", o.cfg.Faults)
	}
	for k, f := range want {
		if o.cfg.Faults[k] != f {
			t.Fatalf("fault %s = %+v, want %+v", k, o.cfg.Faults[k], f)
		}
	}
	for _, bad := range [][]string{{"--fault=nope"}, {"--inventory-file=" + filepath.Join(dir, "none")}, {"extra-arg"}, {"--faults-file=" + dir},
		{"--access-key=no-secret"}, {"--access-key=:secret"}, {"--access-key=id:"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
	if o, err := parseFlags(nil); err != nil || o.cfg.ClientTokenWindow != ensemulator.DefaultClientTokenWindow || len(o.cfg.Credentials) != 0 {
		t.Errorf("defaults: %+v, %v", o, err)
	}
}

// syncBuffer is a writer the server goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.String()
}

func TestRunServesAndSavesStateOnShutdown(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	inv := filepath.Join(dir, "inv.yaml")
	if err := os.WriteFile(inv, []byte("regions: [{id: r1}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tlsFlag := range []string{"--tls=false", "--tls=true"} {
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"--listen-address=127.0.0.1:0", "--inventory-file=" + inv, "--state-file=" + state, tlsFlag}, out)
		}()
		url := waitForURL(t, out)
		if tlsFlag == "--tls=false" {
			var got ensemulator.Inventory
			resp, err := http.Get(url + "/admin/inventory")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err := json.Unmarshal(raw, &got); err != nil || len(got.Regions) != 1 || got.Regions[0].ID != "r1" {
				t.Fatalf("inventory = %s (%v)", raw, err)
			}
		} else if !strings.HasPrefix(url, "https://") {
			t.Fatalf("--tls served %s", url)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run: %v", err)
		}
		saved, err := ensemulator.LoadInventoryFile(state)
		if err != nil || len(saved.Regions) != 1 {
			t.Fatalf("state file after shutdown: %+v %v", saved, err)
		}
	}
}

func waitForURL(t *testing.T, out *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s := out.String(); strings.Contains(s, "listening on ") {
			return strings.TrimSpace(s[strings.Index(s, "listening on ")+len("listening on "):])
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the emulator did not start")
	return ""
}

// TestRunAcceptsEveryAccessKey: --access-key credentials reach the server,
// and each signs with its own secret.
func TestRunAcceptsEveryAccessKey(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen-address=127.0.0.1:0", "--access-key=ak-user:secret-user"}, out)
	}()
	endpoint := strings.TrimPrefix(waitForURL(t, out), "http://")
	for _, cred := range [][2]string{{ensemulator.DefaultAccessKeyID, ensemulator.DefaultAccessKeySecret}, {"ak-user", "secret-user"}} {
		c, err := ens.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme("HTTP"),
			credentials.NewAccessKeyCredential(cred[0], cred[1]))
		if err != nil {
			t.Fatal(err)
		}
		c.Domain = endpoint
		if _, err := c.DescribeEnsRegions(ens.CreateDescribeEnsRegionsRequest()); err != nil {
			t.Errorf("signed by %s: %v", cred[0], err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	clash := []string{"--listen-address=127.0.0.1:0", "--access-key=" + ensemulator.DefaultAccessKeyID + ":other"}
	if err := run(context.Background(), clash, io.Discard); err == nil {
		t.Error("a second secret for the default access key was accepted")
	}
}

func TestParseRateLimitFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "limits.yaml")
	if err := os.WriteFile(file, []byte("CreateLoadBalancer: {user: 20}\nDescribeInstances: {account: 50, user: 25}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	documented := ensemulator.DefaultRateLimits()
	withFile := ensemulator.DefaultRateLimits()
	withFile["CreateLoadBalancer"] = ensemulator.RateLimit{Account: 100, User: 20}
	withFile["DescribeInstances"] = ensemulator.RateLimit{Account: 50, User: 25}
	for _, tt := range []struct {
		name   string
		args   []string
		limits map[string]ensemulator.RateLimit
		scale  float64
		rtt    time.Duration
	}{
		{"defaults: documented", nil, documented, 1, 0},
		{"off", []string{"--rate-limits=off"}, nil, 1, 0},
		{"file over documented", []string{"--rate-limits-file=" + file, "--rate-limit-scale=0.25", "--round-trip=30ms"}, withFile, 0.25, 30 * time.Millisecond},
		{"file alone", []string{"--rate-limits=off", "--rate-limits-file=" + file}, map[string]ensemulator.RateLimit{
			"CreateLoadBalancer": {User: 20}, "DescribeInstances": {Account: 50, User: 25}}, 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.limits, o.cfg.RateLimits); diff != "" {
				t.Errorf("RateLimits (-want +got):\n%s", diff)
			}
			if o.cfg.RateLimitScale != tt.scale || o.cfg.RoundTrip != tt.rtt {
				t.Errorf("scale %v, round trip %s; want %v, %s", o.cfg.RateLimitScale, o.cfg.RoundTrip, tt.scale, tt.rtt)
			}
		})
	}
	for _, bad := range [][]string{{"--rate-limits=some"}, {"--rate-limit-scale=0"}, {"--rate-limit-scale=-1"},
		{"--rate-limits-file=" + filepath.Join(dir, "none")}, {"--round-trip=fast"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

// TestRunEnforcesDocumentedLimits: the binary throttles like real ENS by
// default (DescribeEnsRegions: the assumed 10/s per AccessKey) and not with
// --rate-limits=off.
func TestRunEnforcesDocumentedLimits(t *testing.T) {
	for _, tt := range []struct {
		flag      string
		throttles bool
	}{{"--rate-limits=documented", true}, {"--rate-limits=off", false}} {
		t.Run(tt.flag, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := &syncBuffer{}
			done := make(chan error, 1)
			go func() { done <- run(ctx, []string{"--listen-address=127.0.0.1:0", tt.flag}, out) }()
			url := waitForURL(t, out)
			c, err := ens.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme("HTTP"),
				credentials.NewAccessKeyCredential(ensemulator.DefaultAccessKeyID, ensemulator.DefaultAccessKeySecret))
			if err != nil {
				t.Fatal(err)
			}
			c.Domain = strings.TrimPrefix(url, "http://")
			start := time.Now()
			ok, throttled := 0, 0
			for range 30 {
				_, err := c.DescribeEnsRegions(ens.CreateDescribeEnsRegionsRequest())
				var se *sdkerrors.ServerError
				switch {
				case err == nil:
					ok++
				case errors.As(err, &se) && se.ErrorCode() == ensemulator.CodeThrottlingUser && se.HttpStatus() == http.StatusBadRequest:
					throttled++
				default:
					t.Fatalf("DescribeEnsRegions: %v", err)
				}
			}
			elapsed := time.Since(start).Seconds()
			var stats ensemulator.CallStats
			resp, err := http.Get(url + "/admin/calls")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
				t.Fatal(err)
			}
			if tt.throttles {
				// A full bucket of 10, then 10 per second.
				if maxOK := 10 + int(10*elapsed) + 1; ok > maxOK || throttled == 0 || stats.Throttled["DescribeEnsRegions"] != throttled {
					t.Errorf("admitted %d (at most %d), throttled %d (admin: %d) in %.2fs", ok, maxOK, throttled, stats.Throttled["DescribeEnsRegions"], elapsed)
				}
			} else if ok != 30 || len(stats.Throttled) != 0 {
				t.Errorf("admitted %d of 30, throttled %v", ok, stats.Throttled)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run: %v", err)
			}
		})
	}
}
