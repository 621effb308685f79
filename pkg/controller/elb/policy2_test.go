package elb

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// Tests of the SPEC's "Ownership and safety" promises that try to break
// them: waits and auth errors back off, mode switches release only ours,
// unusable or foreign user ELBs are not advertised or used, sharers never
// flap, and every string is bounded.

const otherKey = "default/other-svc-np-hefei"

// requestIDPattern is the shape of an ENS (and emulator) RequestId.
var requestIDPattern = regexp.MustCompile(`[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}`)

// syncedMessage is the message of the PoolService's Synced condition.
func syncedMessage(t *testing.T, h *harness, key string) string {
	t.Helper()
	c := meta.FindStatusCondition(h.poolService(key).Status.Conditions, apis.ConditionSynced)
	if c == nil {
		t.Fatalf("%s has no Synced condition", key)
	}
	return c.Message
}

// userPoolService points key at the user ELB lbID, created at created.
func (h *harness) userPoolService(key, lbID string, created time.Time) {
	h.t.Helper()
	ps := h.poolService(key)
	ps.Annotations = map[string]string{apis.AnnotationLoadBalancerID: lbID}
	ps.CreationTimestamp = metav1.NewTime(created)
	h.update(ps)
}

// withoutListenersAndBackends is an ELB's attributes only.
func withoutListenersAndBackends(lb ensemulator.LoadBalancer) ensemulator.LoadBalancer {
	lb.Listeners, lb.Backends = nil, nil
	return lb
}

