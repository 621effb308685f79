package elb

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// More tests that try to break the SPEC's "Ownership and safety" promises:
// duplicates syncing at once, waits and auth errors during deletion, a user
// ELB released by hand, and node instance ids ENS could not take.

// instanceReads records every instance id the controller asks ENS about.
type instanceReads struct {
	cloud.Cloud
	mu  sync.Mutex
	ids map[string]bool
}

func (r *instanceReads) ListInstances(ctx context.Context, f cloud.InstanceFilter) ([]cloud.Instance, error) {
	r.mu.Lock()
	for _, id := range f.IDs {
		r.ids[id] = true
	}
	r.mu.Unlock()
	return r.Cloud.ListInstances(ctx, f)
}

func (r *instanceReads) asked(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids[id]
}

// A node whose instance id (label, providerID or name) cannot be an ENS
// instance id is left out with the BackendNodeSkipped Warning naming it,
// its id is never sent to ENS, and the rest of the pool is served.
func TestNodeWithUnusableInstanceIDSkipped(t *testing.T) {
	reads := &instanceReads{ids: map[string]bool{}}
	h := newHarnessWithCloud(t, func(c cloud.Cloud) cloud.Cloud { reads.Cloud = c; return reads })
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	longName := "node-" + strings.Repeat("n", 65) // a valid node name, too long for an instance id
	bad := map[string]string{                     // node -> the id it maps to
		"stray-colon":  "i-bad:id",
		"stray-long":   "i-" + strings.Repeat("a", 70),
		longName:       longName,
		"stray-spaced": "i-hefei 3",
	}
	for name, id := range bad {
		n := newNode(name, "np-hefei", "", true)
		delete(n.Labels, apis.LabelENSInstanceID)
		switch name {
		case "stray-colon":
			n.Spec.ProviderID = "alicloud://cn-hefei-cmcc-2." + id
		case "stray-long":
			n.Spec.ProviderID = "ens:///" + id
		case "stray-spaced":
			n.Labels[apis.LabelENSInstanceID] = id
		}
		h.create(n)
	}
	h.converge(hefeiKey)

	lb := h.lbsNamed(hefeiName)[0]
	if d := cmp.Diff([]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}, backends(lb)); d != "" {
		t.Errorf("backends (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"TCP:80->30081 Running " + hefeiName}, listeners(lb)); d != "" {
		t.Errorf("listeners (-want +got):\n%s", d)
	}
	ps := h.poolService(hefeiKey)
	if e := h.eipsNamed(hefeiName); len(e) != 1 || e[0].InstanceID != lb.ID || !slices.Equal(ingress(ps), []string{e[0].Address}) {
		t.Errorf("EIP %+v, ingress %v: want bound and shown", e, ingress(ps))
	}
	if got := condition(ps, apis.ConditionSynced); got != "False/"+apis.EventBackendNodeSkipped {
		t.Errorf("Synced = %s", got)
	}
	if got := condition(ps, apis.ConditionReady); got != "True/"+reasonReady {
		t.Errorf("Ready = %s: the rest of the pool is served", got)
	}
	ev := h.events()
	for name, id := range bad {
		if !hasEvent(ev, corev1.EventTypeWarning, apis.EventBackendNodeSkipped, "node "+name+" (ENS instance "+id+"): the instance id is") {
			t.Errorf("no Warning naming node %s and why its id is unusable: %v", name, ev)
		}
		if reads.asked(id) {
			t.Errorf("instance id %q of node %s was sent to ENS", id, name)
		}
	}
	if !reads.asked("i-hefei-1") {
		t.Error("the good instances were never read: the recording is broken")
	}
}

