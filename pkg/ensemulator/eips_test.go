package ensemulator_test

import (
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

func TestEIPLifecycle(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "with-eip")
	id := createEIP(t, c, hefei, "k8s/svc/default/np-hefei/c1")
	eip := env.Emulator.Inventory().EIP(id)
	if !strings.HasPrefix(id, "eip-") || len(id) != 29 || eip == nil || eip.Status != "Available" || eip.Bandwidth != 10 || eip.Address == "" {
		t.Fatalf("new EIP %s = %+v", id, eip)
	}

	assoc := ens.CreateAssociateEnsEipAddressRequest()
	assoc.AllocationId, assoc.InstanceId, assoc.InstanceType = id, "lb-chengdu-existing", "SlbInstance"
	_, err := c.AssociateEnsEipAddress(assoc)
	wantCode(t, err, "InvalidParameter", 400) // another region
	assoc.InstanceId = lb
	must[*ens.AssociateEnsEipAddressResponse](t)(c.AssociateEnsEipAddress(assoc))
	if eip := env.Emulator.Inventory().EIP(id); eip.Status != "InUse" || eip.InstanceID != lb || eip.InstanceType != "SlbInstance" {
		t.Fatalf("EIP after associate = %+v", eip)
	}
	_, err = c.AssociateEnsEipAddress(assoc)
	wantCode(t, err, "IncorrectEipStatus", 400)

	rel := ens.CreateReleaseInstanceRequest()
	rel.InstanceId = id
	_, err = c.ReleaseInstance(rel)
	wantCode(t, err, "IncorrectEipStatus", 400)

	mod := ens.CreateModifyEnsEipAddressAttributeRequest()
	mod.AllocationId, mod.Bandwidth, mod.Description = id, requests.NewInteger(50), "bigger"
	must[*ens.ModifyEnsEipAddressAttributeResponse](t)(c.ModifyEnsEipAddressAttribute(mod))
	mod.Bandwidth = requests.NewInteger(4)
	_, err = c.ModifyEnsEipAddressAttribute(mod)
	wantCode(t, err, "InvalidParameter.Bandwidth", 400)
	if eip := env.Emulator.Inventory().EIP(id); eip.Bandwidth != 50 || eip.Description != "bigger" || eip.Name == "" {
		t.Fatalf("EIP after modify = %+v", eip)
	}

	un := ens.CreateUnAssociateEnsEipAddressRequest()
	un.AllocationId = id
	must[*ens.UnAssociateEnsEipAddressResponse](t)(c.UnAssociateEnsEipAddress(un))
	_, err = c.UnAssociateEnsEipAddress(un)
	wantCode(t, err, "IncorrectEipStatus", 400)
	must[*ens.ReleaseInstanceResponse](t)(c.ReleaseInstance(rel))
	if env.Emulator.Inventory().EIP(id) != nil {
		t.Fatal("released EIP still in inventory")
	}
	_, err = c.UnAssociateEnsEipAddress(un)
	wantCode(t, err, "EipNotFound", 400)
}

func TestAssociateRules(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	id := createEIP(t, c, hefei, "second")
	assoc := ens.CreateAssociateEnsEipAddressRequest()
	assoc.AllocationId, assoc.InstanceId, assoc.InstanceType = id, "lb-hefei-existing", "SlbInstance"
	_, err := c.AssociateEnsEipAddress(assoc)
	wantCode(t, err, "IncorrectInstanceStatus", 400) // it has eip-hefei-existing
	assoc.InstanceType = "EnsInstance"
	_, err = c.AssociateEnsEipAddress(assoc)
	wantCode(t, err, "InvalidParameter", 400)
	assoc.InstanceId, assoc.InstanceType = "lb-nope", "SlbInstance"
	_, err = c.AssociateEnsEipAddress(assoc)
	wantCode(t, err, "InstanceNotFound", 400) // ens-openapi.md: AssociateEnsEipAddress errors InstanceNotFound

	req := eipRequest("", "")
	req.EnsRegionId = "cn-nowhere"
	_, err = c.CreateEipInstance(req)
	wantCode(t, err, "InvalidParameter", 400)
	if n := len(env.Emulator.Inventory().EIPs); n != 3 {
		t.Fatalf("EIPs = %d, want 3", n)
	}
}