// 1. A wait that never clears (someone else's EIP sits on our managed ELB,
// so our AssociateEIP keeps answering a conflict) backs off, and does not
// rewrite the PoolService status every round.
func TestNeverClearingWaitBacksOffWithoutStatusWrites(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	ours := h.eipsNamed(hefeiName)[0]
	if err := h.cloud.UnassociateEIP(h.ctx, ours.ID); err != nil {
		t.Fatal(err)
	}
	h.waitSettled()
	foreign, err := h.cloud.CreateEIP(h.ctx, cloud.CreateEIPRequest{Name: "someone-elses-eip", Description: "made by hand",
		RegionID: "cn-hefei-cmcc-2", Bandwidth: 5, InternetChargeType: "95BandwidthByMonth", InstanceChargeType: "PostPaid"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cloud.AssociateEIP(h.ctx, foreign, lbID); err != nil {
		t.Fatal(err)
	}
	h.waitSettled()
	h.emu.ResetCalls()
	h.events()

	var delays []time.Duration
	var rv string
	for round := range 4 {
		after, err := h.syncOnce(hefeiKey)
		if err != nil {
			t.Fatalf("round %d: sync error %v; a wait is not an error", round, err)
		}
		delays = append(delays, after)
		ps := h.poolService(hefeiKey)
		switch {
		case round == 1:
			rv = ps.ResourceVersion
		case round > 1 && ps.ResourceVersion != rv:
			t.Errorf("round %d rewrote the status: resourceVersion %s -> %s, conditions %+v", round, rv, ps.ResourceVersion,
				ps.Status.Conditions)
		}
	}
	for i := 1; i < len(delays); i++ {
		if delays[0] <= 0 || delays[i] <= delays[i-1] {
			t.Errorf("requeue delays %v, want positive and strictly increasing", delays)
			break
		}
	}
	msg := syncedMessage(t, h, hefeiKey)
	if !strings.Contains(msg, ours.ID) || requestIDPattern.MatchString(msg) || strings.Contains(msg, "request ") {
		t.Errorf("wait message %q: want it to name %s and carry no ENS RequestId", msg, ours.ID)
	}
	if got := condition(h.poolService(hefeiKey), apis.ConditionSynced); got != "False/"+reasonProgressing {
		t.Errorf("Synced = %s, want False/%s", got, reasonProgressing)
	}
	// The foreign EIP stays where its owner put it; ours is kept, unbound.
	if e := h.eip(foreign); e.InstanceID != lbID || e.Status != "InUse" {
		t.Errorf("foreign EIP = %+v, want still on %s", e, lbID)
	}
	if e := h.eip(ours.ID); e.InstanceID != "" || e.Status != "Available" {
		t.Errorf("our EIP = %+v, want Available", e)
	}
	c := h.emu.Calls()
	for _, a := range []string{"UnAssociateEnsEipAddress", "ReleaseInstance", "CreateEipInstance", "CreateLoadBalancer"} {
		if c[a] != 0 {
			t.Errorf("%s called while waiting: %v", a, c)
		}
	}
	if n := c["AssociateEnsEipAddress"]; n == 0 || n > 4 {
		t.Errorf("AssociateEnsEipAddress called %d times in 4 rounds, want 1..4", n)
	}
	if slices.Contains(ingress(h.poolService(hefeiKey)), ours.Address) {
		t.Errorf("ingress %v advertises our EIP, which is not on the ELB", ingress(h.poolService(hefeiKey)))
	}
}

// 2. Authorization errors are retried slowly (>= AuthRetryDelay, growing),
// not as errors; a transient timestamp error goes through the queue's rate
// limiter like any other retryable error.
func TestAuthErrorsRetriedSlowly(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.emu.SetFault("DescribeLoadBalancers", ensemulator.Fault{Code: "SignatureDoesNotMatch", Rate: 1})
	first, err := h.syncOnce(hefeiKey)
	if err != nil || first < DefaultAuthRetryDelay {
		t.Errorf("first auth failure: sync = %v, %v; want a requeue after >= %v and no error", first, err, DefaultAuthRetryDelay)
	}
	second, err := h.syncOnce(hefeiKey)
	if err != nil || second <= first {
		t.Errorf("second auth failure: sync = %v, %v; want a longer delay than %v and no error", second, err, first)
	}
	ps := h.poolService(hefeiKey)
	if got := condition(ps, apis.ConditionSynced); got != "False/"+apis.EventSyncLoadBalancerFailed {
		t.Errorf("Synced = %s", got)
	}
	if msg := syncedMessage(t, h, hefeiKey); !strings.Contains(msg, "SignatureDoesNotMatch") || requestIDPattern.MatchString(msg) {
		t.Errorf("Synced message %q: want the code, no RequestId", msg)
	}
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeWarning, apis.EventSyncLoadBalancerFailed, "SignatureDoesNotMatch") {
		t.Errorf("no Warning naming the auth error: %v", ev)
	}
	if n := h.emu.Calls()["CreateLoadBalancer"]; n != 0 || len(h.lbsNamed(hefeiName)) != 0 {
		t.Errorf("ELB created without being able to look for one: %d calls", n)
	}

	h.emu.SetFault("DescribeLoadBalancers", ensemulator.Fault{})
	h.converge(hefeiKey)
	h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})

	// InvalidTimeStamp.Expired is transient (a delayed request): an error,
	// retried through the rate-limited queue.
	for h.c.queue.Len() > 0 {
		k, _ := h.c.queue.Get()
		h.c.queue.Done(k)
		h.c.queue.Forget(k)
	}
	h.emu.SetFault("DescribeLoadBalancers", ensemulator.Fault{Code: "InvalidTimeStamp.Expired", FailNext: 1})
	h.c.queue.Add(chengduKey)
	h.c.loop().ProcessNextItem(h.ctx)
	if n := h.c.queue.NumRequeues(chengduKey); n != 1 {
		t.Errorf("InvalidTimeStamp.Expired requeued %d times, want 1 (returned as an error, rate limited)", n)
	}
	h.converge(chengduKey)
	h.assertManaged(chengduKey, chengName, []string{"i-chengdu-1:0/100", "i-chengdu-2:0/100"})
}

