package ensemulator_test

import (
	"fmt"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

func addBackends(c *ens.Client, lb string, bs ...ens.AddBackendServersBackendServers) (*ens.AddBackendServersResponse, error) {
	req := ens.CreateAddBackendServersRequest()
	req.LoadBalancerId, req.BackendServers = lb, &bs
	return c.AddBackendServers(req)
}

func backend(id, ip, port, weight string) ens.AddBackendServersBackendServers {
	return ens.AddBackendServersBackendServers{ServerId: id, Ip: ip, Port: port, Weight: weight, Type: "ens"}
}

func TestBackendServers(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "backends")

	resp, err := addBackends(c, lb, backend("i-hefei-1", "10.1.0.11", "30080", "100"), backend("i-hefei-2", "", "30080", ""))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.BackendServers.BackendServer); n != 2 || resp.BackendServers.BackendServer[1].Ip != "10.1.0.12" {
		t.Fatalf("AddBackendServers answer = %+v", resp.BackendServers)
	}
	attr := describeLB(t, c, lb)
	if len(attr.BackendServers) != 2 || attr.BackendServers[0].Port != "30080" || attr.BackendServers[0].Weight != 100 ||
		attr.BackendServers[0].Type != "ens" || attr.BackendServers[1].ServerId != "i-hefei-2" {
		t.Fatalf("DescribeLoadBalancerAttribute.BackendServers = %+v", attr.BackendServers)
	}

	set := ens.CreateSetBackendServersRequest()
	set.LoadBalancerId = lb
	set.BackendServers = &[]ens.SetBackendServersBackendServers{{ServerId: "i-hefei-2", Weight: "30", Type: "ens"}}
	must[*ens.SetBackendServersResponse](t)(c.SetBackendServers(set))
	set.BackendServers = &[]ens.SetBackendServersBackendServers{{ServerId: "i-chengdu-1", Weight: "30", Type: "ens"}}
	_, err = c.SetBackendServers(set)
	wantCode(t, err, "InvalidParameter", 400)

	rm := ens.CreateRemoveBackendServersRequest()
	rm.LoadBalancerId = lb
	rm.BackendServers = &[]ens.RemoveBackendServersBackendServers{{ServerId: "i-hefei-1", Port: "30080", Type: "ens"}}
	must[*ens.RemoveBackendServersResponse](t)(c.RemoveBackendServers(rm))
	// Removing what is gone already is not an error.
	must[*ens.RemoveBackendServersResponse](t)(c.RemoveBackendServers(rm))

	got := findLB(env.Emulator.Inventory(), lb).Backends
	want := []ensemulator.Backend{{ServerID: "i-hefei-2", Type: "ens", IP: "10.1.0.12", Port: 30080, Weight: 30}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("backends = %+v, want %+v", got, want)
	}
}

func TestBackendServerRules(t *testing.T) {
	inv := ensemulator.DefaultInventory()
	inv.Instances = append(inv.Instances, ensemulator.Instance{ID: "i-hefei-stopped", RegionID: hefei, NetworkID: "n-hefei",
		VSwitchID: "vsw-hefei-2", Status: "Stopped", PrivateIP: "10.1.1.5"})
	env := emulatortest.Start(t, emulatortest.WithInventory(inv))
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "rules")

	var many []ens.AddBackendServersBackendServers
	for i := range 21 {
		many = append(many, backend("i-hefei-1", "", fmt.Sprint(30000+i), "10"))
	}
	tests := []struct {
		name   string
		bs     []ens.AddBackendServersBackendServers
		code   string
		status int
	}{
		{"21 in one call", many, "InvalidParameter", 400},
		{"weight 101", []ens.AddBackendServersBackendServers{backend("i-hefei-1", "", "80", "101")}, "InvalidParameter", 400},
		{"weight -1", []ens.AddBackendServersBackendServers{backend("i-hefei-1", "", "80", "-1")}, "InvalidParameter", 400},
		{"stopped instance", []ens.AddBackendServersBackendServers{backend("i-hefei-stopped", "", "80", "10")}, "IncorrectInstanceStatus", 400},
		{"other region", []ens.AddBackendServersBackendServers{backend("i-chengdu-1", "", "80", "10")}, "InvalidParameter", 400},
		{"unknown instance", []ens.AddBackendServersBackendServers{backend("i-nope", "", "80", "10")}, "InstanceNotFound", 404},
		{"wrong ip", []ens.AddBackendServersBackendServers{backend("i-hefei-1", "10.9.9.9", "80", "10")}, "InvalidParameter", 400},
		{"no port", []ens.AddBackendServersBackendServers{backend("i-hefei-1", "", "", "10")}, "InvalidParameter", 400},
		{"empty list", []ens.AddBackendServersBackendServers{}, "MissingParameter", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := addBackends(c, lb, tc.bs...)
			wantCode(t, err, tc.code, tc.status)
			if n := len(findLB(env.Emulator.Inventory(), lb).Backends); n != 0 {
				t.Fatalf("a rejected call left %d backends", n)
			}
		})
	}

	// Exactly 20 is allowed; a nil list goes out as the JSON null.
	if _, err := addBackends(c, lb, many[:20]...); err != nil {
		t.Fatalf("20 backends: %v", err)
	}
	if n := len(findLB(env.Emulator.Inventory(), lb).Backends); n != 20 {
		t.Fatalf("backends = %d, want 20", n)
	}
	req := ens.CreateAddBackendServersRequest()
	req.LoadBalancerId = lb
	_, err := c.AddBackendServers(req)
	wantCode(t, err, "MissingParameter", 400)
}