func TestDescribeEnsEipAddressesFilters(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	free := createEIP(t, c, hefei, "free-one")
	tests := []struct {
		name string
		set  func(*ens.DescribeEnsEipAddressesRequest)
		want []string
	}{
		{"by name", func(r *ens.DescribeEnsEipAddressesRequest) { r.EipName = "free-one" }, []string{free}},
		{"by id", func(r *ens.DescribeEnsEipAddressesRequest) { r.AllocationId = "eip-chengdu-existing" }, []string{"eip-chengdu-existing"}},
		{"by instance", func(r *ens.DescribeEnsEipAddressesRequest) {
			r.AssociatedInstanceId, r.AssociatedInstanceType = "lb-hefei-existing", "SlbInstance"
		}, []string{"eip-hefei-existing"}},
		{"by region", func(r *ens.DescribeEnsEipAddressesRequest) { r.EnsRegionId = hefei }, []string{"eip-hefei-existing", free}},
		// ens-openapi.md: "AllocationId and EipAddress take comma lists of up to 50".
		{"by id list", func(r *ens.DescribeEnsEipAddressesRequest) {
			r.AllocationId = "eip-chengdu-existing, eip-hefei-existing,eip-gone"
		}, []string{"eip-chengdu-existing", "eip-hefei-existing"}},
		{"by address list", func(r *ens.DescribeEnsEipAddressesRequest) { r.EipAddress = "47.120.1.10,47.110.1.10" },
			[]string{"eip-chengdu-existing", "eip-hefei-existing"}},
		{"by id and address", func(r *ens.DescribeEnsEipAddressesRequest) {
			r.AllocationId, r.EipAddress = "eip-chengdu-existing,eip-hefei-existing", "47.110.1.10"
		}, []string{"eip-hefei-existing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := ens.CreateDescribeEnsEipAddressesRequest()
			tc.set(req)
			resp := must[*ens.DescribeEnsEipAddressesResponse](t)(c.DescribeEnsEipAddresses(req))
			var got []string
			for _, e := range resp.EipAddresses.EipAddress {
				got = append(got, e.AllocationId)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	lists := map[string]func(*ens.DescribeEnsEipAddressesRequest, string){
		"AllocationId": func(r *ens.DescribeEnsEipAddressesRequest, v string) { r.AllocationId = v },
		"EipAddress":   func(r *ens.DescribeEnsEipAddressesRequest, v string) { r.EipAddress = v },
	}
	fifty := map[string]string{
		"AllocationId": strings.Repeat("eip-x,", 49) + "eip-hefei-existing",
		"EipAddress":   strings.Repeat("47.1.1.1,", 49) + "47.110.1.10",
	}
	for name, set := range lists {
		req := ens.CreateDescribeEnsEipAddressesRequest()
		set(req, fifty[name])
		if n := len(must[*ens.DescribeEnsEipAddressesResponse](t)(c.DescribeEnsEipAddresses(req)).EipAddresses.EipAddress); n != 1 {
			t.Fatalf("%s list of 50: %d EIPs, want 1", name, n)
		}
		set(req, fifty[name]+",one-more")
		_, err := c.DescribeEnsEipAddresses(req)
		wantCode(t, err, "InvalidParameter."+name, 400)
	}
	req := ens.CreateDescribeEnsEipAddressesRequest()
	req.AllocationId = "eip-hefei-existing"
	e := must[*ens.DescribeEnsEipAddressesResponse](t)(c.DescribeEnsEipAddresses(req)).EipAddresses.EipAddress[0]
	if e.Status != "InUse" || e.InstanceId != "lb-hefei-existing" || e.InstanceType != "SlbInstance" || e.IpAddress != "47.110.1.10" ||
		e.EnsRegionId != hefei || e.Bandwidth != 10 {
		t.Fatalf("seeded EIP = %+v", e)
	}
}
