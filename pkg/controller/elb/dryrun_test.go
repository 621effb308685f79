package elb

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// writes are the write actions a fake clientset saw after from.
func writes(actions []k8stesting.Action, from int) []string {
	var out []string
	for _, a := range actions[from:] {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
			out = append(out, a.GetVerb()+" "+a.GetResource().Resource+"/"+a.GetSubresource())
		}
	}
	return out
}

func dryRunEvents(events []string) []string {
	var out []string
	for _, e := range events {
		if strings.HasPrefix(e, corev1.EventTypeNormal+" "+apis.EventDryRun+" ") {
			out = append(out, e)
		}
	}
	return out
}

// TestDryRunPlansAndChangesNothing: with DryRun a new Service's plans are
// reported (an Event per planned change) and nothing is changed: no
// mutating ENS call, no write to the API server (no finalizer, status or
// ownership record).
func TestDryRunPlansAndChangesNothing(t *testing.T) {
	h := newHarnessConfigured(t, nil, func(c *Config) { c.DryRun = true })
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.events()
	kubeFrom, yurtFrom := len(h.kube.Actions()), len(h.yurt.Actions())
	for _, key := range []string{hefeiKey, chengduKey} {
		if after, err := h.syncOnce(key); err != nil || after != 0 {
			t.Fatalf("dry-run sync %s = %v, %v; want no error and no requeue", key, after, err)
		}
	}
	if m := h.emu.MutatingCalls(); m != 0 || len(h.emu.Inventory().LoadBalancers) != 2 {
		t.Errorf("dry run made %d mutating calls: %v", m, h.emu.Calls())
	}
	if w := append(writes(h.kube.Actions(), kubeFrom), writes(h.yurt.Actions(), yurtFrom)...); len(w) != 0 {
		t.Errorf("dry run wrote to the API server: %v", w)
	}
	ev := dryRunEvents(h.events())
	for _, want := range []string{"CreateLoadBalancer on the new ELB " + hefeiName, "CreateEIP on the new ELB " + chengName} {
		if !hasEvent(ev, corev1.EventTypeNormal, apis.EventDryRun, want) {
			t.Errorf("no DryRun event saying %q: %v", want, ev)
		}
	}
}

// TestDryRunReportsChangesAndReleases: a converged Service, then a
// controller in dry-run: a port change and a deletion are reported, the
// ELB, its listeners and its EIP stay as they are and the finalizer stays.
func TestDryRunReportsChangesAndReleases(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	// What NewController does for DryRun (TestDryRunPlansAndChangesNothing).
	h.c.cfg.DryRun, h.c.cloud = true, cloud.ReadOnly(h.c.cloud)
	h.c.owned.SetReadOnly()
	before := h.lb(lbID)
	h.emu.ResetCalls()

	h.editService(func(s *corev1.Service) {
		s.Spec.Ports = []corev1.ServicePort{{Name: "cube", Port: 80, Protocol: corev1.ProtocolTCP, NodePort: 31999}}
	})
	if _, err := h.syncOnce(hefeiKey); err != nil {
		t.Fatal(err)
	}
	h.markDeleted(hefeiKey)
	if _, err := h.syncOnce(hefeiKey); err != nil {
		t.Fatal(err)
	}
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("dry run made %d mutating calls: %v", m, h.emu.Calls())
	}
	if after := h.lb(lbID); len(after.Listeners) != len(before.Listeners) || after.Listeners[0].BackendServerPort != 30081 {
		t.Errorf("listeners changed in a dry run: %+v", after.Listeners)
	}
	if len(h.eipsNamed(hefeiName)) != 1 || !hasFinalizer(h.poolService(hefeiKey)) {
		t.Error("dry run released the EIP or dropped the finalizer")
	}
	ev := dryRunEvents(h.events())
	// The listener to replace is stopped first (deleted and re-created by
	// later plans): that is the change a dry run reports.
	for _, want := range []string{"StopListener TCP:80->30081 on " + lbID} {
		if !hasEvent(ev, corev1.EventTypeNormal, apis.EventDryRun, want) {
			t.Errorf("no DryRun event saying %q: %v", want, ev)
		}
	}
}
