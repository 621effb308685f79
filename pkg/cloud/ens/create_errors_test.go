package ens_test

import (
	"context"
	"errors"
	"testing"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// TestCreateErrorsSurfaceTyped checks that a failed create returns a typed,
// retryable error and no id, and that the emulator holds nothing new.
func TestCreateErrorsSurfaceTyped(t *testing.T) {
	env, c := start(t)
	before := env.Emulator.Inventory()
	env.Emulator.SetFault("CreateLoadBalancer", ensemulator.Fault{Code: "Throttling", FailNext: 1})
	env.Emulator.SetFault("CreateEipInstance", ensemulator.Fault{Code: "ServiceUnavailable", FailNext: 1})
	ctx := context.Background()

	id, err := c.CreateLoadBalancer(ctx, cloud.CreateLoadBalancerRequest{
		Name: "k8s/a/b/c/d", RegionID: region, NetworkID: network, VSwitchID: vswitch, Spec: "elb.s2.small", PayType: "PostPaid",
	})
	if id != "" || !errors.Is(err, cloud.ErrThrottled) || !ens.Retryable(err) {
		t.Errorf("CreateLoadBalancer = %q, %v; want no id and a retryable ErrThrottled", id, err)
	}
	alloc, err := c.CreateEIP(ctx, cloud.CreateEIPRequest{Name: "k8s/a/b/c/d", RegionID: region, Bandwidth: 10})
	if alloc != "" || !errors.Is(err, cloud.ErrUnavailable) || !ens.Retryable(err) {
		t.Errorf("CreateEIP = %q, %v; want no id and a retryable ErrUnavailable", alloc, err)
	}
	after := env.Emulator.Inventory()
	if len(after.LoadBalancers) != len(before.LoadBalancers) || len(after.EIPs) != len(before.EIPs) {
		t.Errorf("inventory grew: %d→%d ELBs, %d→%d EIPs", len(before.LoadBalancers), len(after.LoadBalancers), len(before.EIPs), len(after.EIPs))
	}
}
