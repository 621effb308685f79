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

	got := env.Emulator.Inventory().LoadBalancer(lb).Backends
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
		{"unknown instance", []ens.AddBackendServersBackendServers{backend("i-nope", "", "80", "10")}, "InstanceNotFound", 400},
		{"wrong ip", []ens.AddBackendServersBackendServers{backend("i-hefei-1", "10.9.9.9", "80", "10")}, "InvalidParameter", 400},
		{"port -1", []ens.AddBackendServersBackendServers{backend("i-hefei-1", "", "-1", "10")}, "InvalidParameter", 400},
		{"port 65536", []ens.AddBackendServersBackendServers{backend("i-hefei-1", "", "65536", "10")}, "InvalidParameter", 400},
		{"port not a number", []ens.AddBackendServersBackendServers{backend("i-hefei-1", "", "http", "10")}, "InvalidParameter", 400},
		{"empty list", []ens.AddBackendServersBackendServers{}, "MissingParameter", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := addBackends(c, lb, tc.bs...)
			wantCode(t, err, tc.code, tc.status)
			if n := len(env.Emulator.Inventory().LoadBalancer(lb).Backends); n != 0 {
				t.Fatalf("a rejected call left %d backends", n)
			}
		})
	}

	// Exactly 20 is allowed; a nil list goes out as the JSON null.
	if _, err := addBackends(c, lb, many[:20]...); err != nil {
		t.Fatalf("20 backends: %v", err)
	}
	if n := len(env.Emulator.Inventory().LoadBalancer(lb).Backends); n != 20 {
		t.Fatalf("backends = %d, want 20", n)
	}
	req := ens.CreateAddBackendServersRequest()
	req.LoadBalancerId = lb
	_, err := c.AddBackendServers(req)
	wantCode(t, err, "MissingParameter", 400)
}

// TestBackendsWithoutPort checks ens-openapi.md, Backends: "ServerId
// required; Weight 0–100 default 100; Type ens|eni; Port optional
// (DescribeLoadBalancerAttribute samples show Port "0" as a string)" and
// the vendor controller's form "one entry per instance with Port "0"", with
// the old per-port form still accepted.
func TestBackendsWithoutPort(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "no-port")
	onlyID := ens.AddBackendServersBackendServers{ServerId: "i-hefei-1"} // Port, Weight, Type, Ip absent
	must[*ens.AddBackendServersResponse](t)(addBackends(c, lb, onlyID, backend("i-hefei-2", "", "0", "50"), backend("i-hefei-2", "", "30080", "50")))
	want := []ensemulator.Backend{
		{ServerID: "i-hefei-1", Type: "ens", IP: "10.1.0.11", Port: 0, Weight: 100},
		{ServerID: "i-hefei-2", Type: "ens", IP: "10.1.0.12", Port: 0, Weight: 50},
		{ServerID: "i-hefei-2", Type: "ens", IP: "10.1.0.12", Port: 30080, Weight: 50},
	}
	if got := env.Emulator.Inventory().LoadBalancer(lb).Backends; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("backends = %+v, want %+v", got, want)
	}
	attr := describeLB(t, c, lb)
	if len(attr.BackendServers) != 3 || attr.BackendServers[0].Port != "0" || attr.BackendServers[1].Port != "0" || attr.BackendServers[2].Port != "30080" {
		t.Fatalf("DescribeLoadBalancerAttribute.BackendServers = %+v, want Port \"0\" for the port-less entries", attr.BackendServers)
	}
	// Adding the same port-less entry again only sets its weight.
	must[*ens.AddBackendServersResponse](t)(addBackends(c, lb, backend("i-hefei-1", "", "", "20")))
	if b := env.Emulator.Inventory().LoadBalancer(lb).Backends; len(b) != 3 || b[0].Weight != 20 {
		t.Fatalf("backends after re-adding = %+v", b)
	}

	// SetBackendServers: per server, Weight required.
	set := ens.CreateSetBackendServersRequest()
	set.LoadBalancerId = lb
	set.BackendServers = &[]ens.SetBackendServersBackendServers{{ServerId: "i-hefei-2", Type: "ens"}}
	_, err := c.SetBackendServers(set)
	wantCode(t, err, "MissingParameter", 400)
	set.BackendServers = &[]ens.SetBackendServersBackendServers{{ServerId: "i-hefei-2", Weight: "0"}}
	must[*ens.SetBackendServersResponse](t)(c.SetBackendServers(set))
	if b := env.Emulator.Inventory().LoadBalancer(lb).Backends; b[1].Weight != 0 || b[2].Weight != 0 || b[0].Weight != 20 {
		t.Fatalf("backends after SetBackendServers = %+v", b)
	}

	// Remove: Port "0" is the port-0 entry, no Port every entry of the server.
	rm := ens.CreateRemoveBackendServersRequest()
	rm.LoadBalancerId = lb
	rm.BackendServers = &[]ens.RemoveBackendServersBackendServers{{ServerId: "i-hefei-2", Port: "0"}}
	must[*ens.RemoveBackendServersResponse](t)(c.RemoveBackendServers(rm))
	if b := env.Emulator.Inventory().LoadBalancer(lb).Backends; len(b) != 2 || b[1].Port != 30080 {
		t.Fatalf("backends after removing i-hefei-2 port 0 = %+v", b)
	}
	rm.BackendServers = &[]ens.RemoveBackendServersBackendServers{{ServerId: "i-hefei-2"}, {ServerId: "i-hefei-1", Port: "0"}}
	must[*ens.RemoveBackendServersResponse](t)(c.RemoveBackendServers(rm))
	if b := env.Emulator.Inventory().LoadBalancer(lb).Backends; len(b) != 0 {
		t.Fatalf("backends after removing the rest = %+v", b)
	}
	rm.BackendServers = &[]ens.RemoveBackendServersBackendServers{{ServerId: "i-hefei-2", Port: "-5"}}
	_, err = c.RemoveBackendServers(rm)
	wantCode(t, err, "InvalidParameter", 400)
}
