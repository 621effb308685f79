package elb

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// TestInstanceStopsAndStartsMidway: an instance that stops (or expires)
// while it backs the ELB leaves the backends on the next sync and comes
// back once Running again; the listener and EIP are untouched meanwhile.
func TestInstanceStopsAndStartsMidway(t *testing.T) {
	both := []string{"i-hefei-1:0/100", "i-hefei-2:0/100"}
	for _, status := range []string{"Stopped", "Expired"} {
		t.Run(status, func(t *testing.T) {
			h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
			if d := cmp.Diff(both, backends(h.lb(lbID))); d != "" {
				t.Fatalf("backends before (-want +got):\n%s", d)
			}
			if err := h.emu.SetInstanceStatus("i-hefei-2", status); err != nil {
				t.Fatal(err)
			}
			h.converge(hefeiKey)
			if d := cmp.Diff([]string{"i-hefei-1:0/100"}, backends(h.lb(lbID))); d != "" {
				t.Errorf("backends with i-hefei-2 %s (-want +got):\n%s", status, d)
			}
			if c := h.emu.Calls(); c["RemoveBackendServers"] != 1 {
				t.Errorf("RemoveBackendServers called %d times, want 1", c["RemoveBackendServers"])
			}
			h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100"})

			if err := h.emu.SetInstanceStatus("i-hefei-2", "Running"); err != nil {
				t.Fatal(err)
			}
			h.converge(hefeiKey)
			if got := h.assertManaged(hefeiKey, hefeiName, both); got != lbID {
				t.Errorf("ELB %s replaced by %s", lbID, got)
			}
			// The other pool never saw any of it.
			h.assertManaged(chengduKey, chengName, []string{"i-chengdu-1:0/100", "i-chengdu-2:0/100"})
		})
	}
}

// transitionalHarness is the walkthrough against an emulator whose new
// ELBs, listeners and EIPs pass through Creating, Starting/Configuring and
// Associating/Unassociating first, as on real ENS.
func transitionalHarness(t *testing.T) *harness {
	h := newHarness(t, emulatortest.WithActiveDelay(60*time.Millisecond),
		emulatortest.WithConfig(func(c *ensemulator.Config) {
			c.ListenerTransitionDelay, c.EIPTransitionDelay = 150*time.Millisecond, 150*time.Millisecond
		}))
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.emu.ResetCalls()
	return h
}

// convergeWatching is converge that records, after every sync, the
// statuses of the ELB, listeners and EIP named name, and counts the syncs
// that asked to look again later.
func (h *harness) convergeWatching(key, name string) (seen map[string]bool, requeues int) {
	h.t.Helper()
	seen = map[string]bool{}
	for round := 0; ; round++ {
		if round > 60 {
			h.t.Fatalf("%s did not converge; saw %v", key, seen)
		}
		after, err := h.syncOnce(key)
		if err != nil {
			h.t.Fatalf("sync %s: %v", key, err)
		}
		for _, lb := range h.lbsNamed(name) {
			seen["ELB "+lb.Status] = true
			for _, l := range lb.Listeners {
				seen["listener "+l.Status] = true
			}
		}
		for _, e := range h.eipsNamed(name) {
			seen["EIP "+e.Status] = true
		}
		if after == 0 {
			return seen, requeues
		}
		requeues++
		time.Sleep(after)
	}
}

func wantSeen(t *testing.T, what string, seen map[string]bool, want ...string) {
	t.Helper()
	for _, w := range want {
		if !seen[w] {
			t.Errorf("%s: never saw %q while converging; saw %v", what, w, seen)
		}
	}
}

// waitEIPSettled waits until the emulator has finished an association the
// controller made in its last sync (the controller counts an Associating
// EIP that names the ELB as associated and has nothing left to do).
func (h *harness) waitEIPSettled(name string) {
	h.t.Helper()
	h.waitFor("EIP "+name+" settled", func() bool {
		eips := h.eipsNamed(name)
		return len(eips) == 1 && (eips[0].Status == "InUse" || eips[0].Status == "Available")
	})
}

