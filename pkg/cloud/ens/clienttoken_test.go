package ens_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// clock is a settable emulator clock starting at the real time (the
// client signs with the real time; ENS accepts 15 minutes of skew).
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// TestClientTokenWindow checks ens-openapi.md "States and limits": "A token
// stays valid for about 10 minutes, also after its resource was released: a
// repeat within that time answers with the original id" — so a create
// retried after the first ELB was released gets a dead id, and the caller
// must look it up. Same token with other parameters is refused
// (IdempotentParameterMismatch, a non-retryable ErrConflict); tokens are
// "≤ 64 ASCII chars".
func TestClientTokenWindow(t *testing.T) {
	ctx := context.Background()
	clk := &clock{}
	env, c := start(t, emulatortest.WithClock(clk.Now))
	lbReq := cloud.CreateLoadBalancerRequest{Name: "k8s/tok/ns/pool/cluster", RegionID: region, NetworkID: network,
		VSwitchID: vswitch, Spec: "elb.s2.small", PayType: "PostPaid", ClientToken: "elb-uid-1"}
	eipReq := cloud.CreateEIPRequest{Name: "k8s/tok/ns/pool/cluster", RegionID: region, Bandwidth: 10,
		InternetChargeType: "95BandwidthByMonth", InstanceChargeType: "PostPaid", ClientToken: "eip-uid-1"}
	lbID, err := c.CreateLoadBalancer(ctx, lbReq)
	if err != nil {
		t.Fatal(err)
	}
	eipID, err := c.CreateEIP(ctx, eipReq)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ReleaseLoadBalancer(ctx, lbID); err != nil {
		t.Fatal(err)
	}
	if err := c.ReleaseEIP(ctx, eipID); err != nil {
		t.Fatal(err)
	}

	clk.Advance(9 * time.Minute)
	if again, err := c.CreateLoadBalancer(ctx, lbReq); err != nil || again != lbID {
		t.Errorf("repeat within the window = %q, %v; want the released %q", again, err, lbID)
	}
	if _, err := c.DescribeLoadBalancer(ctx, lbID); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("Describe of the id a repeat answered: %v, want ErrNotFound", err)
	}
	if again, err := c.CreateEIP(ctx, eipReq); err != nil || again != eipID {
		t.Errorf("EIP repeat within the window = %q, %v; want the released %q", again, err, eipID)
	}
	if lbs, err := c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{Name: lbReq.Name}); err != nil || len(lbs) != 0 {
		t.Errorf("ELBs named %s = %+v, %v; want none", lbReq.Name, lbs, err)
	}

	other := lbReq
	other.Spec = "elb.s2.medium"
	if _, err := c.CreateLoadBalancer(ctx, other); !errors.Is(err, cloud.ErrConflict) || ens.Retryable(err) {
		t.Errorf("same token, other spec: %v, want a non-retryable ErrConflict", err)
	}
	long := lbReq
	long.ClientToken = strings.Repeat("x", 65)
	if _, err := c.CreateLoadBalancer(ctx, long); !errors.Is(err, cloud.ErrInvalidInput) {
		t.Errorf("65-character token: %v, want ErrInvalidInput", err)
	}

	clk.Advance(time.Minute + time.Second)
	fresh, err := c.CreateLoadBalancer(ctx, lbReq)
	if err != nil || fresh == lbID || env.Emulator.Inventory().LoadBalancer(fresh) == nil {
		t.Errorf("repeat after the window = %q, %v; want a new ELB", fresh, err)
	}
}
