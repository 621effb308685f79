package ensemulator_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

const transition = 2 * time.Second

// startTransitioning is an emulator with both transition delays on a
// clock the test moves.
func startTransitioning(t *testing.T, clock *fakeClock, opts ...emulatortest.Option) *emulatortest.Env {
	t.Helper()
	opts = append(opts, emulatortest.WithClock(clock.Now), emulatortest.WithConfig(func(c *ensemulator.Config) {
		c.ListenerTransitionDelay, c.EIPTransitionDelay = transition, transition
	}))
	return emulatortest.Start(t, opts...)
}

func instanceStatus(t *testing.T, c *ens.Client, id string) string {
	t.Helper()
	req := ens.CreateDescribeInstancesRequest()
	req.InstanceId = id
	list := must[*ens.DescribeInstancesResponse](t)(c.DescribeInstances(req)).Instances.Instance
	if len(list) != 1 {
		t.Fatalf("DescribeInstances %s: %d instances", id, len(list))
	}
	return list[0].Status
}

func TestSetInstanceStatus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	env := emulatortest.Start(t, emulatortest.WithStateFile(path))
	c := newClient(t, env)
	emu := env.Emulator
	lb := createHefeiLB(t, c, "instances")
	must[*ens.AddBackendServersResponse](t)(addBackends(c, lb, backend("i-hefei-1", "", "30080", "100")))

	if err := emu.SetInstanceStatus("i-hefei-1", "Stopped"); err != nil {
		t.Fatal(err)
	}
	if got := instanceStatus(t, c, "i-hefei-1"); got != "Stopped" {
		t.Fatalf("DescribeInstances status = %q, want Stopped", got)
	}
	// Like ENS, the stopped instance stays a backend but cannot be added.
	if bs := emu.Inventory().LoadBalancer(lb).Backends; len(bs) != 1 || bs[0].ServerID != "i-hefei-1" {
		t.Fatalf("backends after stop = %+v", bs)
	}
	_, err := addBackends(c, lb, backend("i-hefei-1", "", "30081", "100"))
	wantCode(t, err, "IncorrectInstanceStatus", 400)

	if err := emu.SetInstanceStatus("i-hefei-1", "Expired"); err != nil {
		t.Fatal(err)
	}
	if got := instanceStatus(t, c, "i-hefei-1"); got != "Expired" {
		t.Fatalf("status = %q, want Expired", got)
	}
	if err := emu.SetInstanceStatus("i-hefei-1", "Running"); err != nil {
		t.Fatal(err)
	}
	must[*ens.AddBackendServersResponse](t)(addBackends(c, lb, backend("i-hefei-1", "", "30081", "100")))
	if n := len(emu.Inventory().LoadBalancer(lb).Backends); n != 2 {
		t.Fatalf("%d backends after restart, want 2", n)
	}

	for _, bad := range [][2]string{{"i-hefei-1", "Paused"}, {"i-hefei-1", "running"}, {"i-nope", "Stopped"}} {
		if err := emu.SetInstanceStatus(bad[0], bad[1]); err == nil {
			t.Errorf("SetInstanceStatus(%q, %q) = nil, want an error", bad[0], bad[1])
		}
	}
	if err := emu.SetInstanceStatus("i-chengdu-2", "Stopped"); err != nil {
		t.Fatal(err)
	}
	reloaded, err := ensemulator.LoadInventoryFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range reloaded.Instances {
		if want := map[bool]string{true: "Stopped", false: "Running"}[in.ID == "i-chengdu-2"]; in.Status != want {
			t.Errorf("state file: %s is %s, want %s", in.ID, in.Status, want)
		}
	}
}

func describeTCP(t *testing.T, c *ens.Client, lb string, port int) string {
	t.Helper()
	req := ens.CreateDescribeLoadBalancerTCPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lb, requests.NewInteger(port)
	return must[*ens.DescribeLoadBalancerTCPListenerAttributeResponse](t)(c.DescribeLoadBalancerTCPListenerAttribute(req)).Status
}

