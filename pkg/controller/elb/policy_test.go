package elb

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// managedHarness is the automatic walkthrough, converged.
func managedHarness(t *testing.T, policy corev1.ServiceExternalTrafficPolicy) (*harness, string) {
	h := newHarness(t)
	h.seedWalkthrough(nil, policy)
	h.converge(hefeiKey, chengduKey)
	h.events()
	return h, h.lbsNamed(hefeiName)[0].ID
}

func (h *harness) editService(edit func(*corev1.Service)) {
	s := h.service("cube-svc")
	edit(s)
	h.update(s)
}

func TestManagedListenersFollowPorts(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	steps := []struct {
		name  string
		ports []corev1.ServicePort
		want  []string
	}{
		{"port added, UDP", []corev1.ServicePort{{Port: 80, NodePort: 30081, Protocol: "TCP"}, {Port: 53, NodePort: 30053, Protocol: "UDP"}},
			[]string{"TCP:80->30081 Running " + hefeiName, "UDP:53->30053 Running " + hefeiName}},
		{"node port changed", []corev1.ServicePort{{Port: 80, NodePort: 31000, Protocol: "TCP"}, {Port: 53, NodePort: 30053, Protocol: "UDP"}},
			[]string{"UDP:53->30053 Running " + hefeiName, "TCP:80->31000 Running " + hefeiName}},
		{"port removed", []corev1.ServicePort{{Port: 80, NodePort: 31000, Protocol: "TCP"}},
			[]string{"TCP:80->31000 Running " + hefeiName}},
	}
	for _, s := range steps {
		h.editService(func(svc *corev1.Service) { svc.Spec.Ports = s.ports })
		h.converge(hefeiKey)
		lb := h.lb(lbID)
		if d := cmp.Diff(s.want, listeners(lb)); d != "" {
			t.Errorf("%s: listeners (-want +got):\n%s", s.name, d)
		}
		// One entry per instance; each listener's backend port routes.
		if d := cmp.Diff([]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}, backends(lb)); d != "" {
			t.Errorf("%s: backends (-want +got):\n%s", s.name, d)
		}
	}
	// Listener attributes follow the annotations.
	h.editService(func(svc *corev1.Service) { svc.Annotations[apis.AnnotationScheduler] = "wlc" })
	h.converge(hefeiKey)
	if l := h.lb(lbID).Listeners[0]; l.Scheduler != "wlc" {
		t.Errorf("scheduler = %q, want wlc", l.Scheduler)
	}
}

func TestManagedBackendsFollowEndpointsAndNodes(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyLocal)
	moveEndpoints := func(nodes ...string) {
		s := newSlice("cube-svc", append(nodes, "chengdu-1")...)
		h.update(s)
		h.converge(hefeiKey)
	}
	moveEndpoints("hefei-1")
	if d := cmp.Diff([]string{"i-hefei-1:0/100"}, backends(h.lb(lbID))); d != "" {
		t.Errorf("endpoints on hefei-1 only (-want +got):\n%s", d)
	}
	moveEndpoints("hefei-2")
	if d := cmp.Diff([]string{"i-hefei-2:0/100"}, backends(h.lb(lbID))); d != "" {
		t.Errorf("endpoints moved to hefei-2 (-want +got):\n%s", d)
	}
	// Node NotReady: gone from the backends even with an endpoint.
	n := newNode("hefei-2", "np-hefei", "i-hefei-2", false)
	h.update(n)
	h.converge(hefeiKey)
	if got := backends(h.lb(lbID)); len(got) != 0 {
		t.Errorf("NotReady node still a backend: %v", got)
	}
	// Weight annotation.
	h.update(newNode("hefei-2", "np-hefei", "i-hefei-2", true))
	h.editService(func(svc *corev1.Service) { svc.Annotations[apis.AnnotationBackendWeight] = "40" })
	h.converge(hefeiKey)
	if d := cmp.Diff([]string{"i-hefei-2:0/40"}, backends(h.lb(lbID))); d != "" {
		t.Errorf("weights (-want +got):\n%s", d)
	}
}

