package ensemulator_test

import (
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// TestCreateEipInstanceRanges checks ens-openapi.md, EIP: "CreateEipInstance
// InstanceChargeType and InternetChargeType required; Bandwidth 5–10000
// default 5; Isp cmcc|unicom|telecom", and Name 2–128, Description 2–256.
func TestCreateEipInstanceRanges(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	tests := []struct {
		name string
		edit func(*ens.CreateEipInstanceRequest)
		code string // "" accepts
	}{
		{"bandwidth 5", func(r *ens.CreateEipInstanceRequest) { r.Bandwidth = "5" }, ""},
		{"bandwidth 10000", func(r *ens.CreateEipInstanceRequest) { r.Bandwidth = "10000" }, ""},
		{"bandwidth 4", func(r *ens.CreateEipInstanceRequest) { r.Bandwidth = "4" }, "InvalidParameter.Bandwidth"},
		{"bandwidth 10001", func(r *ens.CreateEipInstanceRequest) { r.Bandwidth = "10001" }, "InvalidParameter.Bandwidth"},
		{"isp telecom", func(r *ens.CreateEipInstanceRequest) { r.Isp = "telecom" }, ""},
		{"isp unicom", func(r *ens.CreateEipInstanceRequest) { r.Isp = "unicom" }, ""},
		{"isp unknown", func(r *ens.CreateEipInstanceRequest) { r.Isp = "chinanet" }, "InvalidParameter.Isp"},
		{"no instance charge type", func(r *ens.CreateEipInstanceRequest) { r.InstanceChargeType = "" }, "MissingParameter"},
		{"no internet charge type", func(r *ens.CreateEipInstanceRequest) { r.InternetChargeType = "" }, "MissingParameter"},
		{"name of 2", func(r *ens.CreateEipInstanceRequest) { r.Name = "ab" }, ""},
		{"name of 128", func(r *ens.CreateEipInstanceRequest) { r.Name = strings.Repeat("n", 128) }, ""},
		{"name of 1", func(r *ens.CreateEipInstanceRequest) { r.Name = "a" }, "InvalidParameter.Name"},
		{"name of 129", func(r *ens.CreateEipInstanceRequest) { r.Name = strings.Repeat("n", 129) }, "InvalidParameter.Name"},
		{"description of 256", func(r *ens.CreateEipInstanceRequest) { r.Description = strings.Repeat("d", 256) }, ""},
		{"description of 1", func(r *ens.CreateEipInstanceRequest) { r.Description = "d" }, "InvalidParameter.Description"},
		{"description of 257", func(r *ens.CreateEipInstanceRequest) { r.Description = strings.Repeat("d", 257) }, "InvalidParameter.Description"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := eipRequest("ranges", "")
			tc.edit(req)
			before := len(env.Emulator.Inventory().EIPs)
			resp, err := c.CreateEipInstance(req)
			after := env.Emulator.Inventory()
			if tc.code != "" {
				wantCode(t, err, tc.code, 400)
				if len(after.EIPs) != before {
					t.Fatalf("a refused create changed the EIPs %d -> %d", before, len(after.EIPs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e := after.EIP(resp.AllocationId); e == nil || e.Isp != req.Isp || e.Name != req.Name {
				t.Fatalf("created EIP = %+v", e)
			}
		})
	}
	req := eipRequest("default-bandwidth", "")
	req.Bandwidth = ""
	id := must[*ens.CreateEipInstanceResponse](t)(c.CreateEipInstance(req)).AllocationId
	if e := env.Emulator.Inventory().EIP(id); e.Bandwidth != 5 || e.InstanceChargeType != "PostPaid" || e.InternetChargeType != "95BandwidthByMonth" {
		t.Fatalf("EIP without Bandwidth = %+v, want 5 Mbit/s and the given charge types", e)
	}
}

// TestModifyEipRanges checks ens-openapi.md, EIP:
// "ModifyEnsEipAddressAttribute Bandwidth 5–10000, Name 2–128, Description 2–256".
func TestModifyEipRanges(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	id := "eip-hefei-existing"
	for _, tc := range []struct {
		name string
		edit func(*ens.ModifyEnsEipAddressAttributeRequest)
		code string
	}{
		{"bandwidth 4", func(r *ens.ModifyEnsEipAddressAttributeRequest) { r.Bandwidth = "4" }, "InvalidParameter.Bandwidth"},
		{"bandwidth 10001", func(r *ens.ModifyEnsEipAddressAttributeRequest) { r.Bandwidth = "10001" }, "InvalidParameter.Bandwidth"},
		{"name of 1", func(r *ens.ModifyEnsEipAddressAttributeRequest) { r.Name = "x" }, "InvalidParameter.Name"},
		{"description of 257", func(r *ens.ModifyEnsEipAddressAttributeRequest) { r.Description = strings.Repeat("d", 257) }, "InvalidParameter.Description"},
	} {
		req := ens.CreateModifyEnsEipAddressAttributeRequest()
		req.AllocationId, req.Bandwidth = id, requests.NewInteger(20)
		tc.edit(req)
		_, err := c.ModifyEnsEipAddressAttribute(req)
		wantCode(t, err, tc.code, 400)
	}
	if e := env.Emulator.Inventory().EIP(id); e.Bandwidth != 10 || e.Name != "user-eip-hefei" || e.Description != "" {
		t.Fatalf("a refused modify changed the EIP: %+v", e)
	}
	req := ens.CreateModifyEnsEipAddressAttributeRequest()
	req.AllocationId, req.Bandwidth, req.Name = id, requests.NewInteger(10000), "renamed"
	must[*ens.ModifyEnsEipAddressAttributeResponse](t)(c.ModifyEnsEipAddressAttribute(req))
	if e := env.Emulator.Inventory().EIP(id); e.Bandwidth != 10000 || e.Name != "renamed" {
		t.Fatalf("EIP after modify = %+v", e)
	}
}

// TestCreateLoadBalancerPayType checks ens-openapi.md, CreateLoadBalancer:
// "PayType required, PostPaid only".
func TestCreateLoadBalancerPayType(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	req := lbRequest("pay", "")
	req.PayType = ""
	_, err := c.CreateLoadBalancer(req)
	wantCode(t, err, "MissingParameter", 400)
	req.PayType = "PrePaid"
	_, err = c.CreateLoadBalancer(req)
	wantCode(t, err, "InvalidParameter.PayType", 400)
	if n := len(env.Emulator.Inventory().LoadBalancers); n != 2 {
		t.Fatalf("ELBs = %d after refused creates, want the 2 seeded", n)
	}
}

// TestListenerDescriptionAndReservedPorts checks ens-openapi.md, Listeners:
// "Description 1–80 chars", "schedulers also include tch" and "UDP ports
// 250, 4789, 4790 reserved".
func TestListenerDescriptionAndReservedPorts(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "descriptions")
	tcp := func(port int, desc string) error {
		req := ens.CreateCreateLoadBalancerTCPListenerRequest()
		req.LoadBalancerId, req.ListenerPort, req.BackendServerPort = lb, requests.NewInteger(port), requests.NewInteger(30080)
		req.Description = desc
		_, err := c.CreateLoadBalancerTCPListener(req)
		return err
	}
	wantCode(t, tcp(81, strings.Repeat("d", 81)), "InvalidParameter.Description", 400)
	if err := tcp(80, strings.Repeat("d", 80)); err != nil {
		t.Fatalf("Description of 80: %v", err)
	}
	tch := ens.CreateCreateLoadBalancerTCPListenerRequest()
	tch.LoadBalancerId, tch.ListenerPort, tch.BackendServerPort, tch.Scheduler = lb, requests.NewInteger(82), requests.NewInteger(30082), "tch"
	must[*ens.CreateLoadBalancerTCPListenerResponse](t)(c.CreateLoadBalancerTCPListener(tch)) // "schedulers also include tch"
	set := ens.CreateSetLoadBalancerTCPListenerAttributeRequest()
	set.LoadBalancerId, set.ListenerPort, set.Description = lb, requests.NewInteger(80), strings.Repeat("e", 81)
	_, err := c.SetLoadBalancerTCPListenerAttribute(set)
	wantCode(t, err, "InvalidParameter.Description", 400)
	if l := listenerOf(t, env, lb, 80, "TCP"); l.Description != strings.Repeat("d", 80) {
		t.Fatalf("a refused Set changed the Description to %q", l.Description)
	}

	for _, port := range []int{250, 4789, 4790} {
		req := ens.CreateCreateLoadBalancerUDPListenerRequest()
		req.LoadBalancerId, req.ListenerPort, req.BackendServerPort = lb, requests.NewInteger(port), requests.NewInteger(30080)
		_, err := c.CreateLoadBalancerUDPListener(req)
		wantCode(t, err, "InvalidParameter.ListenerPort", 400)
	}
	if err := tcp(4789, "tcp may"); err != nil { // only UDP is reserved
		t.Fatalf("TCP on 4789: %v", err)
	}
	if n := len(env.Emulator.Inventory().LoadBalancer(lb).Listeners); n != 3 {
		t.Fatalf("listeners = %d, want TCP 80, 82 and 4789", n)
	}
}