func listenerStatuses(t *testing.T, c *ens.Client, env *emulatortest.Env, lb string, port int) (api, summary, inv string) {
	t.Helper()
	req := ens.CreateDescribeLoadBalancerListenersRequest()
	req.LoadBalancerId = lb
	ls := must[*ens.DescribeLoadBalancerListenersResponse](t)(c.DescribeLoadBalancerListeners(req)).Listeners.Listener
	for _, l := range ls {
		if l.ListenerPort == strconv.Itoa(port) {
			summary = l.Status
		}
	}
	return describeTCP(t, c, lb, port), summary, listenerOf(t, env, lb, port, "TCP").Status
}

func wantListenerStatus(t *testing.T, c *ens.Client, env *emulatortest.Env, lb string, port int, want string) {
	t.Helper()
	// DescribeLoadBalancerListeners answers lower case (ens-openapi.md).
	if api, summary, inv := listenerStatuses(t, c, env, lb, port); api != want || summary != strings.ToLower(want) || inv != want {
		t.Fatalf("listener %d status: attribute %q, list %q, inventory %q; want %s", port, api, summary, inv, want)
	}
}

func TestListenerTransitions(t *testing.T) {
	clock := newFakeClock()
	env := startTransitioning(t, clock)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "transitions")
	if err := createTCP(c, lb, 80, 30080); err != nil {
		t.Fatal(err)
	}
	wantListenerStatus(t, c, env, lb, 80, "Stopped") // created Stopped, no transition

	start := ens.CreateStartLoadBalancerListenerRequest()
	start.LoadBalancerId, start.ListenerPort, start.ListenerProtocol = lb, requests.NewInteger(80), "tcp"
	must[*ens.StartLoadBalancerListenerResponse](t)(c.StartLoadBalancerListener(start))
	wantListenerStatus(t, c, env, lb, 80, "Starting")

	// Changes are refused until the listener settles.
	_, err := c.StartLoadBalancerListener(start)
	wantCode(t, err, ensemulator.CodeIncorrectListenerStatus, 400)
	set := ens.CreateSetLoadBalancerTCPListenerAttributeRequest()
	set.LoadBalancerId, set.ListenerPort, set.Scheduler = lb, requests.NewInteger(80), "wlc"
	_, err = c.SetLoadBalancerTCPListenerAttribute(set)
	wantCode(t, err, ensemulator.CodeIncorrectListenerStatus, 400)
	if l := listenerOf(t, env, lb, 80, "TCP"); l.Scheduler != "wrr" || l.SettleTo != "Running" {
		t.Fatalf("refused Set changed the listener: %+v", l)
	}

	clock.Advance(transition - time.Millisecond)
	wantListenerStatus(t, c, env, lb, 80, "Starting")
	clock.Advance(time.Millisecond)
	wantListenerStatus(t, c, env, lb, 80, "Running")
	if l := listenerOf(t, env, lb, 80, "TCP"); l.SettleAt != nil || l.SettleTo != "" {
		t.Fatalf("settled listener keeps its transition: %+v", l)
	}

	// Starting a Running listener again changes nothing.
	must[*ens.StartLoadBalancerListenerResponse](t)(c.StartLoadBalancerListener(start))
	wantListenerStatus(t, c, env, lb, 80, "Running")

	set.Scheduler = "rr"
	must[*ens.SetLoadBalancerTCPListenerAttributeResponse](t)(c.SetLoadBalancerTCPListenerAttribute(set))
	wantListenerStatus(t, c, env, lb, 80, "Configuring")
	clock.Advance(transition)
	wantListenerStatus(t, c, env, lb, 80, "Running")
	if l := listenerOf(t, env, lb, 80, "TCP"); l.Scheduler != "rr" {
		t.Fatalf("scheduler after Set = %q", l.Scheduler)
	}

	stop := ens.CreateStopLoadBalancerListenerRequest()
	stop.LoadBalancerId, stop.ListenerPort = lb, requests.NewInteger(80)
	must[*ens.StopLoadBalancerListenerResponse](t)(c.StopLoadBalancerListener(stop))
	wantListenerStatus(t, c, env, lb, 80, "Stopping")
	clock.Advance(transition)
	wantListenerStatus(t, c, env, lb, 80, "Stopped")

	// Real ENS deletes a stopped listener only: one in transition or
	// running is refused.
	must[*ens.StartLoadBalancerListenerResponse](t)(c.StartLoadBalancerListener(start))
	del := ens.CreateDeleteLoadBalancerListenerRequest()
	del.LoadBalancerId, del.ListenerPort, del.ListenerProtocol = lb, requests.NewInteger(80), "TCP"
	_, err = c.DeleteLoadBalancerListener(del)
	wantCode(t, err, ensemulator.CodeIncorrectListenerStatus, 400)
	clock.Advance(transition)
	_, err = c.DeleteLoadBalancerListener(del)
	wantCode(t, err, ensemulator.CodeIncorrectListenerStatus, 400)
	must[*ens.StopLoadBalancerListenerResponse](t)(c.StopLoadBalancerListener(stop))
	clock.Advance(transition)
	must[*ens.DeleteLoadBalancerListenerResponse](t)(c.DeleteLoadBalancerListener(del))
	if l := listenerOf(t, env, lb, 80, "TCP"); l != nil {
		t.Fatalf("deleted listener still there: %+v", l)
	}
}

