package ens_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens/enstest"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

const (
	region  = "cn-hefei-cmcc-2"
	network = "n-hefei"
	vswitch = "vsw-hefei-1"
)

func start(t *testing.T, opts ...emulatortest.Option) (*emulatortest.Env, *ens.Client) {
	t.Helper()
	env := emulatortest.Start(t, opts...)
	return env, enstest.NewClient(t, env)
}

func createLB(t *testing.T, c *ens.Client, name string) string {
	t.Helper()
	id, err := c.CreateLoadBalancer(context.Background(), cloud.CreateLoadBalancerRequest{
		Name: name, RegionID: region, NetworkID: network, VSwitchID: vswitch, Spec: "elb.s2.small", PayType: "PostPaid",
	})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	return id
}

func TestLoadBalancerLifecycle(t *testing.T) {
	ctx := context.Background()
	env, c := start(t)
	req := cloud.CreateLoadBalancerRequest{Name: "k8s/svc/ns/pool/cluster", RegionID: region, NetworkID: network,
		VSwitchID: vswitch, Spec: "elb.s2.small", PayType: "PostPaid", ClientToken: "token-1"}
	id, err := c.CreateLoadBalancer(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateLoadBalancer(ctx, req)
	if err != nil || again != id {
		t.Fatalf("retried create = %q, %v; want the same ELB %q", again, err, id)
	}
	inv := env.Emulator.Inventory()
	if len(inv.LoadBalancers) != 3 || inv.LoadBalancer(id) == nil || inv.LoadBalancer(id).Name != req.Name {
		t.Fatalf("inventory has %d ELBs, want the 2 seeded and %s", len(inv.LoadBalancers), id)
	}

	lb, err := c.DescribeLoadBalancer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := &cloud.LoadBalancer{ID: id, Name: req.Name, RegionID: region, NetworkID: network, VSwitchID: vswitch,
		Spec: "elb.s2.small", PayType: "PostPaid", Status: lb.Status, Address: inv.LoadBalancer(id).Address}
	if diff := cmp.Diff(want, lb); diff != "" || lb.Address == "" {
		t.Errorf("DescribeLoadBalancer (-want +got):\n%s", diff)
	}

	list, err := c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{Name: req.Name, RegionID: region})
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].VSwitchID != vswitch {
		t.Errorf("ListLoadBalancers by name = %+v, %v", list, err)
	}
	list, err = c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{ID: "lb-hefei-existing"})
	if err != nil || len(list) != 1 || list[0].Name != "user-elb-hefei" || list[0].Status != cloud.LoadBalancerActive {
		t.Errorf("ListLoadBalancers by id = %+v, %v", list, err)
	}

	if err := c.SetLoadBalancerStatus(ctx, "lb-hefei-existing", cloud.LoadBalancerInActive); err != nil {
		t.Fatal(err)
	}
	if got := env.Emulator.Inventory().LoadBalancer("lb-hefei-existing").Status; got != cloud.LoadBalancerInActive {
		t.Errorf("status after SetLoadBalancerStatus = %s", got)
	}

	if err := c.ReleaseLoadBalancer(ctx, id); err != nil {
		t.Fatal(err)
	}
	if env.Emulator.Inventory().LoadBalancer(id) != nil {
		t.Error("released ELB still in the inventory")
	}
	if _, err := c.DescribeLoadBalancer(ctx, id); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("Describe released ELB: %v, want ErrNotFound", err)
	}
	if err := c.ReleaseLoadBalancer(ctx, id); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("Release released ELB: %v, want ErrNotFound", err)
	}
}

