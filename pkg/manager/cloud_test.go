package manager

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

func TestNewCloud(t *testing.T) {
	for _, env := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"} {
		t.Setenv(env, "")
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "cloud-config.yaml")
	if err := os.WriteFile(good, []byte("accessKeyID: ak\naccessKeySecret: sk\nregion: cn-hefei-cmcc-2\nendpoint: 127.0.0.1:18443\nscheme: HTTP\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noCreds := filepath.Join(dir, "no-creds.yaml")
	if err := os.WriteFile(noCreds, []byte("region: cn-hefei-cmcc-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	o := NewOptions()
	o.CloudConfig = good
	reg := prometheus.NewRegistry()
	c, err := newCloud(o, reg)
	if err != nil || c == nil {
		t.Fatalf("newCloud = %v, %v", c, err)
	}
	// The client's metrics land in the manager's registry (the hook): the
	// name is taken there.
	if err := reg.Register(prometheus.NewCounter(prometheus.CounterOpts{Name: "ens_api_calls_total"})); err == nil {
		t.Error("ens_api_calls_total is not registered in the manager's registry")
	}

	// The flags build the client's buckets: overrides, "*", the documented rest.
	o.CloudAPILimits = map[string]ens.Limit{"CreateLoadBalancer": {QPS: 3, Burst: 4}}
	c, err = newCloud(o, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	client := c.(*ens.Client)
	for action, want := range map[string]ens.Limit{"CreateLoadBalancer": {QPS: 3, Burst: 4}, "DescribeInstances": {QPS: 100, Burst: 50}, "AddBackendServers": {QPS: 10, Burst: 5}} {
		if got := client.APILimit(action); got != want {
			t.Errorf("%s: %v, want %v", action, got, want)
		}
	}
	o.CloudAPILimits = map[string]ens.Limit{ens.AllActions: {QPS: 1000, Burst: 1000}, "ReleaseInstance": {QPS: 1, Burst: 1}}
	if c, err = newCloud(o, prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	if a, b := c.(*ens.Client).APILimit("CreateLoadBalancer"), c.(*ens.Client).APILimit("ReleaseInstance"); a != (ens.Limit{QPS: 1000, Burst: 1000}) || b != (ens.Limit{QPS: 1, Burst: 1}) {
		t.Errorf("with *: CreateLoadBalancer %v, ReleaseInstance %v", a, b)
	}
	o.CloudAPILimits = nil

	for _, tt := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.yaml"), "--cloud-config"},
		{noCreds, "access key"},
	} {
		o.CloudConfig = tt.path
		if _, err := newCloud(o, prometheus.NewRegistry()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("newCloud(%s) = %v, want error containing %q", filepath.Base(tt.path), err, tt.want)
		}
	}
}

func TestServeHealthEndpoints(t *testing.T) {
	kube, yurt := fakeClients("v1beta2")
	m, err := New(testOptions(t), kube, yurt)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	serve(ctx, &wg, ln, m.healthHandler())
	m.ready.Store(true)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
	}
	cancel()
	wg.Wait()
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}