func TestStoppedInstanceIsNoBackend(t *testing.T) {
	inv := defaultInventoryWith(func(inv *invT) {
		for i := range inv.Instances {
			if inv.Instances[i].ID == "i-hefei-2" {
				inv.Instances[i].Status = "Stopped"
			}
		}
	})
	h := newHarness(t, emulatortest.WithInventory(inv))
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.converge(hefeiKey)
	if d := cmp.Diff([]string{"i-hefei-1:0/100"}, backends(h.lbsNamed(hefeiName)[0])); d != "" {
		t.Errorf("backends (-want +got):\n%s", d)
	}
}

func TestManagedEIPBandwidthUpAndDown(t *testing.T) {
	h, _ := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	for _, bw := range []int{50, 5} {
		h.editService(func(svc *corev1.Service) { svc.Annotations[apis.AnnotationEIPBandwidth] = itoa(bw) })
		h.converge(hefeiKey)
		if e := h.eipsNamed(hefeiName); len(e) != 1 || e[0].Bandwidth != bw || e[0].Status != "InUse" {
			t.Errorf("EIP = %+v, want one InUse at %d Mbps", e, bw)
		}
	}
}

func TestManagedAttributesNotUpdated(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	h.emu.ResetCalls()
	h.editService(func(svc *corev1.Service) { svc.Annotations[apis.AnnotationSpec] = "elb.s3.large" })
	h.converge(hefeiKey)
	if h.emu.MutatingCalls() != 0 || h.lb(lbID).Spec != "elb.s2.small" {
		t.Errorf("spec change mutated the cloud: %v, spec %s", h.emu.Calls(), h.lb(lbID).Spec)
	}
	ev := h.events()
	if !hasEvent(ev, corev1.EventTypeWarning, apis.EventSyncLoadBalancerFailed, apis.AnnotationSpec) {
		t.Errorf("no refusal event naming the annotation: %v", ev)
	}
	ps := h.poolService(hefeiKey)
	if condition(ps, apis.ConditionSynced) != "False/"+reasonChangeRefused || condition(ps, apis.ConditionReady) != "True/"+reasonReady {
		t.Errorf("conditions = %+v", ps.Status.Conditions)
	}
}