// 3. Managed -> user-managed: the managed ELB and EIP are released; the
// user's ELB and EIP are untouched but for our listener and backends.
func TestManagedToUserManagedSwitch(t *testing.T) {
	h, managedID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	managedEIP := h.eipsNamed(hefeiName)[0].ID
	userLB, userEIP := h.lb("lb-hefei-existing"), h.eip("eip-hefei-existing")
	chengLB := h.lbsNamed(chengName)[0].ID

	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationManagedByUser] = "true" })
	h.setLoadBalancerID(hefeiKey, "lb-hefei-existing")
	h.converge(hefeiKey)

	if n, e := len(h.lbsNamed(hefeiName)), len(h.eipsNamed(hefeiName)); n != 0 || e != 0 {
		t.Errorf("managed ELB %s / EIP %s: %d ELBs and %d EIPs named %s left", managedID, managedEIP, n, e, hefeiName)
	}
	var released []string
	for _, r := range h.emu.Inventory().Released {
		released = append(released, r.ID)
	}
	if d := cmp.Diff(sortedStrings([]string{managedID, managedEIP}), sortedStrings(released)); d != "" {
		t.Errorf("released (-want +got):\n%s", d)
	}
	after := h.lb("lb-hefei-existing")
	if d := cmp.Diff(withoutListenersAndBackends(userLB), withoutListenersAndBackends(after)); d != "" {
		t.Errorf("user ELB attributes changed (-before +after):\n%s", d)
	}
	if d := cmp.Diff([]string{"TCP:80->30081 Running " + hefeiName}, listeners(after)); d != "" {
		t.Errorf("user ELB listeners (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}, backends(after)); d != "" {
		t.Errorf("user ELB backends (-want +got):\n%s", d)
	}
	if d := cmp.Diff(userEIP, h.eip("eip-hefei-existing")); d != "" {
		t.Errorf("user EIP changed (-before +after):\n%s", d)
	}
	ps := h.poolService(hefeiKey)
	if d := cmp.Diff([]string{userEIP.Address}, ingress(ps)); d != "" {
		t.Errorf("ingress (-want +got):\n%s", d)
	}
	if ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID] != "lb-hefei-existing" ||
		condition(ps, apis.ConditionReady) != "True/"+reasonReady {
		t.Errorf("status = %+v", ps.Status)
	}
	if len(h.lbsNamed(chengName)) != 1 || h.lbsNamed(chengName)[0].ID != chengLB || len(h.eipsNamed(chengName)) != 1 {
		t.Error("the other pool's managed ELB or EIP went")
	}
}

// 4. A user ELB that becomes unusable (the pool now says another region) is
// no longer advertised, and nothing on it changes.
func TestUnusableUserELBNoLongerAdvertised(t *testing.T) {
	h := userHarness(t)
	ps := h.poolService(hefeiKey)
	if condition(ps, apis.ConditionReady) != "True/"+reasonReady || len(ingress(ps)) != 1 {
		t.Fatalf("user-managed walkthrough not ready: %+v", ps.Status)
	}
	before := h.lb("lb-hefei-existing")
	beforeEIP := h.eip("eip-hefei-existing")
	h.events()
	h.emu.ResetCalls()

	p := newPool("np-hefei")
	p.Annotations[apis.AnnotationPoolRegionID] = "cn-chengdu-telecom-4"
	h.update(p)
	h.converge(hefeiKey)

	ps = h.poolService(hefeiKey)
	if got := condition(ps, apis.ConditionReady); !strings.HasPrefix(got, "False/") {
		t.Errorf("Ready = %s, want False", got)
	}
	if len(ps.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("ingress %v still advertised", ingress(ps))
	}
	if id, ok := ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]; ok {
		t.Errorf("aggregateToAnnotations still carries the ELB id %q", id)
	}
	ev := h.events()
	if !hasEvent(ev, corev1.EventTypeWarning, apis.EventSyncLoadBalancerFailed, apis.AnnotationLoadBalancerID) ||
		!hasEvent(ev, corev1.EventTypeWarning, apis.EventSyncLoadBalancerFailed, "cn-chengdu-telecom-4") {
		t.Errorf("no Warning naming %s and the region: %v", apis.AnnotationLoadBalancerID, ev)
	}
	after := h.lb("lb-hefei-existing")
	if d := cmp.Diff(listeners(before), listeners(after)); d != "" {
		t.Errorf("user ELB listeners changed (-before +after):\n%s", d)
	}
	if d := cmp.Diff(backends(before), backends(after)); d != "" {
		t.Errorf("user ELB backends changed (-before +after):\n%s", d)
	}
	if d := cmp.Diff(beforeEIP, h.eip("eip-hefei-existing")); d != "" {
		t.Errorf("user EIP changed (-before +after):\n%s", d)
	}
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("%d mutating calls on an unusable ELB: %v", m, h.emu.Calls())
	}
}

