package framework

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// TestWaitSettled walks a user's script through every transition the
// realistic emulator shows (at a fifth of real ENS's delays): each step is
// Unsettled right after the call, naming what moves, only for the resources
// asked about, and WaitSettled returns the state it comes to rest in, which
// the emulator itself calls settled.
func TestWaitSettled(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithRealisticTiming(0.2))
	emu := &Emulator{Addr: env.Endpoint, client: &http.Client{Timeout: 5 * time.Second}}
	c, err := ens.NewClient(ens.ClientConfig{AccessKeyID: env.AccessKeyID, AccessKeySecret: env.AccessKeySecret,
		Region: "cn-hefei-cmcc-2", Endpoint: env.Endpoint, Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// step checks that what the call just did is in transition on lbID and
	// nowhere else, then waits it out and returns the settled inventory.
	step := func(what, want, lbID string) ensemulator.Inventory {
		t.Helper()
		inv, err := emu.Inventory()
		if err != nil {
			t.Fatal(err)
		}
		left := Unsettled(inv, lbID)
		if !strings.Contains(strings.Join(left, "; "), want) {
			t.Errorf("%s: unsettled %q, want one naming %q", what, left, want)
		}
		if other := Unsettled(inv, "lb-hefei-existing", "eip-chengdu-existing"); len(other) != 0 {
			t.Errorf("%s: untouched resources unsettled: %q", what, other)
		}
		if len(Unsettled(inv)) < len(left) {
			t.Errorf("%s: the whole account has less in transition than one ELB", what)
		}
		if inv, err = emu.WaitSettled(ctx, 10*time.Second, lbID); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !env.Emulator.Settled() {
			t.Errorf("%s: WaitSettled returned, but the emulator is not settled", what)
		}
		return inv
	}

	id, err := c.CreateLoadBalancer(ctx, cloud.CreateLoadBalancerRequest{Name: "user", RegionID: "cn-hefei-cmcc-2",
		NetworkID: "n-hefei", VSwitchID: "vsw-hefei-1", Spec: "elb.s2.small", PayType: "PostPaid"})
	if err != nil {
		t.Fatal(err)
	}
	if lb := step("create ELB", "is Creating", id).LoadBalancer(id); lb == nil || lb.Status != "Active" {
		t.Errorf("settled ELB %+v, want Active", lb)
	}

	eip, err := c.CreateEIP(ctx, cloud.CreateEIPRequest{Name: "user", RegionID: "cn-hefei-cmcc-2", Bandwidth: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AssociateEIP(ctx, eip, id); err != nil {
		t.Fatal(err)
	}
	if e := step("associate EIP", "is Associating", id).EIP(eip); e == nil || e.Status != "InUse" || e.InstanceID != id {
		t.Errorf("settled EIP %+v, want InUse on %s", e, id)
	}

	l := cloud.Listener{Port: 80, Protocol: "TCP", BackendPort: 30080, Description: "user", Scheduler: "wrr"}
	if err := c.CreateListener(ctx, id, l); err != nil {
		t.Fatal(err)
	}
	if err := c.StartListener(ctx, id, 80, "TCP"); err != nil {
		t.Fatal(err)
	}
	if lb := step("start listener", "is Starting", id).LoadBalancer(id); len(lb.Listeners) != 1 || lb.Listeners[0].Status != "Running" {
		t.Errorf("settled listeners %+v, want one Running", lb.Listeners)
	}
	if err := c.StopListener(ctx, id, 80, "TCP"); err != nil {
		t.Fatal(err)
	}
	step("stop listener", "is Stopping", id)
	if err := c.DeleteListener(ctx, id, 80, "TCP"); err != nil {
		t.Fatal(err)
	}
	if lb := step("delete listener", "TCP:80 of "+id+" is releasing", id).LoadBalancer(id); len(lb.Listeners)+len(lb.Releasing) != 0 {
		t.Errorf("settled ELB %s, want no listener and no releasing port", DescribeLB(*lb))
	}

	if err := c.UnassociateEIP(ctx, eip); err != nil {
		t.Fatal(err)
	}
	// An EIP is asked about by its own id as well, also once unbound.
	step("unassociate EIP", "is Unassociating", eip)
	if err := c.ReleaseEIP(ctx, eip); err != nil {
		t.Errorf("releasing the settled EIP: %v", err)
	}
	if _, err := emu.WaitCloudSettled(ctx, 10*time.Second); err != nil {
		t.Error(err)
	}
}