func TestListenerLifecycle(t *testing.T) {
	ctx := context.Background()
	for _, proto := range []string{ens.ProtocolTCP, ens.ProtocolUDP, ens.ProtocolHTTP, ens.ProtocolHTTPS} {
		t.Run(proto, func(t *testing.T) {
			env, c := start(t)
			lbID := "lb-hefei-existing"
			l := cloud.Listener{Port: 8080, Protocol: proto, BackendPort: 30080, Description: "k8s/svc/ns", Scheduler: "wrr",
				HealthyThreshold: 4, UnhealthyThreshold: 5, HealthCheckInterval: 6, HealthCheckConnectTimeout: 7}
			switch proto {
			case ens.ProtocolTCP:
				l.PersistenceTimeout, l.EstablishedTimeout = 300, 600
			case ens.ProtocolUDP:
				l.EstablishedTimeout = 600
			case ens.ProtocolHTTPS:
				l.ServerCertificateID = "cert-1"
			}
			if err := c.CreateListener(ctx, lbID, l); err != nil {
				t.Fatal(err)
			}
			got, err := c.DescribeListener(ctx, lbID, 8080, proto)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(got.Status, cloud.ListenerStopped) {
				t.Errorf("new listener status %q, want stopped", got.Status)
			}
			want := l
			want.Status = got.Status
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Errorf("DescribeListener (-want +got):\n%s", diff)
			}

			// Update: a new description and scheduler; TCP persistence back to 0 (off).
			l.Description, l.Scheduler, l.PersistenceTimeout, l.HealthyThreshold = "updated", "rr", 0, 2
			if err := c.UpdateListener(ctx, lbID, l); err != nil {
				t.Fatal(err)
			}
			il := env.Emulator.Inventory().LoadBalancer(lbID).Listeners[0]
			if il.Description != "updated" || il.Scheduler != "rr" || il.PersistenceTimeout != 0 || il.HealthyThreshold != 2 || il.BackendServerPort != 30080 {
				t.Errorf("inventory listener after update: %+v", il)
			}

			if err := c.StartListener(ctx, lbID, 8080, proto); err != nil {
				t.Fatal(err)
			}
			list, err := c.ListListeners(ctx, lbID)
			if err != nil || len(list) != 1 || list[0].Port != 8080 || list[0].Protocol != proto ||
				list[0].BackendPort != 30080 || list[0].Description != "updated" || !strings.EqualFold(list[0].Status, cloud.ListenerRunning) {
				t.Errorf("ListListeners after start = %+v, %v", list, err)
			}
			if err := c.StopListener(ctx, lbID, 8080, proto); err != nil {
				t.Fatal(err)
			}
			if s := env.Emulator.Inventory().LoadBalancer(lbID).Listeners[0].Status; !strings.EqualFold(s, cloud.ListenerStopped) {
				t.Errorf("status after stop = %s", s)
			}
			lb, err := c.DescribeLoadBalancer(ctx, lbID)
			if err != nil || len(lb.Listeners) != 1 || lb.Listeners[0].Protocol != proto || lb.Listeners[0].BackendPort != 30080 {
				t.Errorf("DescribeLoadBalancer listeners = %+v, %v", lb, err)
			}
			if err := c.DeleteListener(ctx, lbID, 8080, proto); err != nil {
				t.Fatal(err)
			}
			if n := len(env.Emulator.Inventory().LoadBalancer(lbID).Listeners); n != 0 {
				t.Errorf("%d listeners left after delete", n)
			}
			if _, err := c.DescribeListener(ctx, lbID, 8080, proto); !errors.Is(err, cloud.ErrNotFound) {
				t.Errorf("Describe deleted listener: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestListenerRules(t *testing.T) {
	ctx := context.Background()
	env, c := start(t)
	lbID := "lb-hefei-existing"
	tcp := cloud.Listener{Port: 80, Protocol: ens.ProtocolTCP, BackendPort: 30080}
	if err := c.CreateListener(ctx, lbID, tcp); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateListener(ctx, lbID, tcp); !errors.Is(err, cloud.ErrConflict) || ens.Retryable(err) {
		t.Errorf("duplicate listener: %v, want a non-retryable ErrConflict", err)
	}
	http := cloud.Listener{Port: 80, Protocol: ens.ProtocolHTTP, BackendPort: 30081}
	if err := c.CreateListener(ctx, lbID, http); !errors.Is(err, cloud.ErrConflict) {
		t.Errorf("HTTP on a TCP port: %v, want ErrConflict", err)
	}
	bad := cloud.Listener{Port: 81, Protocol: ens.ProtocolTCP, BackendPort: 30081, Scheduler: "nope"}
	if err := c.CreateListener(ctx, lbID, bad); !errors.Is(err, cloud.ErrInvalidInput) {
		t.Errorf("bad scheduler: %v, want ErrInvalidInput", err)
	}
	if err := c.CreateListener(ctx, "lb-missing", tcp); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("listener on a missing ELB: %v, want ErrNotFound", err)
	}
	env.Emulator.ResetCalls()
	sctp := cloud.Listener{Port: 82, Protocol: "SCTP", BackendPort: 1}
	for name, err := range map[string]error{
		"create":   c.CreateListener(ctx, lbID, sctp),
		"update":   c.UpdateListener(ctx, lbID, sctp),
		"describe": second(c.DescribeListener(ctx, lbID, 82, "SCTP")),
	} {
		if !errors.Is(err, cloud.ErrInvalidInput) {
			t.Errorf("%s SCTP: %v, want ErrInvalidInput", name, err)
		}
	}
	if calls := env.Emulator.Calls(); len(calls) != 0 {
		t.Errorf("unsupported protocols reached ENS: %v", calls)
	}
	if n := len(env.Emulator.Inventory().LoadBalancer(lbID).Listeners); n != 1 {
		t.Errorf("inventory has %d listeners, want only the first TCP one", n)
	}
}

func second[T any](_ T, err error) error { return err }

// manyInstances seeds n Running instances in the hefei network.
func manyInstances(n int) []ensemulator.Instance {
	out := make([]ensemulator.Instance, n)
	for i := range out {
		out[i] = ensemulator.Instance{ID: fmt.Sprintf("i-many-%03d", i), RegionID: region, NetworkID: network,
			VSwitchID: vswitch, Status: "Running", PrivateIP: fmt.Sprintf("10.1.%d.%d", 10+i/200, 1+i%200)}
	}
	return out
}

func TestBackendsBatched(t *testing.T) {
	ctx := context.Background()
	inv := ensemulator.DefaultInventory()
	inv.Instances = append(inv.Instances, manyInstances(45)...)
	env, c := start(t, emulatortest.WithInventory(inv))
	lbID := "lb-hefei-existing"
	var backends []cloud.Backend
	for _, in := range manyInstances(45) {
		backends = append(backends, cloud.Backend{ServerID: in.ID, IP: in.PrivateIP, Port: 30080, Weight: 100})
	}

	if err := c.AddBackends(ctx, lbID, backends); err != nil {
		t.Fatal(err)
	}
	if got := env.Emulator.Calls()["AddBackendServers"]; got != 3 {
		t.Errorf("AddBackendServers calls = %d, want ceil(45/20) = 3", got)
	}
	got := env.Emulator.Inventory().LoadBalancer(lbID).Backends
	wantInv := make([]ensemulator.Backend, 0, len(backends))
	for _, b := range backends {
		wantInv = append(wantInv, ensemulator.Backend{ServerID: b.ServerID, Type: cloud.BackendTypeENS, IP: b.IP, Port: b.Port, Weight: 100})
	}
	byID := cmpopts.SortSlices(func(a, b ensemulator.Backend) bool { return a.ServerID < b.ServerID })
	if diff := cmp.Diff(wantInv, got, byID); diff != "" {
		t.Errorf("inventory backends (-want +got):\n%s", diff)
	}

	for i := range backends {
		backends[i].Weight = 40
	}
	if err := c.SetBackendWeights(ctx, lbID, backends); err != nil {
		t.Fatal(err)
	}
	if got := env.Emulator.Calls()["SetBackendServers"]; got != 3 {
		t.Errorf("SetBackendServers calls = %d, want 3", got)
	}
	lb, err := c.DescribeLoadBalancer(ctx, lbID)
	if err != nil || len(lb.Backends) != 45 || slices.ContainsFunc(lb.Backends, func(b cloud.Backend) bool {
		return b.Weight != 40 || b.Port != 30080 || b.Type != cloud.BackendTypeENS || b.IP == ""
	}) {
		t.Errorf("DescribeLoadBalancer backends after SetBackendWeights = %+v, %v", lb, err)
	}

	backends[0].Type = cloud.BackendTypeENS
	backends[1].Port = 0 // every port of the server
	if err := c.RemoveBackends(ctx, lbID, backends[:21]); err != nil {
		t.Fatal(err)
	}
	if got := env.Emulator.Calls()["RemoveBackendServers"]; got != 2 {
		t.Errorf("RemoveBackendServers calls = %d, want 2", got)
	}
	if n := len(env.Emulator.Inventory().LoadBalancer(lbID).Backends); n != 24 {
		t.Errorf("%d backends left, want 24", n)
	}
	env.Emulator.ResetCalls()
	for _, fn := range []func(context.Context, string, []cloud.Backend) error{c.AddBackends, c.RemoveBackends, c.SetBackendWeights} {
		if err := fn(ctx, lbID, nil); err != nil {
			t.Errorf("empty batch: %v", err)
		}
	}
	if calls := env.Emulator.Calls(); len(calls) != 0 {
		t.Errorf("empty batches made calls: %v", calls)
	}
}

// TestBackendsPerInstance checks ens-openapi.md, Backends: "Port optional
// (DescribeLoadBalancerAttribute samples show Port "0" as a string)" and
// The product contract's "one entry per ENS instance (ServerId, Type ens, Weight; Port
// left out or 0)": a Backend with Port 0 goes out without a port and reads
// back as Port 0.
func TestBackendsPerInstance(t *testing.T) {
	ctx := context.Background()
	env, c := start(t)
	lbID := "lb-hefei-existing"
	backends := []cloud.Backend{{ServerID: "i-hefei-1", Weight: 100}, {ServerID: "i-hefei-2", Weight: 0}}
	if err := c.AddBackends(ctx, lbID, backends); err != nil {
		t.Fatal(err)
	}
	want := []ensemulator.Backend{
		{ServerID: "i-hefei-1", Type: cloud.BackendTypeENS, IP: "10.1.0.11", Port: 0, Weight: 100},
		{ServerID: "i-hefei-2", Type: cloud.BackendTypeENS, IP: "10.1.0.12", Port: 0, Weight: 0},
	}
	if diff := cmp.Diff(want, env.Emulator.Inventory().LoadBalancer(lbID).Backends); diff != "" {
		t.Errorf("inventory backends (-want +got):\n%s", diff)
	}
	lb, err := c.DescribeLoadBalancer(ctx, lbID)
	if err != nil {
		t.Fatal(err)
	}
	wantRead := []cloud.Backend{
		{ServerID: "i-hefei-1", Type: cloud.BackendTypeENS, IP: "10.1.0.11", Weight: 100},
		{ServerID: "i-hefei-2", Type: cloud.BackendTypeENS, IP: "10.1.0.12", Weight: 0},
	}
	if diff := cmp.Diff(wantRead, lb.Backends); diff != "" {
		t.Errorf("DescribeLoadBalancer backends (-want +got):\n%s", diff)
	}
	backends[1].Weight = 60
	if err := c.SetBackendWeights(ctx, lbID, backends[1:]); err != nil {
		t.Fatal(err)
	}
	if w := env.Emulator.Inventory().LoadBalancer(lbID).Backends[1].Weight; w != 60 {
		t.Errorf("weight after SetBackendWeights = %d, want 60", w)
	}
	if err := c.RemoveBackends(ctx, lbID, backends); err != nil {
		t.Fatal(err)
	}
	if b := env.Emulator.Inventory().LoadBalancer(lbID).Backends; len(b) != 0 {
		t.Errorf("backends left after RemoveBackends: %+v", b)
	}
}

func TestBackendErrorsStopTheBatches(t *testing.T) {
	ctx := context.Background()
	inv := ensemulator.DefaultInventory()
	inv.Instances = append(inv.Instances, manyInstances(25)...)
	env, c := start(t, emulatortest.WithInventory(inv))
	var backends []cloud.Backend
	for _, in := range manyInstances(25) {
		backends = append(backends, cloud.Backend{ServerID: in.ID, Port: 30080, Weight: 100})
	}
	backends[22].ServerID = "i-missing"
	if err := c.AddBackends(ctx, "lb-hefei-existing", backends); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("AddBackends with a missing instance: %v, want ErrNotFound", err)
	}
	if n := len(env.Emulator.Inventory().LoadBalancer("lb-hefei-existing").Backends); n != 20 {
		t.Errorf("%d backends added, want the first batch of 20", n)
	}
	for name, fn := range map[string]func(context.Context, string, []cloud.Backend) error{
		"remove": c.RemoveBackends, "set": c.SetBackendWeights,
	} {
		if err := fn(ctx, "lb-missing", backends[:1]); !errors.Is(err, cloud.ErrNotFound) {
			t.Errorf("%s on a missing ELB: %v, want ErrNotFound", name, err)
		}
	}
}

func TestEIPLifecycle(t *testing.T) {
	ctx := context.Background()
	env, c := start(t)
	lbID := createLB(t, c, "k8s/eip/ns/pool/cluster")
	req := cloud.CreateEIPRequest{Name: "k8s/eip/ns/pool/cluster", Description: "managed", RegionID: region, Bandwidth: 10,
		ISP: "cmcc", InternetChargeType: "95BandwidthByMonth", InstanceChargeType: "PostPaid", ClientToken: "eip-token"}
	id, err := c.CreateEIP(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := c.CreateEIP(ctx, req); err != nil || again != id {
		t.Errorf("retried CreateEIP = %q, %v; want %q", again, err, id)
	}
	list, err := c.ListEIPs(ctx, cloud.EIPFilter{Name: req.Name, RegionID: region})
	if err != nil || len(list) != 1 {
		t.Fatalf("ListEIPs by name = %+v, %v", list, err)
	}
	want := cloud.EIP{AllocationID: id, Name: req.Name, Description: "managed", IP: env.Emulator.Inventory().EIP(id).Address,
		RegionID: region, Status: cloud.EIPAvailable, Bandwidth: 10, ISP: "cmcc", InternetChargeType: "95BandwidthByMonth",
		InstanceChargeType: "PostPaid"}
	if diff := cmp.Diff(want, list[0]); diff != "" {
		t.Errorf("ListEIPs (-want +got):\n%s", diff)
	}

	if err := c.AssociateEIP(ctx, id, lbID); err != nil {
		t.Fatal(err)
	}
	if e := env.Emulator.Inventory().EIP(id); e.Status != cloud.EIPInUse || e.InstanceID != lbID || e.InstanceType != cloud.EIPInstanceTypeELB {
		t.Errorf("inventory EIP after associate: %+v", e)
	}
	bound, err := c.ListEIPs(ctx, cloud.EIPFilter{AssociatedInstanceID: lbID, AssociatedInstanceType: cloud.EIPInstanceTypeELB})
	if err != nil || len(bound) != 1 || bound[0].AllocationID != id || bound[0].Status != cloud.EIPInUse {
		t.Errorf("ListEIPs by association = %+v, %v", bound, err)
	}
	if err := c.ReleaseEIP(ctx, id); !errors.Is(err, cloud.ErrConflict) || ens.Retryable(err) {
		t.Errorf("release InUse EIP: %v, want ErrConflict", err)
	}
	if env.Emulator.Inventory().EIP(id) == nil {
		t.Fatal("InUse EIP was released")
	}
	if err := c.ModifyEIPBandwidth(ctx, id, 25); err != nil {
		t.Fatal(err)
	}
	if bw := env.Emulator.Inventory().EIP(id).Bandwidth; bw != 25 {
		t.Errorf("bandwidth = %d, want 25", bw)
	}
	if err := c.UnassociateEIP(ctx, id); err != nil {
		t.Fatal(err)
	}
	if e := env.Emulator.Inventory().EIP(id); e.Status != cloud.EIPAvailable || e.InstanceID != "" {
		t.Errorf("inventory EIP after unassociate: %+v", e)
	}
	if err := c.UnassociateEIP(ctx, id); !errors.Is(err, cloud.ErrConflict) {
		t.Errorf("unassociate an Available EIP: %v, want ErrConflict", err)
	}
	if err := c.ReleaseEIP(ctx, id); err != nil {
		t.Fatal(err)
	}
	if env.Emulator.Inventory().EIP(id) != nil {
		t.Error("released EIP still in the inventory")
	}
	if list, err := c.ListEIPs(ctx, cloud.EIPFilter{AllocationID: id}); err != nil || len(list) != 0 {
		t.Errorf("ListEIPs of a released EIP = %+v, %v", list, err)
	}
	for name, err := range map[string]error{
		"associate":   c.AssociateEIP(ctx, "eip-missing", lbID),
		"unassociate": c.UnassociateEIP(ctx, "eip-missing"),
		"modify":      c.ModifyEIPBandwidth(ctx, "eip-missing", 5),
		"release":     c.ReleaseEIP(ctx, "eip-missing"),
	} {
		if !errors.Is(err, cloud.ErrNotFound) {
			t.Errorf("%s a missing EIP: %v, want ErrNotFound", name, err)
		}
	}
	if err := c.ModifyEIPBandwidth(ctx, "eip-hefei-existing", -3); !errors.Is(err, cloud.ErrInvalidInput) {
		t.Errorf("negative bandwidth: %v, want ErrInvalidInput", err)
	}
}

func TestInstancesAndNetworks(t *testing.T) {
	ctx := context.Background()
	_, c := start(t)
	got, err := c.ListInstances(ctx, cloud.InstanceFilter{RegionID: region, NetworkID: network})
	if err != nil {
		t.Fatal(err)
	}
	want := []cloud.Instance{
		{ID: "i-hefei-1", RegionID: region, NetworkID: network, VSwitchID: vswitch, Status: cloud.InstanceRunning, PrivateIP: "10.1.0.11"},
		{ID: "i-hefei-2", RegionID: region, NetworkID: network, VSwitchID: vswitch, Status: cloud.InstanceRunning, PrivateIP: "10.1.0.12"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListInstances (-want +got):\n%s", diff)
	}
	got, err = c.ListInstances(ctx, cloud.InstanceFilter{IDs: []string{"i-chengdu-2", "i-missing"}})
	if err != nil || len(got) != 1 || got[0].ID != "i-chengdu-2" || got[0].PrivateIP != "10.2.0.12" {
		t.Errorf("ListInstances by id = %+v, %v", got, err)
	}
	n, err := c.DescribeNetwork(ctx, network)
	if diff := cmp.Diff(&cloud.Network{ID: network, RegionID: region, VSwitchIDs: []string{"vsw-hefei-1", "vsw-hefei-2"}}, n); err != nil || diff != "" {
		t.Errorf("DescribeNetwork (-want +got) %v:\n%s", err, diff)
	}
	if _, err := c.DescribeNetwork(ctx, "n-missing"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("DescribeNetwork of a missing network: %v, want ErrNotFound", err)
	}
}
