package ensemulator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

func TestLoadBalancerLifecycle(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)

	id := createHefeiLB(t, c, "k8s/svc/default/np-hefei/c1")
	if !strings.HasPrefix(id, "lb-") || len(id) != 28 || strings.ToLower(id) != id {
		t.Fatalf("id %q is not lb- and 25 lowercase alphanumerics", id)
	}
	lb := env.Emulator.Inventory().LoadBalancer(id)
	if lb == nil || lb.Name != "k8s/svc/default/np-hefei/c1" || lb.RegionID != hefei || lb.Status != "Active" ||
		lb.Spec != "elb.s2.small" || !strings.HasPrefix(lb.Address, "10.1.0.") {
		t.Fatalf("inventory ELB = %+v", lb)
	}

	attr := describeLB(t, c, id)
	if attr.LoadBalancerStatus != "Active" || attr.Address != lb.Address || attr.VSwitchId != "vsw-hefei-1" ||
		attr.LoadBalancerSpec != "elb.s2.small" || len(attr.BackendServers) != 0 || len(attr.ListenerPortsAndProtocols) != 0 {
		t.Fatalf("DescribeLoadBalancerAttribute = %+v", attr)
	}

	set := ens.CreateSetLoadBalancerStatusRequest()
	set.LoadBalancerId, set.LoadBalancerStatus = id, "InActive"
	must[*ens.SetLoadBalancerStatusResponse](t)(c.SetLoadBalancerStatus(set))
	if got := describeLB(t, c, id).LoadBalancerStatus; got != "InActive" {
		t.Fatalf("status after SetLoadBalancerStatus = %q", got)
	}
	set.LoadBalancerStatus = "Stopped"
	_, err := c.SetLoadBalancerStatus(set)
	wantCode(t, err, "InvalidParameter", 400)

	rel := ens.CreateReleaseInstanceRequest()
	rel.InstanceId = id
	must[*ens.ReleaseInstanceResponse](t)(c.ReleaseInstance(rel))
	if env.Emulator.Inventory().LoadBalancer(id) != nil {
		t.Fatal("released ELB still in inventory")
	}
	_, err = c.ReleaseInstance(rel)
	wantCode(t, err, "LoadBalancerNotFound", 400)
	req := ens.CreateDescribeLoadBalancerAttributeRequest()
	req.LoadBalancerId = id
	_, err = c.DescribeLoadBalancerAttribute(req)
	wantCode(t, err, "LoadBalancerNotFound", 400)
}

func TestReleaseLoadBalancerFreesItsEIP(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	rel := ens.CreateReleaseInstanceRequest()
	rel.InstanceId = "lb-hefei-existing"
	must[*ens.ReleaseInstanceResponse](t)(c.ReleaseInstance(rel))
	eip := env.Emulator.Inventory().EIP("eip-hefei-existing")
	if eip == nil || eip.Status != "Available" || eip.InstanceID != "" {
		t.Fatalf("EIP after its ELB was released = %+v", eip)
	}
	rel.InstanceId = "i-hefei-1"
	_, err := c.ReleaseInstance(rel)
	wantCode(t, err, "InvalidParameter", 400)
}

func TestCreateLoadBalancerValidation(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	tests := []struct {
		name                               string
		lbName, region, network, vsw, spec string
		code                               string
	}{
		{"name of 80 is fine", strings.Repeat("a", 80), hefei, "n-hefei", "vsw-hefei-1", "elb.s1.small", ""},
		{"no name is fine", "", hefei, "n-hefei", "vsw-hefei-1", "elb.s1.small", ""},
		{"name of 81", strings.Repeat("a", 81), hefei, "n-hefei", "vsw-hefei-1", "elb.s1.small", "InvalidParameter.LoadBalancerName"},
		{"name like a URL", "http://x", hefei, "n-hefei", "vsw-hefei-1", "elb.s1.small", "InvalidParameter.LoadBalancerName"},
		{"name like a TLS URL", "HTTPS://x", hefei, "n-hefei", "vsw-hefei-1", "elb.s1.small", "InvalidParameter.LoadBalancerName"},
		{"bad spec", "x", hefei, "n-hefei", "vsw-hefei-1", "elb.s9.huge", "InvalidParameter"},
		{"unknown region", "x", "cn-nowhere", "n-hefei", "vsw-hefei-1", "elb.s1.small", "InvalidParameter"},
		{"network of another region", "x", hefei, "n-chengdu", "vsw-chengdu-1", "elb.s1.small", "InvalidParameter"},
		{"vswitch of another network", "x", hefei, "n-hefei", "vsw-chengdu-1", "elb.s1.small", "InvalidParameter"},
		{"missing spec", "x", hefei, "n-hefei", "vsw-hefei-1", "", "MissingParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(env.Emulator.Inventory().LoadBalancers)
			req := lbRequest(tc.lbName, "")
			req.EnsRegionId, req.NetworkId, req.VSwitchId, req.LoadBalancerSpec = tc.region, tc.network, tc.vsw, tc.spec
			_, err := c.CreateLoadBalancer(req)
			after := len(env.Emulator.Inventory().LoadBalancers)
			if tc.code == "" {
				if err != nil || after != before+1 {
					t.Fatalf("err=%v, ELBs %d -> %d", err, before, after)
				}
				return
			}
			wantCode(t, err, tc.code, 400)
			if after != before {
				t.Fatalf("a rejected create changed the ELB count %d -> %d", before, after)
			}
		})
	}
}