func TestManagedDeleteReleases(t *testing.T) {
	cases := map[string]func(h *harness){
		"PoolService deleted": func(h *harness) { h.markDeleted(hefeiKey) },
		"pool deleted": func(h *harness) {
			if err := h.yurt.AppsV1beta2().NodePools().Delete(h.ctx, "np-hefei", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		"match gone": func(h *harness) {
			p := newPool("np-hefei")
			p.Labels = map[string]string{"k8s-svc": "other"}
			h.update(p)
		},
		"Service gone": func(h *harness) {
			if err := h.kube.CoreV1().Services("default").Delete(h.ctx, "cube-svc", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, trigger := range cases {
		t.Run(name, func(t *testing.T) {
			h, _ := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
			before := len(h.emu.Inventory().LoadBalancers)
			trigger(h)
			h.converge(hefeiKey)
			if n, e := len(h.lbsNamed(hefeiName)), len(h.eipsNamed(hefeiName)); n != 0 || e != 0 {
				t.Errorf("%d ELBs and %d EIPs left", n, e)
			}
			if got := len(h.emu.Inventory().LoadBalancers); got != before-1 {
				t.Errorf("ELB count %d -> %d, want exactly ours released", before, got)
			}
			if len(h.lbsNamed(chengName)) != 1 || len(h.eipsNamed(chengName)) != 1 {
				t.Error("the other pool's ELB or EIP was released")
			}
			ps := h.poolService(hefeiKey)
			deleting := ps.DeletionTimestamp != nil // a real API server removes it now; no status to check
			if (!deleting && meta.IsStatusConditionTrue(ps.Status.Conditions, apis.ConditionReady)) || len(ps.Finalizers) != 0 {
				t.Errorf("PoolService after cleanup: finalizers %v conditions %+v", ps.Finalizers, ps.Status.Conditions)
			}
			if ev := h.events(); !hasEvent(ev, corev1.EventTypeNormal, apis.EventCleanedLoadBalancer, "") {
				t.Errorf("no CleanedLoadBalancer event: %v", ev)
			}
		})
	}
}

func TestDriftRepaired(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	ctx := h.ctx
	// ENS deletes a stopped listener only.
	if err := h.cloud.StopListener(ctx, lbID, 80, "TCP"); err != nil {
		t.Fatal(err)
	}
	h.waitSettled()
	if err := h.cloud.DeleteListener(ctx, lbID, 80, "TCP"); err != nil {
		t.Fatal(err)
	}
	if err := h.cloud.RemoveBackends(ctx, lbID, []cloud.Backend{{ServerID: "i-hefei-1", Type: "ens", Port: 30081}}); err != nil {
		t.Fatal(err)
	}
	eip := h.eipsNamed(hefeiName)[0]
	if err := h.cloud.UnassociateEIP(ctx, eip.ID); err != nil {
		t.Fatal(err)
	}
	if got := h.resyncKeys(); !slices.Equal(got, []string{chengduKey, hefeiKey}) {
		t.Errorf("resync enqueued %v, want both PoolServices once", got)
	}
	h.converge(hefeiKey)
	h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})
}

func TestNewELBWaitsForActive(t *testing.T) {
	h := newHarness(t, emulatortest.WithActiveDelay(time.Hour))
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	// Creating: the first look is due after the estimate, and a sync
	// before then (an event) reads nothing and waits for it.
	d := h.c.cfg.RequeueDelay
	if after, err := h.syncOnce(hefeiKey); err != nil || after != d {
		t.Fatalf("creating sync = %v, %v; want the first look after %v", after, err, d)
	}
	calls := totalCalls(h.emu.Calls())
	if after, err := h.syncOnce(hefeiKey); err != nil || after <= 0 || after > d || totalCalls(h.emu.Calls()) != calls {
		t.Fatalf("a sync before the look is due = %v, %v with %d calls; want the rest of the wait and no call",
			after, err, totalCalls(h.emu.Calls())-calls)
	}
	time.Sleep(d)
	// Still Creating at the look: then the looks back off while nothing
	// can be done.
	if after, err := h.syncOnce(hefeiKey); err != nil || after <= 0 || after > d {
		t.Fatalf("the first look = %v, %v; want a look at the lengthened estimate", after, err)
	}
	for i, want := range []time.Duration{2 * d, 4 * d} {
		after, err := h.syncOnce(hefeiKey)
		if err != nil || after != want {
			t.Fatalf("look %d = %v, %v; want a requeue after %v", i, after, err, want)
		}
	}
	if len(h.lbsNamed(hefeiName)) != 1 || len(h.lb(h.lbsNamed(hefeiName)[0].ID).Listeners) != 0 {
		t.Errorf("want one ELB without listeners while Creating")
	}
	if c := h.emu.Calls(); c["CreateLoadBalancer"] != 1 {
		t.Errorf("CreateLoadBalancer called %d times", c["CreateLoadBalancer"])
	}
	if got := condition(h.poolService(hefeiKey), apis.ConditionReady); got != "False/"+reasonProgressing {
		t.Errorf("Ready = %s", got)
	}
}

func TestUserManagedNeverTouchesELBOrEIP(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(map[string]string{apis.AnnotationManagedByUser: "true", apis.AnnotationEIPBandwidth: "99",
		apis.AnnotationSpec: "elb.s3.large"}, corev1.ServiceExternalTrafficPolicyCluster)
	ps := h.poolService(hefeiKey)
	ps.Annotations = map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei-existing"}
	h.update(ps)
	h.converge(hefeiKey)
	h.editService(func(s *corev1.Service) {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Port: 8080, NodePort: 30880, Protocol: "TCP"})
	})
	h.converge(hefeiKey)
	lb := h.lb("lb-hefei-existing")
	if len(lb.Listeners) != 2 || lb.Spec != "elb.s2.small" {
		t.Errorf("user ELB: listeners %v spec %s", listeners(lb), lb.Spec)
	}
	if e := h.eip("eip-hefei-existing"); e.Bandwidth != 10 || e.InstanceID != lb.ID {
		t.Errorf("user EIP changed: %+v", e)
	}
	if got := h.emu.Calls(); got["CreateEipInstance"]+got["ModifyEnsEipAddressAttribute"]+got["CreateLoadBalancer"]+got["ReleaseInstance"] != 0 {
		t.Errorf("ELB/EIP mutated in user mode: %v", got)
	}
}

func TestSharedUserELBWithClusterPolicy(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(map[string]string{apis.AnnotationManagedByUser: "true"}, corev1.ServiceExternalTrafficPolicyCluster)
	h.create(newService("other-svc", corev1.ServiceExternalTrafficPolicyCluster, map[string]string{apis.AnnotationManagedByUser: "true"},
		corev1.ServicePort{Port: 8080, NodePort: 30880, Protocol: "TCP"}))
	h.create(newPoolService("other-svc", "np-hefei", map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei-existing"}))
	ps := h.poolService(hefeiKey)
	ps.Annotations = map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei-existing"}
	h.update(ps)
	h.converge(hefeiKey, "default/other-svc-np-hefei")
	want := []string{"TCP:80->30081 Running " + hefeiName, "TCP:8080->30880 Running k8s/other-svc/default/np-hefei/c-test"}
	if d := cmp.Diff(want, listeners(h.lb("lb-hefei-existing"))); d != "" {
		t.Errorf("shared ELB listeners (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}, backends(h.lb("lb-hefei-existing"))); d != "" {
		t.Errorf("shared ELB backends, one per instance (-want +got):\n%s", d)
	}
}

// TestManagedEIPAttributesNotUpdated: the EIP's ISP and charge types are
// fixed at creation; changing their annotations is refused like the ELB
// spec (Warning naming the annotation, condition), and mutates nothing.
func TestManagedEIPAttributesNotUpdated(t *testing.T) {
	for _, key := range []string{apis.AnnotationEIPISP, apis.AnnotationEIPInstanceChargeType, apis.AnnotationEIPInternetChargeType} {
		t.Run(key, func(t *testing.T) {
			h, _ := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
			before := h.eipsNamed(hefeiName)
			value := map[string]string{apis.AnnotationEIPISP: "cmcc", apis.AnnotationEIPInstanceChargeType: "PrePaid",
				apis.AnnotationEIPInternetChargeType: "PayByTraffic"}[key]
			h.emu.ResetCalls()
			h.editService(func(svc *corev1.Service) { svc.Annotations[key] = value })
			h.converge(hefeiKey)
			if m := h.emu.MutatingCalls(); m != 0 || !cmp.Equal(before, h.eipsNamed(hefeiName)) {
				t.Errorf("EIP annotation change mutated the cloud: %v, EIP %+v -> %+v", h.emu.Calls(), before, h.eipsNamed(hefeiName))
			}
			if ev := h.events(); !hasEvent(ev, corev1.EventTypeWarning, apis.EventInvalidAnnotation, key) {
				t.Errorf("no refusal event naming %s: %v", key, ev)
			}
			ps := h.poolService(hefeiKey)
			synced := meta.FindStatusCondition(ps.Status.Conditions, apis.ConditionSynced)
			if synced == nil || synced.Reason != reasonChangeRefused || !strings.Contains(synced.Message, key) ||
				condition(ps, apis.ConditionReady) != "True/"+reasonReady {
				t.Errorf("conditions = %+v", ps.Status.Conditions)
			}
			// Back to what the EIP has: synced again.
			h.editService(func(svc *corev1.Service) { delete(svc.Annotations, key) })
			h.converge(hefeiKey)
			if got := condition(h.poolService(hefeiKey), apis.ConditionSynced); got != "True/"+reasonSynced {
				t.Errorf("after reverting the annotation Synced = %s", got)
			}
		})
	}
}