func TestTransitionsOffByDefault(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "instant")
	if err := createTCP(c, lb, 80, 30080); err != nil {
		t.Fatal(err)
	}
	start := ens.CreateStartLoadBalancerListenerRequest()
	start.LoadBalancerId, start.ListenerPort = lb, requests.NewInteger(80)
	must[*ens.StartLoadBalancerListenerResponse](t)(c.StartLoadBalancerListener(start))
	wantListenerStatus(t, c, env, lb, 80, "Running")
	id := createEIP(t, c, hefei, "instant")
	associate(t, c, id, lb)
	if e := env.Emulator.Inventory().EIP(id); e.Status != "InUse" || e.InstanceID != lb || e.SettleAt != nil {
		t.Fatalf("EIP after associate = %+v", e)
	}
}

func associate(t *testing.T, c *ens.Client, eip, lb string) {
	t.Helper()
	req := ens.CreateAssociateEnsEipAddressRequest()
	req.AllocationId, req.InstanceId, req.InstanceType = eip, lb, "SlbInstance"
	must[*ens.AssociateEnsEipAddressResponse](t)(c.AssociateEnsEipAddress(req))
}

// eipState is an EIP as DescribeEnsEipAddresses shows it and in the inventory.
func eipState(t *testing.T, c *ens.Client, env *emulatortest.Env, id string) (status, instance string) {
	t.Helper()
	req := ens.CreateDescribeEnsEipAddressesRequest()
	req.AllocationId = id
	list := must[*ens.DescribeEnsEipAddressesResponse](t)(c.DescribeEnsEipAddresses(req)).EipAddresses.EipAddress
	inv := env.Emulator.Inventory().EIP(id)
	if len(list) != 1 || inv == nil || list[0].Status != inv.Status || list[0].InstanceId != inv.InstanceID {
		t.Fatalf("EIP %s: API %+v, inventory %+v", id, list, inv)
	}
	return inv.Status, inv.InstanceID
}

func wantEIPState(t *testing.T, c *ens.Client, env *emulatortest.Env, id, status, instance string) {
	t.Helper()
	if st, in := eipState(t, c, env, id); st != status || in != instance {
		t.Fatalf("EIP %s is %s on %q, want %s on %q", id, st, in, status, instance)
	}
}

