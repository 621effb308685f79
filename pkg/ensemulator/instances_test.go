package ensemulator_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

func TestDescribeInstances(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	ids := func(set func(*ens.DescribeInstancesRequest)) []string {
		req := ens.CreateDescribeInstancesRequest()
		set(req)
		var out []string
		for _, in := range must[*ens.DescribeInstancesResponse](t)(c.DescribeInstances(req)).Instances.Instance {
			out = append(out, in.InstanceId)
		}
		return out
	}
	tests := []struct {
		name string
		set  func(*ens.DescribeInstancesRequest)
		want string
	}{
		{"all", func(*ens.DescribeInstancesRequest) {}, "i-chengdu-1,i-chengdu-2,i-hefei-1,i-hefei-2"},
		{"by region", func(r *ens.DescribeInstancesRequest) { r.EnsRegionId = hefei }, "i-hefei-1,i-hefei-2"},
		{"by network", func(r *ens.DescribeInstancesRequest) { r.NetworkId = "n-chengdu" }, "i-chengdu-1,i-chengdu-2"},
		{"by vswitch", func(r *ens.DescribeInstancesRequest) { r.VSwitchId = "vsw-hefei-2" }, ""},
		{"by ids", func(r *ens.DescribeInstancesRequest) { r.InstanceIds = `["i-hefei-2","i-chengdu-1","i-gone"]` }, "i-chengdu-1,i-hefei-2"},
		{"ids null", func(r *ens.DescribeInstancesRequest) { r.InstanceIds = "null" }, "i-chengdu-1,i-chengdu-2,i-hefei-1,i-hefei-2"},
		// ens-openapi.md: "DescribeInstances with InstanceIds [] returns an empty result".
		{"ids empty", func(r *ens.DescribeInstancesRequest) { r.InstanceIds = "[]" }, ""},
		{"ids empty in a region", func(r *ens.DescribeInstancesRequest) { r.InstanceIds, r.EnsRegionId = "[]", hefei }, ""},
		{"page size as string", func(r *ens.DescribeInstancesRequest) { r.PageSize = "1" }, "i-chengdu-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(ids(tc.set), ","); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}

	req := ens.CreateDescribeInstancesRequest()
	req.InstanceIds = `["i-hefei-1"]`
	in := must[*ens.DescribeInstancesResponse](t)(c.DescribeInstances(req)).Instances.Instance[0]
	if in.Status != "Running" || in.EnsRegionId != hefei || in.NetworkAttributes.NetworkId != "n-hefei" ||
		in.NetworkAttributes.VSwitchId != "vsw-hefei-1" || in.NetworkAttributes.PrivateIpAddress.IpAddress[0] != "10.1.0.11" ||
		in.PrivateIpAddresses.PrivateIpAddress[0].Ip != "10.1.0.11" {
		t.Fatalf("instance = %+v", in)
	}

	var tooMany []string
	for i := range 101 {
		tooMany = append(tooMany, fmt.Sprintf("i-%d", i))
	}
	raw, _ := json.Marshal(tooMany)
	req.InstanceIds = string(raw)
	_, err := c.DescribeInstances(req)
	wantCode(t, err, "InvalidParameter", 400)
	req.InstanceIds = "[not json"
	_, err = c.DescribeInstances(req)
	wantCode(t, err, "InvalidParameter", 400)
}

func TestDescribeNetworksAndRegions(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	req := ens.CreateDescribeNetworksRequest()
	req.NetworkId = "n-hefei"
	resp := must[*ens.DescribeNetworksResponse](t)(c.DescribeNetworks(req))
	if resp.TotalCount != 1 || resp.Networks.Network[0].EnsRegionId != hefei ||
		strings.Join(resp.Networks.Network[0].VSwitchIds.VSwitchId, ",") != "vsw-hefei-1,vsw-hefei-2" {
		t.Fatalf("DescribeNetworks = %+v", resp.Networks)
	}
	req.NetworkId = "n-gone"
	if n := must[*ens.DescribeNetworksResponse](t)(c.DescribeNetworks(req)).TotalCount; n != 0 {
		t.Fatalf("unknown network matched %d", n)
	}
	all := ens.CreateDescribeNetworksRequest()
	all.EnsRegionIds = &[]string{chengdu}
	if got := must[*ens.DescribeNetworksResponse](t)(c.DescribeNetworks(all)).Networks.Network; len(got) != 1 || got[0].NetworkId != "n-chengdu" {
		t.Fatalf("networks by region = %+v", got)
	}

	regions := must[*ens.DescribeEnsRegionsResponse](t)(c.DescribeEnsRegions(ens.CreateDescribeEnsRegionsRequest()))
	if n := len(regions.EnsRegions.EnsRegionsItem); n != 2 {
		t.Fatalf("regions = %d, want 2", n)
	}
}

// seededInventory is the default inventory plus n ELBs, n EIPs and n
// instances in Hefei, and one ELB "many-listeners" with n listeners.
func seededInventory(n int) ensemulator.Inventory {
	inv := ensemulator.DefaultInventory()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	many := ensemulator.LoadBalancer{ID: "lb-many-listeners", Name: "many-listeners", RegionID: hefei, NetworkID: "n-hefei",
		VSwitchID: "vsw-hefei-1", Address: "10.1.0.200", CreateTime: t0}
	for i := range n {
		at := t0.Add(time.Duration(i+1) * time.Second)
		inv.LoadBalancers = append(inv.LoadBalancers, ensemulator.LoadBalancer{ID: fmt.Sprintf("lb-page-%03d", i),
			Name: "paged", RegionID: hefei, NetworkID: "n-hefei", VSwitchID: "vsw-hefei-2", CreateTime: at})
		inv.EIPs = append(inv.EIPs, ensemulator.EIP{ID: fmt.Sprintf("eip-page-%03d", i), Name: "paged", RegionID: hefei,
			Bandwidth: 5, CreateTime: at})
		inv.Instances = append(inv.Instances, ensemulator.Instance{ID: fmt.Sprintf("i-page-%03d", i), RegionID: hefei,
			NetworkID: "n-hefei", VSwitchID: "vsw-hefei-2", PrivateIP: fmt.Sprintf("10.1.%d.%d", 2+i/250, 1+i%250)})
		many.Listeners = append(many.Listeners, ensemulator.Listener{Port: 1000 + i, Protocol: "TCP", BackendServerPort: 30000 + i})
	}
	inv.LoadBalancers = append(inv.LoadBalancers, many)
	return inv
}

func TestPagination(t *testing.T) {
	for _, n := range []int{0, 1, 100, 101, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			env := emulatortest.Start(t, emulatortest.WithInventory(seededInventory(n)))
			c := newClient(t, env)
			for _, pageSize := range []int{100, 7} {
				checkPages(t, "DescribeLoadBalancers", n, pageSize, func(page, size int) (int, []string) {
					req := ens.CreateDescribeLoadBalancersRequest()
					req.LoadBalancerName, req.PageNumber, req.PageSize = "paged", requests.NewInteger(page), requests.NewInteger(size)
					resp := must[*ens.DescribeLoadBalancersResponse](t)(c.DescribeLoadBalancers(req))
					var ids []string
					for _, lb := range resp.LoadBalancers.LoadBalancer {
						ids = append(ids, lb.LoadBalancerId)
					}
					return resp.TotalCount, ids
				})
				checkPages(t, "DescribeEnsEipAddresses", n, pageSize, func(page, size int) (int, []string) {
					req := ens.CreateDescribeEnsEipAddressesRequest()
					req.EipName, req.PageNumber, req.PageSize = "paged", requests.NewInteger(page), requests.NewInteger(size)
					resp := must[*ens.DescribeEnsEipAddressesResponse](t)(c.DescribeEnsEipAddresses(req))
					var ids []string
					for _, e := range resp.EipAddresses.EipAddress {
						ids = append(ids, e.AllocationId)
					}
					return resp.TotalCount, ids
				})
				checkPages(t, "DescribeInstances", n, pageSize, func(page, size int) (int, []string) {
					req := ens.CreateDescribeInstancesRequest()
					req.VSwitchId, req.PageNumber, req.PageSize = "vsw-hefei-2", requests.NewInteger(page), fmt.Sprint(size)
					resp := must[*ens.DescribeInstancesResponse](t)(c.DescribeInstances(req))
					var ids []string
					for _, in := range resp.Instances.Instance {
						ids = append(ids, in.InstanceId)
					}
					return resp.TotalCount, ids
				})
				checkPages(t, "DescribeLoadBalancerListeners", n, pageSize, func(page, size int) (int, []string) {
					req := ens.CreateDescribeLoadBalancerListenersRequest()
					req.LoadBalancerId, req.PageNumber, req.PageSize = "lb-many-listeners", requests.NewInteger(page), requests.NewInteger(size)
					resp := must[*ens.DescribeLoadBalancerListenersResponse](t)(c.DescribeLoadBalancerListeners(req))
					var ids []string
					for _, l := range resp.Listeners.Listener {
						ids = append(ids, l.ListenerPort+"/"+l.Protocol+"/"+l.Status)
					}
					return resp.TotalCount, ids
				})
			}
		})
	}
}