// TestTransitionalStatesConverge: with ENS's transitional statuses on, a
// managed Service still converges through requeues — ELB Active,
// listener Running, EIP InUse, ingress set — with every creating call
// made once; a listener update and a switch to intranet wait out
// Configuring and Unassociating; deletion waits for the EIP, then
// releases everything.
func TestTransitionalStatesConverge(t *testing.T) {
	h := transitionalHarness(t)
	seen, requeues := h.convergeWatching(hefeiKey, hefeiName)
	wantSeen(t, "create", seen, "ELB Creating", "listener Starting", "EIP Associating")
	t.Logf("create: %d requeues, saw %v", requeues, seen)
	if requeues < 3 {
		t.Errorf("converged after %d requeues; want the Creating and Starting states waited out", requeues)
	}
	h.waitEIPSettled(hefeiName)
	h.converge(hefeiKey)
	lbID := h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})
	if lb := h.lb(lbID); lb.Status != "Active" {
		t.Errorf("ELB status %s, want Active", lb.Status)
	}
	calls := h.emu.Calls()
	for _, action := range creationSteps {
		if calls[action] != 1 {
			t.Errorf("%s called %d times, want once: %v", action, calls[action], calls)
		}
	}
	if n := len(h.emu.Inventory().LoadBalancers); n != 3 {
		t.Errorf("%d ELBs in the account, want the 2 user ELBs and ours", n)
	}

	// A listener attribute change waits out Configuring. A running
	// listener is set as it is; only where ENS refuses that is it stopped
	// first (and started again once set).
	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationScheduler] = "wrr" })
	h.emu.ResetCalls()
	seen, _ = h.convergeWatching(hefeiKey, hefeiName)
	h.waitSettled()
	wantSeen(t, "update", seen, "listener Configuring") // Running once settled, below
	if l := h.lb(lbID).Listeners; len(l) != 1 || l[0].Scheduler != "wrr" || l[0].Status != "Running" {
		t.Errorf("listener after the update = %+v", l)
	}
	c := h.emu.Calls()
	if *setRequiresStopped {
		// Set refused, Stop, Set, Start (perhaps refused once while the
		// listener is Configuring, then repeated).
		wantSeen(t, "update", seen, "listener Stopping")
		if c["StopLoadBalancerListener"] != 1 || c["SetLoadBalancerTCPListenerAttribute"] != 2 || c["StartLoadBalancerListener"] > 2 {
			t.Errorf("update of a running listener ENS sets only stopped: %v", c)
		}
	} else if c["SetLoadBalancerTCPListenerAttribute"] != 1 || h.emu.MutatingCalls() != 1 {
		t.Errorf("update made %d mutating calls, want one Set: %v", h.emu.MutatingCalls(), c)
	}

	// Intranet: the EIP is unassociated, waited for, then released.
	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationAddressType] = "intranet" })
	seen, _ = h.convergeWatching(hefeiKey, hefeiName)
	wantSeen(t, "intranet", seen, "EIP Unassociating")
	if eips := h.eipsNamed(hefeiName); len(eips) != 0 {
		t.Errorf("intranet: EIPs left %+v", eips)
	}
	if d := cmp.Diff([]string{h.lb(lbID).Address}, ingress(h.poolService(hefeiKey))); d != "" {
		t.Errorf("intranet ingress (-want +got):\n%s", d)
	}
	checkDeleteThroughTransitions(t, h, lbID)
}