func TestEIPTransitions(t *testing.T) {
	clock := newFakeClock()
	env := startTransitioning(t, clock)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "eip-transitions")
	id, other := createEIP(t, c, hefei, "first"), createEIP(t, c, hefei, "second")

	associate(t, c, id, lb)
	wantEIPState(t, c, env, id, "Associating", lb)
	byStatus := ens.CreateDescribeEnsEipAddressesRequest()
	byStatus.Status = "Associating"
	if list := must[*ens.DescribeEnsEipAddressesResponse](t)(c.DescribeEnsEipAddresses(byStatus)).EipAddresses.EipAddress; len(list) != 1 || list[0].AllocationId != id {
		t.Fatalf("Status=Associating filter = %+v", list)
	}
	// The ELB is taken; the EIP can be neither unassociated nor released yet.
	req := ens.CreateAssociateEnsEipAddressRequest()
	req.AllocationId, req.InstanceId, req.InstanceType = other, lb, "SlbInstance"
	_, err := c.AssociateEnsEipAddress(req)
	wantCode(t, err, "IncorrectInstanceStatus", 400)
	un := ens.CreateUnAssociateEnsEipAddressRequest()
	un.AllocationId = id
	_, err = c.UnAssociateEnsEipAddress(un)
	wantCode(t, err, "IncorrectEipStatus", 400)
	rel := ens.CreateReleaseInstanceRequest()
	rel.InstanceId = id
	_, err = c.ReleaseInstance(rel)
	wantCode(t, err, "IncorrectEipStatus", 400)

	clock.Advance(transition)
	wantEIPState(t, c, env, id, "InUse", lb)

	must[*ens.UnAssociateEnsEipAddressResponse](t)(c.UnAssociateEnsEipAddress(un))
	wantEIPState(t, c, env, id, "Unassociating", lb)
	_, err = c.ReleaseInstance(rel)
	wantCode(t, err, "IncorrectEipStatus", 400)
	_, err = c.AssociateEnsEipAddress(req) // still bound until settled
	wantCode(t, err, "IncorrectInstanceStatus", 400)
	clock.Advance(transition)
	wantEIPState(t, c, env, id, "Available", "")
	must[*ens.ReleaseInstanceResponse](t)(c.ReleaseInstance(rel))
	if env.Emulator.Inventory().EIP(id) != nil {
		t.Fatal("released EIP still in the inventory")
	}
}

// Releasing an ELB frees an EIP that is still associating with it for good.
func TestReleaseLBDuringEIPTransition(t *testing.T) {
	clock := newFakeClock()
	env := startTransitioning(t, clock)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "going")
	id := createEIP(t, c, hefei, "left")
	associate(t, c, id, lb)
	rel := ens.CreateReleaseInstanceRequest()
	rel.InstanceId = lb
	must[*ens.ReleaseInstanceResponse](t)(c.ReleaseInstance(rel))
	wantEIPState(t, c, env, id, "Available", "")
	clock.Advance(transition)
	wantEIPState(t, c, env, id, "Available", "")
}

// A state file written mid-transition resumes it after a restart.
func TestTransitionSurvivesRestart(t *testing.T) {
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "state.json")
	env := startTransitioning(t, clock, emulatortest.WithStateFile(path))
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "restart")
	if err := createTCP(c, lb, 80, 30080); err != nil {
		t.Fatal(err)
	}
	start := ens.CreateStartLoadBalancerListenerRequest()
	start.LoadBalancerId, start.ListenerPort = lb, requests.NewInteger(80)
	must[*ens.StartLoadBalancerListenerResponse](t)(c.StartLoadBalancerListener(start))
	id := createEIP(t, c, hefei, "restart")
	associate(t, c, id, lb)

	again := startTransitioning(t, clock, emulatortest.WithStateFile(path))
	c2 := newClient(t, again)
	wantListenerStatus(t, c2, again, lb, 80, "Starting")
	wantEIPState(t, c2, again, id, "Associating", lb)
	clock.Advance(transition)
	wantListenerStatus(t, c2, again, lb, 80, "Running")
	wantEIPState(t, c2, again, id, "InUse", lb)
}