// Two duplicate PoolServices of one Service and pool (the fan-out deletes
// one of them later) syncing at once, over and over: one ELB and one EIP of
// the name, never two, and nothing released; then the duplicate goes while
// both still sync at once, and the survivor keeps its ELB and EIP.
func TestDuplicatesSyncingAtOnceMakeOneELBAndOneEIP(t *testing.T) {
	const dupKey = "default/cube-svc-np-hefei-dup"
	for trial := range 6 {
		h := newHarness(t)
		h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
		dup := newPoolService("cube-svc", "np-hefei", nil)
		dup.Name, dup.UID = "cube-svc-np-hefei-dup", "uid-dup"
		h.create(dup)
		// Slow creates keep each sync inside its create while the other runs,
		// and a slow read of the ownership record lets both read it before
		// either writes its create there: only the per-name lock keeps them
		// from making two of the name.
		for _, a := range []string{"CreateLoadBalancer", "CreateEipInstance"} {
			h.emu.SetFault(a, ensemulator.Fault{Latency: 20 * time.Millisecond})
		}
		h.kube.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
			time.Sleep(5 * time.Millisecond)
			return false, nil, nil // on to the object tracker
		})
		atOnce := func(keys ...string) (maxAfter time.Duration) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for _, key := range keys {
				wg.Go(func() {
					after, err := h.c.sync(h.ctx, key)
					mu.Lock()
					defer mu.Unlock()
					if err != nil { // a conflict on a shared write: the next round retries
						t.Logf("trial %d: sync %s: %v", trial, key, err)
						after = time.Millisecond
					}
					maxAfter = max(maxAfter, after)
				})
			}
			wg.Wait()
			h.settle()
			return maxAfter
		}
		check := func(phase string, round int) {
			t.Helper()
			if n, e := len(h.lbsNamed(hefeiName)), len(h.eipsNamed(hefeiName)); n > 1 || e > 1 {
				t.Fatalf("trial %d, %s round %d: %d ELBs and %d EIPs named %s", trial, phase, round, n, e, hefeiName)
			}
			if r := h.emu.Inventory().Released; len(r) != 0 {
				t.Fatalf("trial %d, %s round %d: released %+v", trial, phase, round, r)
			}
		}
		converged := false
		for round := 0; round < 60 && !converged; round++ {
			after := atOnce(hefeiKey, dupKey)
			check("create", round)
			converged = after == 0 && h.emu.Settled()
			time.Sleep(max(after, time.Millisecond))
		}
		if !converged {
			t.Fatalf("trial %d: the duplicates did not converge", trial)
		}
		lbs, eips := h.lbsNamed(hefeiName), h.eipsNamed(hefeiName)
		if len(lbs) != 1 || len(eips) != 1 || eips[0].InstanceID != lbs[0].ID {
			t.Fatalf("trial %d: ELBs %v EIPs %v, want one EIP on one ELB", trial, lbs, eips)
		}
		for _, key := range []string{hefeiKey, dupKey} {
			ps := h.poolService(key)
			if ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID] != lbs[0].ID || !slices.Equal(ingress(ps), []string{eips[0].Address}) {
				t.Errorf("trial %d: %s status %+v, want %s and %s", trial, key, ps.Status, lbs[0].ID, eips[0].Address)
			}
		}

		h.markDeleted(dupKey)
		for round := range 5 {
			atOnce(hefeiKey, dupKey)
			check("delete", round)
		}
		h.converge(dupKey, hefeiKey)
		if got := h.lbsNamed(hefeiName); len(got) != 1 || got[0].ID != lbs[0].ID {
			t.Errorf("trial %d: after the duplicate went: ELBs %v, want %s kept", trial, got, lbs[0].ID)
		}
		if got := h.eipsNamed(hefeiName); len(got) != 1 || got[0].ID != eips[0].ID || got[0].InstanceID != lbs[0].ID {
			t.Errorf("trial %d: after the duplicate went: EIPs %v, want %s kept on %s", trial, got, eips[0].ID, lbs[0].ID)
		}
		if c := h.emu.Calls(); c["ReleaseInstance"] != 0 || c["CreateLoadBalancer"] != 1 || c["CreateEipInstance"] != 1 {
			t.Errorf("trial %d: calls %v, want one create of each and no release", trial, c)
		}
	}
}