func TestActiveDelay(t *testing.T) {
	clock := newFakeClock()
	env := emulatortest.Start(t, emulatortest.WithClock(clock.Now), emulatortest.WithActiveDelay(30*time.Second))
	c := newClient(t, env)
	id := createHefeiLB(t, c, "slow")
	if got := describeLB(t, c, id).LoadBalancerStatus; got != "Creating" {
		t.Fatalf("status right after create = %q, want Creating", got)
	}
	if got := env.Emulator.Inventory().LoadBalancer(id).Status; got != "Creating" {
		t.Fatalf("inventory status = %q, want Creating", got)
	}
	clock.Advance(31 * time.Second)
	if got := describeLB(t, c, id).LoadBalancerStatus; got != "Active" {
		t.Fatalf("status after the delay = %q, want Active", got)
	}
}

func TestDescribeLoadBalancersFilters(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	id := createHefeiLB(t, c, "mine")
	tests := []struct {
		name string
		set  func(*ens.DescribeLoadBalancersRequest)
		want []string
	}{
		{"all", func(*ens.DescribeLoadBalancersRequest) {}, []string{"lb-chengdu-existing", "lb-hefei-existing", id}},
		{"by name", func(r *ens.DescribeLoadBalancersRequest) { r.LoadBalancerName = "mine" }, []string{id}},
		{"by region", func(r *ens.DescribeLoadBalancersRequest) { r.EnsRegionId = chengdu }, []string{"lb-chengdu-existing"}},
		{"by id", func(r *ens.DescribeLoadBalancersRequest) { r.LoadBalancerId = "lb-hefei-existing" }, []string{"lb-hefei-existing"}},
		{"by network", func(r *ens.DescribeLoadBalancersRequest) { r.NetworkId = "n-hefei" }, []string{"lb-hefei-existing", id}},
		{"no match", func(r *ens.DescribeLoadBalancersRequest) { r.LoadBalancerName = "other" }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := ens.CreateDescribeLoadBalancersRequest()
			tc.set(req)
			resp := must[*ens.DescribeLoadBalancersResponse](t)(c.DescribeLoadBalancers(req))
			var got []string
			for _, lb := range resp.LoadBalancers.LoadBalancer {
				got = append(got, lb.LoadBalancerId)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || resp.TotalCount != len(tc.want) {
				t.Fatalf("got %v (total %d), want %v", got, resp.TotalCount, tc.want)
			}
		})
	}
}

func TestVisibilityFault(t *testing.T) {
	clock := newFakeClock()
	env := emulatortest.Start(t, emulatortest.WithClock(clock.Now),
		emulatortest.WithFault("CreateLoadBalancer", ensemulator.Fault{Visibility: 10 * time.Second}),
		emulatortest.WithFault("CreateEipInstance", ensemulator.Fault{Visibility: 10 * time.Second}))
	c := newClient(t, env)
	id := createHefeiLB(t, c, "late")
	eipID := createEIP(t, c, hefei, "late-eip")
	list := ens.CreateDescribeLoadBalancersRequest()
	list.LoadBalancerName = "late"
	if n := len(must[*ens.DescribeLoadBalancersResponse](t)(c.DescribeLoadBalancers(list)).LoadBalancers.LoadBalancer); n != 0 {
		t.Fatalf("a new ELB shows before its visibility delay (%d)", n)
	}
	attr := ens.CreateDescribeLoadBalancerAttributeRequest()
	attr.LoadBalancerId = id
	_, err := c.DescribeLoadBalancerAttribute(attr)
	wantCode(t, err, "LoadBalancerNotFound", 400)
	eips := ens.CreateDescribeEnsEipAddressesRequest()
	eips.AllocationId = eipID
	if n := len(must[*ens.DescribeEnsEipAddressesResponse](t)(c.DescribeEnsEipAddresses(eips)).EipAddresses.EipAddress); n != 0 {
		t.Fatal("a new EIP shows before its visibility delay")
	}
	if env.Emulator.Inventory().LoadBalancer(id) == nil {
		t.Fatal("the admin inventory must show hidden ELBs")
	}

	clock.Advance(11 * time.Second)
	if n := len(must[*ens.DescribeLoadBalancersResponse](t)(c.DescribeLoadBalancers(list)).LoadBalancers.LoadBalancer); n != 1 {
		t.Fatalf("ELB still hidden after the delay (%d)", n)
	}
	if n := len(must[*ens.DescribeEnsEipAddressesResponse](t)(c.DescribeEnsEipAddresses(eips)).EipAddresses.EipAddress); n != 1 {
		t.Fatal("EIP still hidden after the delay")
	}
}
