package ens_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

// TestRequiredParametersSent checks ens-openapi.md: CreateLoadBalancer
// "PayType required, PostPaid only" and CreateEipInstance "InstanceChargeType
// and InternetChargeType required; Bandwidth 5–10000 default 5": requests
// that leave them empty still reach ENS complete.
func TestRequiredParametersSent(t *testing.T) {
	ctx := context.Background()
	env, c := start(t)
	lbID, err := c.CreateLoadBalancer(ctx, cloud.CreateLoadBalancerRequest{Name: "k8s/req/ns/pool/cluster",
		RegionID: region, NetworkID: network, VSwitchID: vswitch, Spec: "elb.s2.small"})
	if err != nil {
		t.Fatal(err)
	}
	eipID, err := c.CreateEIP(ctx, cloud.CreateEIPRequest{Name: "k8s/req/ns/pool/cluster", RegionID: region})
	if err != nil {
		t.Fatal(err)
	}
	inv := env.Emulator.Inventory()
	if lb := inv.LoadBalancer(lbID); lb.PayType != cloud.DefaultPayType {
		t.Errorf("ELB PayType = %q, want %q", lb.PayType, cloud.DefaultPayType)
	}
	if e := inv.EIP(eipID); e.InstanceChargeType != cloud.DefaultEIPInstanceChargeType ||
		e.InternetChargeType != cloud.DefaultEIPInternetChargeType || e.Bandwidth != 5 {
		t.Errorf("EIP = %+v, want the default charge types and 5 Mbit/s", e)
	}
}

// TestRangesAreInvalidInput checks that the documented ranges of
// ens-openapi.md (EIP Bandwidth 5–10000 on create and modify, Isp
// cmcc|unicom|telecom, PayType PostPaid only, LoadBalancerName 1–80 not
// starting with http(s)://, listener Description 1–80, UDP ports 250, 4789,
// 4790 reserved) come back as non-retryable ErrInvalidInput.
func TestRangesAreInvalidInput(t *testing.T) {
	ctx := context.Background()
	env, c := start(t)
	lbReq := cloud.CreateLoadBalancerRequest{Name: "k8s/r/ns/pool/cluster", RegionID: region, NetworkID: network,
		VSwitchID: vswitch, Spec: "elb.s2.small"}
	eipReq := cloud.CreateEIPRequest{Name: "k8s/r/ns/pool/cluster", RegionID: region, Bandwidth: 10}
	before := env.Emulator.Inventory()
	for name, call := range map[string]func() error{
		"EIP bandwidth 4": func() error { r := eipReq; r.Bandwidth = 4; return second(c.CreateEIP(ctx, r)) },
		"EIP bandwidth 10001": func() error {
			r := eipReq
			r.Bandwidth = 10001
			return second(c.CreateEIP(ctx, r))
		},
		"EIP isp":          func() error { r := eipReq; r.ISP = "mobile"; return second(c.CreateEIP(ctx, r)) },
		"modify to 4 Mbit": func() error { return c.ModifyEIPBandwidth(ctx, "eip-hefei-existing", 4) },
		"PrePaid ELB":      func() error { r := lbReq; r.PayType = "PrePaid"; return second(c.CreateLoadBalancer(ctx, r)) },
		"ELB name URL":     func() error { r := lbReq; r.Name = "https://x"; return second(c.CreateLoadBalancer(ctx, r)) },
		"ELB name of 81": func() error {
			r := lbReq
			r.Name = strings.Repeat("n", 81)
			return second(c.CreateLoadBalancer(ctx, r))
		},
		"description of 81": func() error {
			return c.CreateListener(ctx, "lb-hefei-existing", cloud.Listener{Port: 80, Protocol: ens.ProtocolTCP, BackendPort: 30080,
				Description: strings.Repeat("d", 81)})
		},
		"UDP on 4789": func() error {
			return c.CreateListener(ctx, "lb-hefei-existing", cloud.Listener{Port: 4789, Protocol: ens.ProtocolUDP, BackendPort: 30080})
		},
	} {
		if err := call(); !errors.Is(err, cloud.ErrInvalidInput) || ens.Retryable(err) {
			t.Errorf("%s: %v, want a non-retryable ErrInvalidInput", name, err)
		}
	}
	after := env.Emulator.Inventory()
	if len(after.LoadBalancers) != len(before.LoadBalancers) || len(after.EIPs) != len(before.EIPs) ||
		len(after.LoadBalancer("lb-hefei-existing").Listeners) != 0 || after.EIP("eip-hefei-existing").Bandwidth != 10 {
		t.Errorf("refused calls changed the inventory")
	}
}
