package ens_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// TestNotFoundKinds checks ens-openapi.md, "Lifecycle rules": "Not found:
// HTTP 400 with LoadBalancerNotFound, InstanceNotFound, EipNotFound (not
// 404)": each code, at 400, Is ErrNotFound and is not retryable.
func TestNotFoundKinds(t *testing.T) {
	ctx := context.Background()
	_, c := start(t)
	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"DescribeLoadBalancer", second(c.DescribeLoadBalancer(ctx, "lb-missing")), "LoadBalancerNotFound"},
		{"ReleaseLoadBalancer", c.ReleaseLoadBalancer(ctx, "lb-missing"), "LoadBalancerNotFound"},
		{"ListListeners", second(c.ListListeners(ctx, "lb-missing")), "LoadBalancerNotFound"},
		{"StartListener", c.StartListener(ctx, "lb-missing", 80, ens.ProtocolTCP), "LoadBalancerNotFound"},
		{"DeleteListener", c.DeleteListener(ctx, "lb-missing", 80, ens.ProtocolTCP), "LoadBalancerNotFound"},
		{"AddBackends of a missing instance", c.AddBackends(ctx, "lb-hefei-existing", []cloud.Backend{{ServerID: "i-missing", Weight: 100}}), "InstanceNotFound"},
		{"AssociateEIP to a missing ELB", c.AssociateEIP(ctx, "eip-chengdu-existing", "lb-missing"), "InstanceNotFound"},
		{"UnassociateEIP", c.UnassociateEIP(ctx, "eip-missing"), "EipNotFound"},
		{"ReleaseEIP", c.ReleaseEIP(ctx, "eip-missing"), "EipNotFound"},
	} {
		var apiErr *cloud.APIError
		if !errors.As(tc.err, &apiErr) || apiErr.Code != tc.code || apiErr.HTTPStatus != 400 ||
			!errors.Is(tc.err, cloud.ErrNotFound) || ens.Retryable(tc.err) {
			t.Errorf("%s: %v, want a non-retryable ErrNotFound %s (400)", tc.name, tc.err, tc.code)
		}
	}
}

// TestListenerStatusCanonical checks ens-openapi.md, Listeners: "Listener
// Status: compare case-insensitively" and "DescribeLoadBalancerListeners
// ... its Status is lower case (running, stopped)": the client hands out the
// Listener* constants from every read.
func TestListenerStatusCanonical(t *testing.T) {
	ctx := context.Background()
	clk := &clock{}
	_, c := start(t, emulatortest.WithClock(clk.Now),
		emulatortest.WithConfig(func(cfg *ensemulator.Config) { cfg.ListenerTransitionDelay = time.Minute }))
	lbID := "lb-hefei-existing"
	if err := c.CreateListener(ctx, lbID, cloud.Listener{Port: 80, Protocol: ens.ProtocolTCP, BackendPort: 30080}); err != nil {
		t.Fatal(err)
	}
	status := func() (list, describe string) {
		t.Helper()
		ls, err := c.ListListeners(ctx, lbID)
		if err != nil || len(ls) != 1 {
			t.Fatalf("ListListeners = %+v, %v", ls, err)
		}
		l, err := c.DescribeListener(ctx, lbID, 80, ens.ProtocolTCP)
		if err != nil {
			t.Fatal(err)
		}
		return ls[0].Status, l.Status
	}
	for _, step := range []struct {
		do   func() error
		want string
	}{
		{func() error { return nil }, cloud.ListenerStopped},
		{func() error { return c.StartListener(ctx, lbID, 80, ens.ProtocolTCP) }, cloud.ListenerStarting},
		{func() error { clk.Advance(time.Minute); return nil }, cloud.ListenerRunning},
		{func() error { return c.StopListener(ctx, lbID, 80, ens.ProtocolTCP) }, cloud.ListenerStopping},
		{func() error { clk.Advance(time.Minute); return nil }, cloud.ListenerStopped},
	} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		if list, describe := status(); list != step.want || describe != step.want {
			t.Fatalf("status: list %q, describe %q; want %q", list, describe, step.want)
		}
	}
}
