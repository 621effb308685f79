package ensemulator_test

import (
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	ens "github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// TestDeletedPortStaysReleasing checks ens-openapi.md "Lifecycle rules"
// Listeners: after delete a port can stay releasing, and creating the
// listener again answers ListenerAlreadyExists until it is free. The
// releasing port survives a restart (it is in the state file).
func TestDeletedPortStaysReleasing(t *testing.T) {
	const release = 3 * time.Second
	clock := newFakeClock()
	state := t.TempDir() + "/state.json"
	env := emulatortest.Start(t, emulatortest.WithClock(clock.Now), emulatortest.WithStateFile(state),
		emulatortest.WithConfig(func(c *ensemulator.Config) { c.ListenerReleaseDelay = release }))
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "releasing")
	for _, port := range []int{80, 81} {
		if err := createTCP(c, lb, port, 30080); err != nil {
			t.Fatal(err)
		}
	}
	del := ens.CreateDeleteLoadBalancerListenerRequest()
	del.LoadBalancerId, del.ListenerPort = lb, requests.NewInteger(80)
	must[*ens.DeleteLoadBalancerListenerResponse](t)(c.DeleteLoadBalancerListener(del))
	if l := listenerOf(t, env, lb, 80, "TCP"); l != nil {
		t.Fatalf("deleted listener still listed: %+v", l)
	}

	wantCode(t, createTCP(c, lb, 80, 30080), ensemulator.CodeListenerAlreadyExists, 400)
	// HTTP takes the port's TCP side, so it waits too; UDP may share it.
	http := ens.CreateCreateLoadBalancerHTTPListenerRequest()
	http.LoadBalancerId, http.ListenerPort, http.BackendServerPort = lb, requests.NewInteger(80), requests.NewInteger(30080)
	http.Description, http.ListenerForward, http.HealthCheck = "svc default/web", "off", "off"
	_, err := c.CreateLoadBalancerHTTPListener(http)
	wantCode(t, err, ensemulator.CodeListenerAlreadyExists, 400)
	udp := ens.CreateCreateLoadBalancerUDPListenerRequest()
	udp.LoadBalancerId, udp.ListenerPort, udp.BackendServerPort = lb, requests.NewInteger(80), requests.NewInteger(30080)
	udp.Description = "svc default/web"
	must[*ens.CreateLoadBalancerUDPListenerResponse](t)(c.CreateLoadBalancerUDPListener(udp))

	restarted := emulatortest.Start(t, emulatortest.WithClock(clock.Now), emulatortest.WithStateFile(state),
		emulatortest.WithConfig(func(c *ensemulator.Config) { c.ListenerReleaseDelay = release }))
	rc := newClient(t, restarted)
	clock.Advance(release - time.Millisecond)
	wantCode(t, createTCP(rc, lb, 80, 30080), ensemulator.CodeListenerAlreadyExists, 400)
	clock.Advance(time.Millisecond)
	if err := createTCP(rc, lb, 80, 30080); err != nil {
		t.Fatalf("port still releasing after the delay: %v", err)
	}
	if l := listenerOf(t, restarted, lb, 80, "TCP"); l == nil || l.Status != "Stopped" {
		t.Fatalf("re-created listener = %+v", l)
	}
	if got := findLB(restarted.Emulator.Inventory(), lb).Releasing; len(got) != 0 {
		t.Fatalf("ports still releasing: %+v", got)
	}
}