// checkDeleteThroughTransitions turns the Service back to internet, then
// deletes the PoolService: cleanup waits for Unassociating and releases.
func checkDeleteThroughTransitions(t *testing.T, h *harness, lbID string) {
	t.Helper()
	h.editService(func(s *corev1.Service) { delete(s.Annotations, apis.AnnotationAddressType) })
	h.convergeWatching(hefeiKey, hefeiName)
	h.waitEIPSettled(hefeiName)
	h.converge(hefeiKey)
	h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})

	h.markDeleted(hefeiKey)
	seen, requeues := h.convergeWatching(hefeiKey, hefeiName)
	wantSeen(t, "delete", seen, "EIP Unassociating")
	if requeues == 0 {
		t.Error("cleanup did not wait for the EIP to be unassociated")
	}
	if lbs, eips := h.lbsNamed(hefeiName), h.eipsNamed(hefeiName); len(lbs)+len(eips) != 0 {
		t.Errorf("after delete: ELBs %v EIPs %v left", lbs, eips)
	}
	if ps := h.poolService(hefeiKey); len(ps.Finalizers) != 0 {
		t.Errorf("finalizers left: %v", ps.Finalizers)
	}
	inv := h.emu.Inventory()
	if slices.ContainsFunc(inv.LoadBalancers, func(lb ensemulator.LoadBalancer) bool { return lb.ID == lbID }) {
		t.Errorf("ELB %s not released", lbID)
	}
	for _, e := range inv.EIPs {
		if e.Status != "InUse" {
			t.Errorf("EIP left behind: %+v", e)
		}
	}
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeNormal, apis.EventCleanedLoadBalancer, lbID) {
		t.Errorf("no CleanedLoadBalancer event naming %s: %v", lbID, ev)
	}
}

// TestListenerLifecycleOfRealENS: under real ENS's listener rules
// (ens-openapi.md "Lifecycle rules" Listeners: delete only a stopped
// listener, a deleted port stays releasing), moving a listener to a new
// node port stops it, deletes it once stopped, waits out the releasing
// port, then creates and starts the new one; removing a port stops, then
// deletes its listener. Waiting is not failing: no Warning event.
func TestListenerLifecycleOfRealENS(t *testing.T) {
	creates := &createListenerErrors{}
	h := newHarnessWithCloud(t, func(c cloud.Cloud) cloud.Cloud { creates.Cloud = c; return creates })
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.converge(hefeiKey)
	lbID := h.lbsNamed(hefeiName)[0].ID
	h.events()
	h.emu.ResetCalls()
	h.editService(func(s *corev1.Service) {
		s.Spec.Ports = []corev1.ServicePort{{Port: 80, NodePort: 31000, Protocol: "TCP"}, {Port: 53, NodePort: 30053, Protocol: "UDP"}}
	})
	h.converge(hefeiKey)
	want := []string{"UDP:53->30053 Running " + hefeiName, "TCP:80->31000 Running " + hefeiName}
	if d := cmp.Diff(want, listeners(h.lb(lbID))); d != "" {
		t.Errorf("listeners after the node port change (-want +got):\n%s", d)
	}
	c := h.emu.Calls()
	// The create right after the delete meets the releasing port.
	if c["StopLoadBalancerListener"] != 1 || c["DeleteLoadBalancerListener"] < 1 || c["CreateLoadBalancerTCPListener"] < 2 {
		t.Errorf("node port change: want one Stop, a Delete, and a Create refused while the port releases: %v", c)
	}
	if !slices.ContainsFunc(creates.errs, func(err error) bool {
		var apiErr *cloud.APIError
		return errors.As(err, &apiErr) && apiErr.Code == ensemulator.CodeListenerAlreadyExists
	}) {
		t.Errorf("no create met the releasing port: %v", creates.errs)
	}

	h.emu.ResetCalls()
	h.editService(func(s *corev1.Service) {
		s.Spec.Ports = []corev1.ServicePort{{Port: 80, NodePort: 31000, Protocol: "TCP"}}
	})
	h.converge(hefeiKey)
	if d := cmp.Diff(want[1:], listeners(h.lb(lbID))); d != "" {
		t.Errorf("listeners after the port removal (-want +got):\n%s", d)
	}
	if c := h.emu.Calls(); c["StopLoadBalancerListener"] != 1 || c["DeleteLoadBalancerListener"] < 1 {
		t.Errorf("port removal: want the listener stopped, then deleted: %v", c)
	}
	for _, e := range h.events() {
		if strings.HasPrefix(e, corev1.EventTypeWarning) {
			t.Errorf("a wait for ENS made a Warning event: %s", e)
		}
	}
}

// createListenerErrors keeps the errors CreateListener answered.
type createListenerErrors struct {
	cloud.Cloud
	errs []error
}

func (c *createListenerErrors) CreateListener(ctx context.Context, lbID string, l cloud.Listener) error {
	err := c.Cloud.CreateListener(ctx, lbID, l)
	if err != nil {
		c.errs = append(c.errs, err)
	}
	return err
}