// 5. Another cluster's managed ELB is never used as a user ELB.
func TestOtherClustersManagedELBRefused(t *testing.T) {
	const otherName = "k8s/x/default/np-hefei/other-cluster"
	inv := defaultInventoryWith(func(inv *invT) {
		var lb ensemulator.LoadBalancer
		for _, l := range inv.LoadBalancers {
			if l.ID == "lb-hefei-existing" {
				lb = l
			}
		}
		lb.ID, lb.Name, lb.Address = "lb-other-cluster", otherName, "10.1.0.150"
		lb.Listeners = []ensemulator.Listener{{Port: 80, Protocol: "TCP", BackendServerPort: 31111, Status: "Running",
			Description: otherName, CreateTime: lb.CreateTime}}
		lb.Backends = []ensemulator.Backend{{ServerID: "i-hefei-1", Type: "ens", IP: "10.1.0.11", Weight: 100}}
		inv.LoadBalancers = append(inv.LoadBalancers, lb)
		inv.EIPs = append(inv.EIPs, ensemulator.EIP{ID: "eip-other-cluster", Name: otherName, RegionID: "cn-hefei-cmcc-2",
			Address: "47.9.9.8", Bandwidth: 10, Status: "InUse", InstanceID: "lb-other-cluster", InstanceType: "SlbInstance",
			CreateTime: lb.CreateTime})
	})
	h := newHarness(t, emulatortest.WithInventory(inv))
	h.seedWalkthrough(map[string]string{apis.AnnotationManagedByUser: "true"}, corev1.ServiceExternalTrafficPolicyCluster)
	h.setLoadBalancerID(hefeiKey, "lb-other-cluster")
	before, beforeEIP := h.lb("lb-other-cluster"), h.eip("eip-other-cluster")
	h.emu.ResetCalls()
	h.expectRejected(hefeiKey, apis.EventSyncLoadBalancerFailed, apis.AnnotationLoadBalancerID)
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("%d mutating calls: %v", m, h.emu.Calls())
	}
	if d := cmp.Diff(before, h.lb("lb-other-cluster")); d != "" {
		t.Errorf("other cluster's ELB changed (-before +after):\n%s", d)
	}
	if d := cmp.Diff(beforeEIP, h.eip("eip-other-cluster")); d != "" {
		t.Errorf("other cluster's EIP changed (-before +after):\n%s", d)
	}
	ps := h.poolService(hefeiKey)
	if len(ps.Status.LoadBalancer.Ingress) != 0 || ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID] != "" {
		t.Errorf("status advertises the other cluster's ELB: %+v", ps.Status)
	}
}

