package ensemulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

func adminDo(t *testing.T, method, url, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

func TestAdminAPI(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "admin")
	if err := createTCP(c, lb, 80, 30080); err != nil {
		t.Fatal(err)
	}

	var inv ensemulator.Inventory
	if code := adminDo(t, http.MethodGet, env.URL+"/admin/inventory", "", &inv); code != 200 {
		t.Fatalf("GET inventory: %d", code)
	}
	if got := inv.LoadBalancer(lb); got == nil || len(got.Listeners) != 1 || len(inv.Instances) != 4 || len(inv.Networks) != 2 || len(inv.EIPs) != 2 {
		t.Fatalf("admin inventory = %+v", inv)
	}

	var calls ensemulator.CallStats
	adminDo(t, http.MethodGet, env.URL+"/admin/calls", "", &calls)
	if calls.Calls["CreateLoadBalancer"] != 1 || calls.Calls["CreateLoadBalancerTCPListener"] != 1 || calls.Total != 2 || calls.MutatingCalls != 2 {
		t.Fatalf("calls = %+v", calls)
	}
	adminDo(t, http.MethodPost, env.URL+"/admin/calls/reset", "", &calls)
	if calls.Total != 0 || env.Emulator.MutatingCalls() != 0 {
		t.Fatalf("after reset: %+v", calls)
	}

	var faults map[string]ensemulator.Fault
	if code := adminDo(t, http.MethodPut, env.URL+"/admin/faults", `{"DescribeLoadBalancers":{"code":"Throttling","rate":1,"latency":"1ms"}}`, &faults); code != 200 {
		t.Fatalf("PUT faults: %d", code)
	}
	want := map[string]ensemulator.Fault{"DescribeLoadBalancers": {Code: "Throttling", Rate: 1, Latency: time.Millisecond}}
	if !reflect.DeepEqual(env.Emulator.Faults(), want) {
		t.Fatalf("faults = %+v", env.Emulator.Faults())
	}
	_, err := c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "Throttling", 400)
	adminDo(t, http.MethodGet, env.URL+"/admin/faults", "", &faults)
	if !reflect.DeepEqual(faults, want) {
		t.Fatalf("GET faults = %+v", faults)
	}
	if code := adminDo(t, http.MethodPut, env.URL+"/admin/faults", `{"X":{"rate":7}}`, nil); code != 400 {
		t.Fatalf("bad PUT faults: %d", code)
	}
	var cleared map[string]ensemulator.Fault
	adminDo(t, http.MethodDelete, env.URL+"/admin/faults", "", &cleared)
	if len(cleared) != 0 || len(env.Emulator.Faults()) != 0 {
		t.Fatalf("after DELETE: %+v", cleared)
	}

	// The admin API cannot change the inventory.
	before := env.Emulator.Inventory()
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		if code := adminDo(t, m, env.URL+"/admin/inventory", `{}`, nil); code != http.StatusMethodNotAllowed {
			t.Fatalf("%s /admin/inventory: %d", m, code)
		}
	}
	if code := adminDo(t, http.MethodGet, env.URL+"/admin/nothing", "", nil); code != 404 {
		t.Fatalf("unknown admin path: %d", code)
	}
	if !reflect.DeepEqual(before, env.Emulator.Inventory()) {
		t.Fatal("admin calls changed the inventory")
	}
}

func TestStateFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	env := emulatortest.Start(t, emulatortest.WithStateFile(path), emulatortest.WithSeed(3))
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "persisted")
	if err := createTCP(c, lb, 443, 30443); err != nil {
		t.Fatal(err)
	}
	if _, err := addBackends(c, lb, backend("i-hefei-1", "", "30443", "50")); err != nil {
		t.Fatal(err)
	}
	eip := createEIP(t, c, hefei, "persisted")
	assoc := ens.CreateAssociateEnsEipAddressRequest()
	assoc.AllocationId, assoc.InstanceId, assoc.InstanceType = eip, lb, "SlbInstance"
	must[*ens.AssociateEnsEipAddressResponse](t)(c.AssociateEnsEipAddress(assoc))
	want := env.Emulator.Inventory()

	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no state file after mutations: %v", err)
	}
	// A fresh emulator ignores its seed inventory when the state file exists.
	empty := ensemulator.Inventory{}
	again := emulatortest.Start(t, emulatortest.WithStateFile(path), emulatortest.WithInventory(empty))
	if got := again.Emulator.Inventory(); !reflect.DeepEqual(got, want) {
		t.Fatalf("reloaded inventory differs:\n got %+v\nwant %+v", got, want)
	}
	if err := again.Emulator.SaveState(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestInventoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inv.yaml")
	doc := `regions: [{id: r1}]
networks:
- id: n1
  regionId: r1
  cidr: 192.168.0.0/16
  vSwitches: [{id: v1, cidr: 192.168.5.0/24}]
instances:
- {id: i-1, regionId: r1, networkId: n1, vSwitchId: v1, privateIp: 192.168.5.7}
loadBalancers:
- {id: lb-seeded, name: seeded, regionId: r1, networkId: n1, vSwitchId: v1}
eips:
- {id: eip-seeded, regionId: r1, bandwidth: 5}
`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err := ensemulator.LoadInventoryFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := emulatortest.Start(t, emulatortest.WithInventory(inv))
	c := newClient(t, env)
	id := createLB(t, c, "in-r1", "r1", "n1", "v1")
	got := env.Emulator.Inventory()
	if lb := got.LoadBalancer(id); lb == nil || lb.Address != "192.168.5.101" || got.Instances[0].Status != "Running" {
		t.Fatalf("seeded emulator: %+v", got)
	}
	if lb := got.LoadBalancer("lb-seeded"); lb.Address != "192.168.5.100" || lb.Status != "Active" || lb.Spec != "elb.s2.small" {
		t.Fatalf("seeded ELB without address or status: %+v", lb)
	}
	if eip := got.EIP("eip-seeded"); eip.Address == "" || eip.Status != "Available" {
		t.Fatalf("seeded EIP without address: %+v", eip)
	}

	bad := []string{
		"regions: [{id: r1}, {id: r1}]",
		"networks: [{id: n1, regionId: nowhere}]",
		"regions: [{id: r1}]\ninstances: [{id: i1, regionId: r1, networkId: n9, vSwitchId: v1}]",
		"regions: [{id: r1}]\neips: [{id: e1, regionId: r1, instanceId: lb-none}]",
	}
	for _, doc := range bad {
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		inv, err := ensemulator.LoadInventoryFile(path)
		if err == nil {
			_, err = ensemulator.New(ensemulator.Config{Inventory: &inv})
		}
		if err == nil {
			t.Errorf("%q: want an error", doc)
		}
	}
	if _, err := ensemulator.LoadInventoryFile(path + ".missing"); err == nil {
		t.Error("missing inventory file: want an error")
	}
}

// TestConcurrentCalls hits one emulator from many goroutines. Each has
// its own SDK client: the SDK's Client itself is not safe for concurrent
// calls (DoAction writes client.httpClient.Timeout every time).
func TestConcurrentCalls(t *testing.T) {
	env := emulatortest.Start(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			c := newClient(t, env)
			_, err := c.CreateLoadBalancer(lbRequest(fmt.Sprint("c", i), ""))
			errs <- err
		}()
		go func() {
			defer wg.Done()
			c := newClient(t, env)
			req := ens.CreateCreateLoadBalancerTCPListenerRequest()
			req.LoadBalancerId, req.ListenerPort, req.BackendServerPort = "lb-hefei-existing", requests.NewInteger(1000+i), requests.NewInteger(30000)
			_, err := c.CreateLoadBalancerTCPListener(req)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	inv := env.Emulator.Inventory()
	addrs := map[string]bool{}
	for _, lb := range inv.LoadBalancers {
		addrs[lb.Address] = true
	}
	if len(inv.LoadBalancers) != 22 || len(addrs) != 22 || len(inv.LoadBalancer("lb-hefei-existing").Listeners) != 20 {
		t.Fatalf("ELBs %d, distinct addresses %d", len(inv.LoadBalancers), len(addrs))
	}
}

// TestActionsCoverTheSDKCalls pins the list of implemented actions.
func TestActionsCoverTheSDKCalls(t *testing.T) {
	want := "AddBackendServers,AssociateEnsEipAddress,CreateEipInstance,CreateLoadBalancer,CreateLoadBalancerHTTPListener," +
		"CreateLoadBalancerHTTPSListener,CreateLoadBalancerTCPListener,CreateLoadBalancerUDPListener,DeleteLoadBalancerListener," +
		"DescribeEnsEipAddresses,DescribeEnsRegions,DescribeInstances,DescribeLoadBalancerAttribute," +
		"DescribeLoadBalancerHTTPListenerAttribute,DescribeLoadBalancerHTTPSListenerAttribute,DescribeLoadBalancerListeners," +
		"DescribeLoadBalancerTCPListenerAttribute,DescribeLoadBalancerUDPListenerAttribute,DescribeLoadBalancers," +
		"DescribeNetworks,ModifyEnsEipAddressAttribute,ReleaseInstance,RemoveBackendServers,SetBackendServers," +
		"SetLoadBalancerHTTPListenerAttribute,SetLoadBalancerHTTPSListenerAttribute,SetLoadBalancerStatus," +
		"SetLoadBalancerTCPListenerAttribute,SetLoadBalancerUDPListenerAttribute,StartLoadBalancerListener," +
		"StopLoadBalancerListener,UnAssociateEnsEipAddress"
	if got := strings.Join(ensemulator.Actions(), ","); got != want {
		t.Fatalf("actions:\n got %s\nwant %s", got, want)
	}
}