// TestSetRequiresStoppedListener checks the switch for ens-openapi.md
// "Lifecycle rules" Listeners (Set needs the listener stopped; documented
// for HTTP, Terraform retries IncorrectListenerStatus): on, a running
// listener is refused and a stopped one is set; off, a running one is set.
func TestSetRequiresStoppedListener(t *testing.T) {
	for _, on := range []bool{true, false} {
		env := emulatortest.Start(t, emulatortest.WithConfig(func(c *ensemulator.Config) { c.SetRequiresStoppedListener = on }))
		c := newClient(t, env)
		lb := createHefeiLB(t, c, "set-stopped")
		if err := createTCP(c, lb, 80, 30080); err != nil {
			t.Fatal(err)
		}
		set := ens.CreateSetLoadBalancerTCPListenerAttributeRequest()
		set.LoadBalancerId, set.ListenerPort, set.Scheduler = lb, requests.NewInteger(80), "wlc"
		must[*ens.SetLoadBalancerTCPListenerAttributeResponse](t)(c.SetLoadBalancerTCPListenerAttribute(set))

		start := ens.CreateStartLoadBalancerListenerRequest()
		start.LoadBalancerId, start.ListenerPort = lb, requests.NewInteger(80)
		must[*ens.StartLoadBalancerListenerResponse](t)(c.StartLoadBalancerListener(start))
		set.Scheduler = "rr"
		_, err := c.SetLoadBalancerTCPListenerAttribute(set)
		want := "wlc"
		if on {
			wantCode(t, err, ensemulator.CodeIncorrectListenerStatus, 400)
		} else if err != nil {
			t.Fatalf("switch off: set on a running listener: %v", err)
		} else {
			want = "rr"
		}
		if l := listenerOf(t, env, lb, 80, "TCP"); l.Scheduler != want || l.Status != "Running" {
			t.Errorf("switch %v: listener after set = %s %s, want %s Running", on, l.Scheduler, l.Status, want)
		}
	}
}

// TestDeleteRequiresStoppedListener checks ens-openapi.md "Lifecycle
// rules" Listeners: a running listener must be stopped before delete.
func TestDeleteRequiresStoppedListener(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "delete-stopped")
	if err := createTCP(c, lb, 80, 30080); err != nil {
		t.Fatal(err)
	}
	start := ens.CreateStartLoadBalancerListenerRequest()
	start.LoadBalancerId, start.ListenerPort = lb, requests.NewInteger(80)
	must[*ens.StartLoadBalancerListenerResponse](t)(c.StartLoadBalancerListener(start))
	del := ens.CreateDeleteLoadBalancerListenerRequest()
	del.LoadBalancerId, del.ListenerPort = lb, requests.NewInteger(80)
	_, err := c.DeleteLoadBalancerListener(del)
	wantCode(t, err, ensemulator.CodeIncorrectListenerStatus, 400)
	if l := listenerOf(t, env, lb, 80, "TCP"); l == nil || l.Status != "Running" {
		t.Fatalf("refused delete changed the listener: %+v", l)
	}
	stop := ens.CreateStopLoadBalancerListenerRequest()
	stop.LoadBalancerId, stop.ListenerPort = lb, requests.NewInteger(80)
	must[*ens.StopLoadBalancerListenerResponse](t)(c.StopLoadBalancerListener(stop))
	must[*ens.DeleteLoadBalancerListenerResponse](t)(c.DeleteLoadBalancerListener(del))
	if l := listenerOf(t, env, lb, 80, "TCP"); l != nil {
		t.Fatalf("deleted listener still there: %+v", l)
	}
}

// TestRealistic checks the timing the binary and the slow suites run with.
func TestRealistic(t *testing.T) {
	var cfg ensemulator.Config
	ensemulator.Realistic(&cfg, 1)
	if cfg.ActiveDelay != 3*time.Second || cfg.ListenerTransitionDelay != time.Second || cfg.EIPTransitionDelay != 2*time.Second ||
		cfg.ListenerReleaseDelay != 3*time.Second || !cfg.SetRequiresStoppedListener {
		t.Errorf("Realistic(1) = %+v", cfg)
	}
	ensemulator.Realistic(&cfg, 0.5)
	if cfg.ActiveDelay != 1500*time.Millisecond || cfg.ListenerReleaseDelay != 1500*time.Millisecond {
		t.Errorf("Realistic(0.5) = %+v", cfg)
	}
	var zero ensemulator.Config
	env := emulatortest.Start(t, emulatortest.WithConfig(func(c *ensemulator.Config) { *c = zero }))
	c := newClient(t, env)
	createHefeiLB(t, c, "settles-at-once")
	if !env.Emulator.Settled() {
		t.Error("the zero Config does not settle at once")
	}
}