// 6. Two Services that both force-override port 80 on one user ELB: the
// first keeps it, the later one is a conflict, and nothing flaps.
func TestForcingServicesNeverFlap(t *testing.T) {
	force := map[string]string{apis.AnnotationManagedByUser: "true", apis.AnnotationForceOverrideListeners: "true"}
	h := newHarness(t)
	h.seedWalkthrough(force, corev1.ServiceExternalTrafficPolicyCluster)
	h.userPoolService(hefeiKey, "lb-hefei-existing", time.Now().Add(-time.Hour))
	h.converge(hefeiKey)
	want := []string{"TCP:80->30081 Running " + hefeiName}
	if d := cmp.Diff(want, listeners(h.lb("lb-hefei-existing"))); d != "" {
		t.Fatalf("first Service's listener (-want +got):\n%s", d)
	}

	h.create(newService("other-svc", corev1.ServiceExternalTrafficPolicyCluster, force,
		corev1.ServicePort{Name: "web", Port: 80, NodePort: 30880, Protocol: corev1.ProtocolTCP}))
	other := newPoolService("other-svc", "np-hefei", map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei-existing"})
	other.CreationTimestamp = metav1.Now()
	h.create(other)
	h.emu.ResetCalls()
	h.events()
	h.converge(otherKey)
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeWarning, apis.EventListenerConflict, "TCP:80") {
		t.Errorf("no ListenerConflict Warning for the later Service: %v", ev)
	}
	if got := condition(h.poolService(otherKey), apis.ConditionSynced); got != "False/"+apis.EventListenerConflict {
		t.Errorf("later Service Synced = %s", got)
	}
	for range 3 {
		h.converge(hefeiKey, otherKey)
	}
	if d := cmp.Diff(want, listeners(h.lb("lb-hefei-existing"))); d != "" {
		t.Errorf("listener after alternating syncs (-want +got):\n%s", d)
	}
	c := h.emu.Calls()
	if c["DeleteLoadBalancerListener"]+c["CreateLoadBalancerTCPListener"]+c["SetLoadBalancerTCPListenerAttribute"] != 0 {
		t.Errorf("the listener flapped: %v", c)
	}
	ps := h.poolService(hefeiKey)
	if condition(ps, apis.ConditionReady) != "True/"+reasonReady || condition(ps, apis.ConditionSynced) != "True/"+reasonSynced {
		t.Errorf("first Service conditions = %+v", ps.Status.Conditions)
	}
	if got := condition(h.poolService(otherKey), apis.ConditionSynced); got != "False/"+apis.EventListenerConflict {
		t.Errorf("later Service Synced after alternating syncs = %s", got)
	}
}

