package elb

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// TestConnectionDrain: under connection drain a backend whose endpoints
// left is set to weight 0 (no new connections) and looked at again when
// the drain ends; one that comes back within the drain is restored, not
// re-added; one still unneeded after the drain is removed.
func TestConnectionDrain(t *testing.T) {
	const drain = 30 * time.Second
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyLocal)
	h.editService(func(s *corev1.Service) {
		s.Annotations[apis.AnnotationConnectionDrain] = "on"
		s.Annotations[apis.AnnotationConnectionDrainTimeout] = "30"
	})
	h.converge(hefeiKey)
	moveEndpoints := func(nodes ...string) { h.update(newSlice("cube-svc", append(nodes, "chengdu-1", "chengdu-2")...)) }
	syncWant := func(step string, wantAfter time.Duration, want ...string) {
		t.Helper()
		after, err := h.syncOnce(hefeiKey)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if wantAfter > 0 && after != wantAfter {
			t.Errorf("%s: looks again after %v, want %v", step, after, wantAfter)
		}
		h.waitSettled()
		if d := cmp.Diff(want, backends(h.lb(lbID))); d != "" {
			t.Errorf("%s: backends (-want +got):\n%s", step, d)
		}
	}

	h.emu.ResetCalls()
	moveEndpoints("hefei-2")
	syncWant("endpoints left hefei-1", 0, "i-hefei-1:0/0", "i-hefei-2:0/100") // progress: verified soon
	syncWant("drain verified", drain, "i-hefei-1:0/0", "i-hefei-2:0/100")
	h.clock.Step(10 * time.Second)
	syncWant("10s into the drain", drain-10*time.Second, "i-hefei-1:0/0", "i-hefei-2:0/100")

	moveEndpoints("hefei-1", "hefei-2")
	h.converge(hefeiKey)
	if d := cmp.Diff([]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}, backends(h.lb(lbID))); d != "" {
		t.Errorf("back within the drain (-want +got):\n%s", d)
	}
	if c := h.emu.Calls(); c["RemoveBackendServers"] != 0 || c["AddBackendServers"] != 0 {
		t.Errorf("a backend back within its drain was removed or re-added: %v", c)
	}

	moveEndpoints("hefei-2")
	syncWant("endpoints left again", 0, "i-hefei-1:0/0", "i-hefei-2:0/100")
	h.clock.Step(drain)
	h.converge(hefeiKey)
	if d := cmp.Diff([]string{"i-hefei-2:0/100"}, backends(h.lb(lbID))); d != "" {
		t.Errorf("after the drain (-want +got):\n%s", d)
	}
	if c := h.emu.Calls(); c["RemoveBackendServers"] != 1 {
		t.Errorf("RemoveBackendServers called %d times, want once after the drain: %v", c["RemoveBackendServers"], c)
	}
}