// checkPages walks every page of a listing and checks the total, the
// page sizes and that each item comes exactly once.
func checkPages(t *testing.T, name string, n, size int, list func(page, size int) (int, []string)) {
	t.Helper()
	seen := map[string]bool{}
	pages := max(1, (n+size-1)/size)
	for page := 1; page <= pages+1; page++ {
		total, ids := list(page, size)
		if total != n {
			t.Fatalf("%s page %d: TotalCount %d, want %d", name, page, total, n)
		}
		wantLen := min(size, max(0, n-(page-1)*size))
		if len(ids) != wantLen {
			t.Fatalf("%s page %d/size %d: %d items, want %d", name, page, size, len(ids), wantLen)
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%s: %s on two pages", name, id)
			}
			seen[id] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("%s: saw %d items, want %d", name, len(seen), n)
	}
}

func TestPageParameterLimits(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	for _, tc := range []struct{ number, size int }{{1, 101}, {1, 0}, {0, 10}} {
		req := ens.CreateDescribeLoadBalancersRequest()
		req.PageNumber, req.PageSize = requests.NewInteger(tc.number), requests.NewInteger(tc.size)
		_, err := c.DescribeLoadBalancers(req)
		wantCode(t, err, "InvalidParameter", 400)
	}
	resp := must[*ens.DescribeLoadBalancersResponse](t)(c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest()))
	if resp.PageNumber != 1 || resp.PageSize != 10 || resp.TotalCount != 2 {
		t.Fatalf("defaults: page %d size %d total %d", resp.PageNumber, resp.PageSize, resp.TotalCount)
	}
	// ens-openapi.md: "DescribeNetworks PageSize 1–50".
	nets := ens.CreateDescribeNetworksRequest()
	nets.PageSize = requests.NewInteger(51)
	_, err := c.DescribeNetworks(nets)
	wantCode(t, err, "InvalidParameter", 400)
	nets.PageSize = requests.NewInteger(50)
	if got := must[*ens.DescribeNetworksResponse](t)(c.DescribeNetworks(nets)); got.PageSize != 50 || got.TotalCount != 2 {
		t.Fatalf("DescribeNetworks with PageSize 50: size %d total %d", got.PageSize, got.TotalCount)
	}
}