// 7. A Local Service joining a shared user ELB later is refused; the
// Cluster Service there first keeps being served, backends following nodes.
func TestLocalSharerJoiningLaterRefused(t *testing.T) {
	user := map[string]string{apis.AnnotationManagedByUser: "true"}
	h := newHarness(t)
	h.seedWalkthrough(user, corev1.ServiceExternalTrafficPolicyCluster)
	h.userPoolService(hefeiKey, "lb-hefei-existing", time.Now().Add(-time.Hour))
	h.converge(hefeiKey)

	h.create(newService("other-svc", corev1.ServiceExternalTrafficPolicyLocal, user,
		corev1.ServicePort{Name: "web", Port: 8080, NodePort: 30880, Protocol: corev1.ProtocolTCP}))
	h.create(newSlice("other-svc", "hefei-1"))
	other := newPoolService("other-svc", "np-hefei", map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei-existing"})
	other.CreationTimestamp = metav1.Now()
	h.create(other)
	h.events()
	h.converge(otherKey)

	checkRefused := func(when string) {
		t.Helper()
		ps := h.poolService(otherKey)
		if got := condition(ps, apis.ConditionSynced); got != "False/"+apis.EventSyncLoadBalancerFailed ||
			!strings.Contains(syncedMessage(t, h, otherKey), "spec.externalTrafficPolicy") {
			t.Errorf("%s: Local sharer Synced = %s %q, want False naming spec.externalTrafficPolicy", when, got,
				syncedMessage(t, h, otherKey))
		}
		if len(ps.Status.LoadBalancer.Ingress) != 0 {
			t.Errorf("%s: refused Local sharer advertises %v", when, ingress(ps))
		}
	}
	checkRefused("joined")
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeWarning, apis.EventSyncLoadBalancerFailed, "spec.externalTrafficPolicy") {
		t.Errorf("no Warning naming spec.externalTrafficPolicy: %v", ev)
	}

	h.converge(hefeiKey)
	lb := h.lb("lb-hefei-existing")
	if d := cmp.Diff([]string{"TCP:80->30081 Running " + hefeiName}, listeners(lb)); d != "" {
		t.Errorf("listeners (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}, backends(lb)); d != "" {
		t.Errorf("backends (-want +got):\n%s", d)
	}

	h.update(newNode("hefei-2", "np-hefei", "i-hefei-2", false))
	h.converge(hefeiKey, otherKey)
	if d := cmp.Diff([]string{"i-hefei-1:0/100"}, backends(h.lb("lb-hefei-existing"))); d != "" {
		t.Errorf("backends after hefei-2 went NotReady (-want +got):\n%s", d)
	}
	ps := h.poolService(hefeiKey)
	if condition(ps, apis.ConditionReady) != "True/"+reasonReady || condition(ps, apis.ConditionSynced) != "True/"+reasonSynced ||
		!cmp.Equal(ingress(ps), []string{h.eip("eip-hefei-existing").Address}) {
		t.Errorf("the Cluster Service there first: status %+v", ps.Status)
	}
	checkRefused("after the node change")
}

// 8. loadbalancer-backend-label "k=" selects only nodes whose label k is
// present and empty (Kubernetes selector semantics).
func TestBackendLabelEmptyValue(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(map[string]string{apis.AnnotationBackendLabel: "edge="}, corev1.ServiceExternalTrafficPolicyCluster)
	labelNode := func(name, instance string, value *string) {
		n := newNode(name, "np-hefei", instance, true)
		if value != nil {
			n.Labels["edge"] = *value
		}
		h.update(n)
	}
	labelNode("hefei-1", "i-hefei-1", ptr.To(""))
	steps := []struct {
		name string
		edit func()
		want []string
	}{
		{"hefei-2 without the label", func() {}, []string{"i-hefei-1:0/100"}},
		{"hefei-2 with edge=yes", func() { labelNode("hefei-2", "i-hefei-2", ptr.To("yes")) }, []string{"i-hefei-1:0/100"}},
		{"hefei-2 with edge empty", func() { labelNode("hefei-2", "i-hefei-2", ptr.To("")) },
			[]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}},
	}
	for _, s := range steps {
		s.edit()
		h.converge(hefeiKey)
		lbs := h.lbsNamed(hefeiName)
		if len(lbs) != 1 {
			t.Fatalf("%s: %d ELBs", s.name, len(lbs))
		}
		if d := cmp.Diff(s.want, backends(lbs[0])); d != "" {
			t.Errorf("%s: backends (-want +got):\n%s", s.name, d)
		}
	}
}