// A conflict that repeats while a PoolService is being deleted (its EIP
// keeps answering IncorrectEipStatus) is waited out with a growing delay,
// without a status or record write per round; once it clears, the ELB and
// EIP are released and the finalizer goes.
func TestCleanupConflictBacksOffWithoutWrites(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	eipID := h.eipsNamed(hefeiName)[0].ID
	h.markDeleted(hefeiKey)
	h.emu.SetFault("UnAssociateEnsEipAddress", ensemulator.Fault{Code: "IncorrectEipStatus", Rate: 1})
	h.emu.ResetCalls()
	h.events()

	var delays []time.Duration
	var psVersion, recordVersion string
	for round := range 5 {
		after, err := h.syncOnce(hefeiKey)
		if err != nil {
			t.Fatalf("round %d: sync error %v; a wait is not an error", round, err)
		}
		delays = append(delays, after)
		ps := h.poolService(hefeiKey)
		rec := h.recordVersion(hefeiName)
		if round == 0 { // the first round marks the EIP Releasing in the record
			psVersion, recordVersion = ps.ResourceVersion, rec
			continue
		}
		if ps.ResourceVersion != psVersion {
			t.Errorf("round %d rewrote the PoolService: resourceVersion %s -> %s", round, psVersion, ps.ResourceVersion)
		}
		if rec != recordVersion {
			t.Errorf("round %d rewrote the ownership record: resourceVersion %s -> %s", round, recordVersion, rec)
		}
		if ev := h.events(); len(ev) != 0 {
			t.Errorf("round %d emitted events %v", round, ev)
		}
	}
	for i := 1; i < len(delays); i++ {
		if delays[0] <= 0 || delays[i] <= delays[i-1] {
			t.Errorf("requeue delays %v, want positive and strictly increasing", delays)
			break
		}
	}
	c := h.emu.Calls()
	if c["UnAssociateEnsEipAddress"] != len(delays) || c["ReleaseInstance"] != 0 {
		t.Errorf("calls %v: want one unassociate a round and no release while it fails", c)
	}
	if ps := h.poolService(hefeiKey); !slices.Contains(ps.Finalizers, apis.FinalizerELBResources) {
		t.Fatal("finalizer dropped while the EIP could not be released")
	}

	h.emu.SetFault("UnAssociateEnsEipAddress", ensemulator.Fault{})
	h.converge(hefeiKey)
	h.assertReleased(hefeiKey, lbID, eipID)
}

// recordVersion is the resourceVersion of the ownership record of name.
func (h *harness) recordVersion(name string) string {
	h.t.Helper()
	cms, err := h.kube.CoreV1().ConfigMaps("").List(h.ctx, metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, cm := range cms.Items {
		if cm.Name == ownership.ObjectName(name) {
			return cm.ResourceVersion
		}
	}
	h.t.Fatalf("no ownership record of %s", name)
	return ""
}

// assertReleased checks a deleted PoolService's ELB and EIP were released
// (and only they, of its name), its record emptied and its finalizer gone.
func (h *harness) assertReleased(key, lbID, eipID string) {
	h.t.Helper()
	if n, e := len(h.lbsNamed(hefeiName)), len(h.eipsNamed(hefeiName)); n != 0 || e != 0 {
		h.t.Errorf("%d ELBs and %d EIPs named %s left", n, e, hefeiName)
	}
	var released []string
	for _, r := range h.emu.Inventory().Released {
		released = append(released, r.ID)
	}
	if d := cmp.Diff(sortedStrings([]string{lbID, eipID}), sortedStrings(released)); d != "" {
		h.t.Errorf("released (-want +got):\n%s", d)
	}
	if ps := h.poolService(key); slices.Contains(ps.Finalizers, apis.FinalizerELBResources) {
		h.t.Errorf("finalizer still held: %v", ps.Finalizers)
	}
	if rec, _ := h.c.owned.Get(h.ctx, hefeiName); !rec.Empty() {
		h.t.Errorf("record left: %+v", rec)
	}
	if len(h.lbsNamed(chengName)) != 1 || len(h.eipsNamed(chengName)) != 1 {
		h.t.Error("the other pool's ELB or EIP went")
	}
}

// An authorization error on the release of a deleting PoolService's ELB is
// retried slowly (>= AuthRetryDelay, growing; not an error), reported, and
// once the credentials work again the ELB and EIP are released and the
// finalizer goes: deletions do not stall until the periodic resync.
func TestAuthErrorDuringDeletionRetried(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	eipID := h.eipsNamed(hefeiName)[0].ID
	h.markDeleted(hefeiKey)
	h.emu.SetFault("ReleaseInstance", ensemulator.Fault{Code: "NoPermission", Rate: 1})
	h.events()

	// The first pass unassociates the EIP and waits for it (ENS refuses a
	// release meanwhile); the release comes once it has settled.
	if d, err := h.syncOnce(hefeiKey); err != nil || d <= 0 {
		t.Fatalf("unassociating pass: sync = %v, %v; want a wait", d, err)
	}
	h.waitSettled()
	first, err := h.syncOnce(hefeiKey)
	if err != nil || first < DefaultAuthRetryDelay {
		t.Errorf("first auth failure: sync = %v, %v; want a requeue after >= %v and no error", first, err, DefaultAuthRetryDelay)
	}
	h.waitSettled() // the EIP has finished unassociating: the release is tried again
	second, err := h.syncOnce(hefeiKey)
	if err != nil || second <= first {
		t.Errorf("second auth failure: sync = %v, %v; want a longer delay than %v and no error", second, err, first)
	}
	ps := h.poolService(hefeiKey)
	if !slices.Contains(ps.Finalizers, apis.FinalizerELBResources) {
		t.Fatal("finalizer dropped though nothing could be released")
	}
	if got := condition(ps, apis.ConditionSynced); got != "False/"+apis.EventSyncLoadBalancerFailed {
		t.Errorf("Synced = %s", got)
	}
	if msg := syncedMessage(t, h, hefeiKey); !strings.Contains(msg, "NoPermission") || requestIDPattern.MatchString(msg) {
		t.Errorf("Synced message %q: want the code, no RequestId", msg)
	}
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeWarning, apis.EventSyncLoadBalancerFailed, "NoPermission") {
		t.Errorf("no Warning naming the auth error: %v", ev)
	}
	if len(h.lbsNamed(hefeiName)) != 1 || len(h.eipsNamed(hefeiName)) != 1 || len(h.emu.Inventory().Released) != 0 {
		t.Fatalf("released while ReleaseInstance was refused: %+v", h.emu.Inventory().Released)
	}

	h.emu.SetFault("ReleaseInstance", ensemulator.Fault{})
	h.converge(hefeiKey)
	h.assertReleased(hefeiKey, lbID, eipID)
}

