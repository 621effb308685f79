package elb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

var creationSteps = []string{"CreateLoadBalancer", "CreateEipInstance", "AssociateEnsEipAddress",
	"CreateLoadBalancerTCPListener", "StartLoadBalancerListener", "AddBackendServers"}

// TestCrashSafetyCreate fails each mutating step once, both before the cloud
// acts and after it acted with the answer lost, then runs again: one ELB,
// one EIP, everything in place.
func TestCrashSafetyCreate(t *testing.T) {
	for _, action := range creationSteps {
		for _, applied := range []bool{false, true} {
			name := action
			if applied {
				name += "/response-lost"
			}
			t.Run(name, func(t *testing.T) {
				h := newHarness(t)
				h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
				h.emu.SetFault(action, ensemulator.Fault{Code: "ServiceUnavailable", FailNext: 1, Applied: applied})
				h.convergeThroughErrors(hefeiKey)
				if f := h.emu.Faults()[action]; f.FailNext != 0 {
					t.Errorf("the %s fault did not fire", action)
				}
				// A lost answer is repeated once with the recorded token, and
				// ENS answers with what the first call made: one of each.
				if got := h.emu.Calls()[action]; applied && got > 2 {
					t.Errorf("%s called %d times after its answer was lost, want at most 2", action, got)
				}
				h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})
			})
		}
	}
}

// TestCrashSafetyDelete fails each cleanup step once and checks nothing of
// ours is left and nothing else was released.
func TestCrashSafetyDelete(t *testing.T) {
	for _, action := range []string{"UnAssociateEnsEipAddress", "ReleaseInstance"} {
		for _, applied := range []bool{false, true} {
			t.Run(action, func(t *testing.T) {
				h, _ := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
				total := len(h.emu.Inventory().LoadBalancers)
				h.markDeleted(hefeiKey)
				h.emu.SetFault(action, ensemulator.Fault{Code: "ServiceUnavailable", FailNext: 1, Applied: applied})
				h.convergeThroughErrors(hefeiKey)
				if n, e := len(h.lbsNamed(hefeiName)), len(h.eipsNamed(hefeiName)); n != 0 || e != 0 {
					t.Errorf("%d ELBs, %d EIPs of ours left", n, e)
				}
				if got := len(h.emu.Inventory().LoadBalancers); got != total-1 {
					t.Errorf("ELBs %d -> %d", total, got)
				}
				if len(h.poolService(hefeiKey).Finalizers) != 0 {
					t.Error("finalizer kept")
				}
			})
		}
	}
}

// cancelAfterCreate cancels the sync's context right after the ELB is
// created: the process "stops" before it can record anything.
type cancelAfterCreate struct {
	cloud.Cloud
	cancel func()
}

func (c *cancelAfterCreate) CreateLoadBalancer(ctx context.Context, req cloud.CreateLoadBalancerRequest) (string, error) {
	id, err := c.Cloud.CreateLoadBalancer(ctx, req)
	if c.cancel != nil {
		c.cancel()
	}
	return id, err
}

func TestStopRightAfterCreateLoadBalancer(t *testing.T) {
	wrapper := &cancelAfterCreate{}
	h := newHarnessWithCloud(t, func(c cloud.Cloud) cloud.Cloud { wrapper.Cloud = c; return wrapper })
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	ctx, cancel := context.WithCancel(h.ctx)
	wrapper.cancel = cancel
	h.settle()
	if _, err := h.c.sync(ctx, hefeiKey); err == nil {
		t.Fatal("sync with a cancelled context succeeded")
	}
	if len(h.lbsNamed(hefeiName)) != 1 || len(h.eipsNamed(hefeiName)) != 0 {
		t.Fatalf("after the stop: %d ELBs %d EIPs", len(h.lbsNamed(hefeiName)), len(h.eipsNamed(hefeiName)))
	}
	wrapper.cancel = nil
	h.converge(hefeiKey)
	h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})
	if got := h.emu.Calls()["CreateLoadBalancer"]; got != 1 {
		t.Errorf("CreateLoadBalancer called %d times, want 1 (found again by name)", got)
	}
}

// TestCrashSafetyPortRemoved: a port leaves the Service and deleting its
// listener fails (before or after ENS acted). The rerun finishes: the ELB
// holds no listener of that port, and the instances stay backends of the
// port that remains.
func TestCrashSafetyPortRemoved(t *testing.T) {
	twoPorts := []corev1.ServicePort{{Name: "cube", Port: 80, NodePort: 30081, Protocol: "TCP"},
		{Name: "tls", Port: 443, NodePort: 30443, Protocol: "TCP"}}
	for _, mode := range []string{"user", "managed"} {
		// Backends are per instance: the port's listener goes, they stay.
		for _, action := range []string{"DeleteLoadBalancerListener"} {
			for _, applied := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/applied=%v", mode, action, applied), func(t *testing.T) {
					var h *harness
					if mode == "user" {
						h = userHarness(t)
					} else {
						h, _ = managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
					}
					lbID := h.poolService(hefeiKey).Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]
					h.editService(func(s *corev1.Service) { s.Spec.Ports = twoPorts })
					h.converge(hefeiKey)
					if n := len(backends(h.lb(lbID))); n != 2 { // one entry per instance, whatever the ports
						t.Fatalf("setup: %d backends, want 2", n)
					}
					h.editService(func(s *corev1.Service) { s.Spec.Ports = twoPorts[:1] })
					h.emu.SetFault(action, ensemulator.Fault{Code: "ServiceUnavailable", FailNext: 1, Applied: applied})
					// The listener is stopped first; a later sync deletes it.
					for round := 0; h.emu.Faults()[action].FailNext != 0; round++ {
						if round > 20 {
							t.Fatalf("no sync reached %s", action)
						}
						after, err := h.syncOnce(hefeiKey)
						if h.emu.Faults()[action].FailNext == 0 && err == nil {
							t.Fatalf("the sync with %s failing succeeded", action)
						}
						time.Sleep(max(after, time.Millisecond))
					}
					h.convergeThroughErrors(hefeiKey)
					lb := h.lb(lbID)
					if d := cmp.Diff([]string{"TCP:80->30081 Running " + hefeiName}, listeners(lb)); d != "" {
						t.Errorf("listeners (-want +got):\n%s", d)
					}
					if d := cmp.Diff([]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}, backends(lb)); d != "" {
						t.Errorf("backends (-want +got):\n%s", d)
					}
				})
			}
		}
	}
}
