package ensemulator_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

func TestThrottlingFault(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	env.Emulator.SetFault("DescribeLoadBalancers", ensemulator.Fault{Rate: 1})
	_, err := c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "Throttling", 400)
	// Other actions are untouched.
	must[*ens.DescribeNetworksResponse](t)(c.DescribeNetworks(ens.CreateDescribeNetworksRequest()))

	env.Emulator.SetFault("DescribeLoadBalancers", ensemulator.Fault{Code: "ServiceUnavailable", Rate: 1})
	_, err = c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "ServiceUnavailable", 503)

	env.Emulator.SetFault(ensemulator.AllActions, ensemulator.Fault{Code: "Throttling.User", Rate: 1})
	_, err = c.DescribeNetworks(ens.CreateDescribeNetworksRequest())
	wantCode(t, err, "Throttling.User", 400)

	env.Emulator.ClearFaults()
	must[*ens.DescribeLoadBalancersResponse](t)(c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest()))
	if got := env.Emulator.Calls(); got["DescribeLoadBalancers"] != 3 || got["DescribeNetworks"] != 2 {
		t.Fatalf("calls = %v", got)
	}
}

func TestFailNextFault(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	env.Emulator.SetFault("CreateEipInstance", ensemulator.Fault{FailNext: 2, Code: "InternalError"})
	req := eipRequest("", "")
	for range 2 {
		_, err := c.CreateEipInstance(req)
		wantCode(t, err, "InternalError", 500)
	}
	if n := len(env.Emulator.Inventory().EIPs); n != 2 {
		t.Fatalf("failed creates made EIPs: %d", n)
	}
	must[*ens.CreateEipInstanceResponse](t)(c.CreateEipInstance(req))
	if n := len(env.Emulator.Inventory().EIPs); n != 3 {
		t.Fatalf("EIPs = %d after the faults ran out", n)
	}
	if f := env.Emulator.Faults()["CreateEipInstance"]; f.FailNext != 0 {
		t.Fatalf("FailNext did not count down: %+v", f)
	}
	if n := env.Emulator.MutatingCalls(); n != 3 {
		t.Fatalf("mutating calls = %d, want 3", n)
	}
}

func TestAppliedFaultActsThenFails(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithFault("CreateLoadBalancer",
		ensemulator.Fault{FailNext: 1, Code: "ServiceUnavailable", Applied: true}))
	c := newClient(t, env)
	req := lbRequest("lost-answer", "retry-me")
	_, err := c.CreateLoadBalancer(req)
	wantCode(t, err, "ServiceUnavailable", 503)
	if n := len(env.Emulator.Inventory().LoadBalancers); n != 3 {
		t.Fatalf("an applied fault must still create the ELB: %d", n)
	}
	id := must[*ens.CreateLoadBalancerResponse](t)(c.CreateLoadBalancer(req)).LoadBalancerId
	if lb := env.Emulator.Inventory().LoadBalancer(id); lb == nil || lb.Name != "lost-answer" || len(env.Emulator.Inventory().LoadBalancers) != 3 {
		t.Fatalf("retry with the token did not find the first ELB (%s)", id)
	}
}

func TestRandomFaultsAreSeeded(t *testing.T) {
	pattern := func() []bool {
		env := emulatortest.Start(t, emulatortest.WithSeed(42),
			emulatortest.WithFault("DescribeNetworks", ensemulator.Fault{Rate: 0.5}))
		c := newClient(t, env)
		var out []bool
		for range 40 {
			_, err := c.DescribeNetworks(ens.CreateDescribeNetworksRequest())
			out = append(out, err != nil)
		}
		return out
	}
	a, b := pattern(), pattern()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different failures:\n%v\n%v", a, b)
	}
	fails := 0
	for _, f := range a {
		if f {
			fails++
		}
	}
	if fails < 8 || fails > 32 {
		t.Fatalf("%d of 40 calls failed at rate 0.5", fails)
	}
}

func TestSeededIDs(t *testing.T) {
	ids := func() (string, string) {
		env := emulatortest.Start(t, emulatortest.WithSeed(7))
		c := newClient(t, env)
		return createHefeiLB(t, c, "a"), createEIP(t, c, hefei, "ab")
	}
	lb1, eip1 := ids()
	lb2, eip2 := ids()
	if lb1 != lb2 || eip1 != eip2 {
		t.Fatalf("seed 7 gave %s/%s then %s/%s", lb1, eip1, lb2, eip2)
	}
}

func TestLatencyFault(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithFault("DescribeNetworks", ensemulator.Fault{Latency: 150 * time.Millisecond}))
	c := newClient(t, env)
	start := time.Now()
	must[*ens.DescribeNetworksResponse](t)(c.DescribeNetworks(ens.CreateDescribeNetworksRequest()))
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("call took %v, want at least the 150ms latency", d)
	}
}

func TestParseFaultFlag(t *testing.T) {
	tests := []struct {
		in     string
		action string
		want   ensemulator.Fault
		bad    bool
	}{
		{in: "CreateLoadBalancer=Throttling:0.25", action: "CreateLoadBalancer", want: ensemulator.Fault{Code: "Throttling", Rate: 0.25}},
		{in: "*=ServiceUnavailable:1,latency=50ms,status=503", action: "*",
			want: ensemulator.Fault{Code: "ServiceUnavailable", Rate: 1, Latency: 50 * time.Millisecond, HTTPStatus: 503}},
		{in: "CreateEipInstance=visibility=5s", action: "CreateEipInstance", want: ensemulator.Fault{Visibility: 5 * time.Second}},
		{in: "AddBackendServers=InternalError:0,failnext=3,applied", action: "AddBackendServers",
			want: ensemulator.Fault{Code: "InternalError", FailNext: 3, Applied: true}},
		{in: "NoEquals", bad: true},
		{in: "X=Throttling:2", bad: true},
		{in: "X=Throttling:abc", bad: true},
		{in: "X=latency=soon", bad: true},
		{in: "X=bogus=1", bad: true},
		{in: "X=status=200", bad: true},
	}
	for _, tc := range tests {
		action, f, err := ensemulator.ParseFaultFlag(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: want an error, got %s %+v", tc.in, action, f)
			}
			continue
		}
		if err != nil || action != tc.action || f != tc.want {
			t.Errorf("%q: got %s %+v %v, want %s %+v", tc.in, action, f, err, tc.action, tc.want)
		}
	}
}

func TestLoadFaultsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faults.yaml")
	doc := "CreateLoadBalancer:\n  code: Throttling.Api\n  rate: 0.1\n  latency: 20ms\n\"*\":\n  failNext: 2\n  visibility: 1m\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ensemulator.LoadFaultsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ensemulator.Fault{
		"CreateLoadBalancer": {Code: "Throttling.Api", Rate: 0.1, Latency: 20 * time.Millisecond},
		"*":                  {FailNext: 2, Visibility: time.Minute},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"X: {rate: 3}", "X: {latency: later}", "X: {unknown: 1}", "[1, 2]"} {
		if _, err := ensemulator.ParseFaults([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	if _, err := ensemulator.LoadFaultsFile(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file: want an error")
	}
}