// 9. A PoolService with a long name still gets its EIP: the EIP Description
// (which names the PoolService) is cut to what ENS takes.
func TestLongPoolServiceNameGetsItsEIP(t *testing.T) {
	for _, n := range []int{200, 253} {
		t.Run(itoa(n), func(t *testing.T) {
			h := newHarness(t)
			h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
			if err := h.yurt.NetworkV1alpha1().PoolServices("default").Delete(h.ctx, "cube-svc-np-hefei", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			h.settle()
			name := "cube-svc-np-hefei-" + strings.Repeat("x", n-len("cube-svc-np-hefei-"))
			ps := newPoolService("cube-svc", "np-hefei", nil)
			ps.Name, ps.UID = name, types.UID("uid-long-"+itoa(n))
			svc := h.service("cube-svc")
			ps.OwnerReferences = []metav1.OwnerReference{
				{APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID, Controller: ptr.To(true)},
				{APIVersion: "apps.openyurt.io/v1beta2", Kind: "NodePool", Name: "np-hefei"},
			}
			h.create(ps)
			key := "default/" + name
			h.converge(key)
			lbs, eips := h.lbsNamed(hefeiName), h.eipsNamed(hefeiName)
			if len(lbs) != 1 || len(eips) != 1 {
				t.Fatalf("%d ELBs and %d EIPs named %s, want one each", len(lbs), len(eips), hefeiName)
			}
			e := eips[0]
			if len(e.Description) > 256 || e.InstanceID != lbs[0].ID || e.Status != "InUse" {
				t.Errorf("EIP = %+v (description %d characters), want InUse on %s with <= 256", e, len(e.Description), lbs[0].ID)
			}
			got := h.poolService(key)
			if d := cmp.Diff([]string{e.Address}, ingress(got)); d != "" || condition(got, apis.ConditionReady) != "True/"+reasonReady {
				t.Errorf("ingress (-want +got):\n%s conditions %+v", d, got.Status.Conditions)
			}
		})
	}
}

// 10. A huge multi-byte annotation value: the condition and every event
// stay bounded and valid UTF-8.
func TestHugeAnnotationBoundedInConditionsAndEvents(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationScheduler] = strings.Repeat("é", 100000) })
	h.events()
	h.emu.ResetCalls()
	if after, err := h.syncOnce(hefeiKey); err != nil || after != 0 {
		t.Errorf("sync = %v, %v; want no retry of bad input", after, err)
	}
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("bad input made %d mutating calls", m)
	}
	ps := h.poolService(hefeiKey)
	if got := condition(ps, apis.ConditionSynced); got != "False/"+apis.EventInvalidAnnotation {
		t.Errorf("Synced = %s", got)
	}
	for _, c := range ps.Status.Conditions {
		if len(c.Message) > conditionMessageMaxChars || !utf8.ValidString(c.Message) {
			t.Errorf("%s condition message: %d bytes, valid UTF-8 %v; want <= %d and valid", c.Type, len(c.Message),
				utf8.ValidString(c.Message), conditionMessageMaxChars)
		}
	}
	if !strings.Contains(syncedMessage(t, h, hefeiKey), apis.AnnotationScheduler) {
		t.Errorf("Synced message does not name %s", apis.AnnotationScheduler)
	}
	ev := h.events()
	if !hasEvent(ev, corev1.EventTypeWarning, apis.EventInvalidAnnotation, apis.AnnotationScheduler) {
		t.Errorf("no InvalidAnnotation Warning naming %s", apis.AnnotationScheduler)
	}
	for i, e := range ev {
		if len(e) > 1100 || !utf8.ValidString(e) {
			t.Errorf("event %d: %d bytes, valid UTF-8 %v; want <= 1100 and valid (%.80q...)", i, len(e), utf8.ValidString(e), e)
		}
	}
}

// 11. EIP bandwidth and ISP out of range are refused before any cloud call.
func TestEIPAnnotationsOutOfRangeRefusedBeforeCloud(t *testing.T) {
	for _, tc := range []struct{ key, value string }{
		{apis.AnnotationEIPBandwidth, "4"},
		{apis.AnnotationEIPBandwidth, "10001"},
		{apis.AnnotationEIPISP, "elecom"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			h := newHarness(t)
			h.seedWalkthrough(map[string]string{tc.key: tc.value}, corev1.ServiceExternalTrafficPolicyCluster)
			h.emu.ResetCalls()
			h.expectRejected(hefeiKey, apis.EventInvalidAnnotation, tc.key)
			if c := h.emu.Calls(); len(c) != 0 {
				t.Errorf("cloud called for an annotation that cannot work: %v", c)
			}
			if n, e := len(h.lbsNamed(hefeiName)), len(h.eipsNamed(hefeiName)); n != 0 || e != 0 {
				t.Errorf("%d ELBs and %d EIPs created", n, e)
			}
		})
	}
}