// A served user ELB released by hand: the PoolService stops advertising
// it (ingress, ELB id and Ready go) and nothing is created in its place.
// The same holds when its ELB-id annotation is edited to something that
// cannot be an ELB id, which is refused before any cloud call.
func TestServedUserELBGoneNoLongerAdvertised(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		act          func(h *harness)
		noCalls      bool // not even a read: refused before any cloud call
	}{
		{"released by hand", apis.EventLoadBalancerNotFound, func(h *harness) {
			if err := h.user.UnassociateEIP(h.ctx, "eip-hefei-existing"); err != nil {
				h.t.Fatal(err)
			}
			h.waitSettled()
			if err := h.user.ReleaseLoadBalancer(h.ctx, "lb-hefei-existing"); err != nil {
				h.t.Fatal(err)
			}
		}, false},
		{"id edited to a non-id", apis.EventInvalidAnnotation, func(h *harness) {
			h.setLoadBalancerID(hefeiKey, "lb-hefei-existing "+strings.Repeat("x", 70))
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := userHarness(t)
			ps := h.poolService(hefeiKey)
			if condition(ps, apis.ConditionReady) != "True/"+reasonReady || len(ingress(ps)) != 1 ||
				ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID] != "lb-hefei-existing" {
				t.Fatalf("user-managed walkthrough not served: %+v", ps.Status)
			}
			tt.act(h)
			h.emu.ResetCalls()
			h.events()
			h.converge(hefeiKey)

			ps = h.poolService(hefeiKey)
			if len(ps.Status.LoadBalancer.Ingress) != 0 {
				t.Errorf("ingress %v still advertised", ingress(ps))
			}
			if id, ok := ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]; ok {
				t.Errorf("aggregateToAnnotations still carries the ELB id %q", id)
			}
			if got := condition(ps, apis.ConditionReady); got != "False/"+tt.reason {
				t.Errorf("Ready = %s, want False/%s", got, tt.reason)
			}
			if got := condition(ps, apis.ConditionSynced); got != "False/"+tt.reason {
				t.Errorf("Synced = %s, want False/%s", got, tt.reason)
			}
			if ev := h.events(); !hasEvent(ev, corev1.EventTypeWarning, tt.reason, apis.AnnotationLoadBalancerID) {
				t.Errorf("no Warning %s naming %s: %v", tt.reason, apis.AnnotationLoadBalancerID, ev)
			}
			if m := h.emu.MutatingCalls(); m != 0 {
				t.Errorf("%d mutating calls for a gone ELB: %v", m, h.emu.Calls())
			}
			if c := h.emu.Calls(); tt.noCalls && len(c) != 0 {
				t.Errorf("cloud called with an id ENS cannot take: %v", c)
			}
			if e := h.eip("eip-hefei-existing"); e.Name != "user-eip-hefei" {
				t.Errorf("user EIP changed: %+v", e)
			}
		})
	}
}
