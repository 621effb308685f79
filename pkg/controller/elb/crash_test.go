package elb

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
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
				// A lost answer must not make the step run twice.
				if got := h.emu.Calls()[action]; applied && got != 1 {
					t.Errorf("%s called %d times after its answer was lost, want 1", action, got)
				}
				h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:30081/100", "i-hefei-2:30081/100"})
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
	ens.Cloud
	cancel func()
}

func (c *cancelAfterCreate) CreateLoadBalancer(ctx context.Context, req ens.CreateLoadBalancerRequest) (string, error) {
	id, err := c.Cloud.CreateLoadBalancer(ctx, req)
	if c.cancel != nil {
		c.cancel()
	}
	return id, err
}

func TestStopRightAfterCreateLoadBalancer(t *testing.T) {
	wrapper := &cancelAfterCreate{}
	h := newHarnessWithCloud(t, func(c ens.Cloud) ens.Cloud { wrapper.Cloud = c; return wrapper })
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
	h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:30081/100", "i-hefei-2:30081/100"})
	if got := h.emu.Calls()["CreateLoadBalancer"]; got != 1 {
		t.Errorf("CreateLoadBalancer called %d times, want 1 (found again by name)", got)
	}
}
