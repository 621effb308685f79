package elb

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// Backends of deleted nodes on a user ELB: the instances this controller
// added are recorded per ELB (ownership.Backends), so the instance of a node
// deleted from the cluster is still ours to take off, while an instance
// neither of a current node nor recorded (another cluster's, a person's) is
// never touched.

const userLB = "lb-hefei-existing"

// withInstances adds Running hefei instances to the emulator and puts the
// foreign ones on the user ELB, as another cluster or a person would.
func withInstances(extra []string, foreignOnELB ...string) emulatortest.Option {
	return emulatortest.WithInventory(defaultInventoryWith(func(inv *invT) {
		for i, id := range append(slices.Clone(extra), foreignOnELB...) {
			inv.Instances = append(inv.Instances, ensemulator.Instance{ID: id, RegionID: "cn-hefei-cmcc-2",
				NetworkID: "n-hefei", VSwitchID: "vsw-hefei-1", Status: "Running", PrivateIP: "10.1.0." + itoa(50+i)})
		}
		for i := range inv.LoadBalancers {
			if inv.LoadBalancers[i].ID != userLB {
				continue
			}
			for j, id := range foreignOnELB {
				inv.LoadBalancers[i].Backends = append(inv.LoadBalancers[i].Backends,
					ensemulator.Backend{ServerID: id, Type: "ens", IP: "10.1.0." + itoa(50+len(extra)+j), Weight: 100})
			}
		}
	}))
}

// recordedBackends is what the API server's backend record of the ELB holds.
func (h *harness) recordedBackends(lbID string) []string {
	h.t.Helper()
	b, err := h.c.owned.GetBackends(h.ctx, lbID)
	if err != nil {
		h.t.Fatal(err)
	}
	return sortedStrings(b.IDs())
}

// settleRecords waits until the records' cache shows what the API holds.
func (h *harness) settleRecords() {
	h.t.Helper()
	h.waitFor("the backend record cache", func() bool {
		live, err := h.c.owned.GetBackends(h.ctx, userLB)
		return err == nil && slices.Equal(live.IDs(), h.c.owned.CachedBackends(userLB).IDs())
	})
}

func (h *harness) deleteNode(name string) {
	h.t.Helper()
	if err := h.kube.CoreV1().Nodes().Delete(h.ctx, name, metav1.DeleteOptions{}); err != nil {
		h.t.Fatal(err)
	}
	h.settle()
}

// restart replaces the controller by a new one (fresh informers and memory)
// on the same API server, cloud and ownership records: a manager restart or
// a new leader.
func (h *harness) restart() {
	h.t.Helper()
	kinf := informers.NewSharedInformerFactory(h.kube, 0)
	yinf := externalversions.NewSharedInformerFactory(h.yurt, 0)
	c, err := NewController(h.ctx, h.c.cfg,
		h.kube, h.yurt, h.cloud, kinf.Core().V1().Services(), yinf.Apps().V1beta2().NodePools().Informer(),
		yinf.Network().V1alpha1().PoolServices(), kinf.Core().V1().Nodes(), kinf.Discovery().V1().EndpointSlices(), h.recorder)
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
	go c.owned.Run(h.ctx)
	kinf.Start(h.ctx.Done())
	yinf.Start(h.ctx.Done())
	if !cache.WaitForCacheSync(h.ctx.Done(), append(c.synced, c.owned.HasSynced)...) {
		h.t.Fatal("caches did not sync after the restart")
	}
}

func (h *harness) expectUserBackends(when string, want []string) {
	h.t.Helper()
	if d := cmp.Diff(want, backends(h.lb(userLB))); d != "" {
		h.t.Errorf("%s: user ELB backends (-want +got):\n%s", when, d)
	}
}

func (h *harness) expectRecorded(when string, want ...string) {
	h.t.Helper()
	if d := cmp.Diff(want, h.recordedBackends(userLB)); d != "" {
		h.t.Errorf("%s: recorded backends of %s (-want +got):\n%s", when, userLB, d)
	}
}

// A node deleted from the cluster loses its instance on the user ELB (we
// added it), while the instances another cluster or a person put there stay
// through every sync, and are never recorded.
func TestUserELBDeletedNodeBackendRemoved(t *testing.T) {
	h := userHarness(t, withInstances(nil, "i-other-cluster", "i-by-hand"))
	h.expectUserBackends("converged", []string{"i-by-hand:0/100", "i-hefei-1:0/100", "i-hefei-2:0/100", "i-other-cluster:0/100"})
	h.expectRecorded("converged", "i-hefei-1", "i-hefei-2")

	h.deleteNode("hefei-2")
	h.converge(hefeiKey)
	h.expectUserBackends("after hefei-2 was deleted", []string{"i-by-hand:0/100", "i-hefei-1:0/100", "i-other-cluster:0/100"})
	h.expectRecorded("after hefei-2 was deleted", "i-hefei-1")
	if c := h.emu.Calls()["RemoveBackendServers"]; c != 1 {
		t.Errorf("RemoveBackendServers called %d times, want 1", c)
	}

	// The last node goes too: the foreign ones are still not ours.
	h.deleteNode("hefei-1")
	h.converge(hefeiKey)
	h.expectUserBackends("after every node was deleted", []string{"i-by-hand:0/100", "i-other-cluster:0/100"})
	h.expectRecorded("after every node was deleted")
	if _, err := h.kube.CoreV1().ConfigMaps(h.c.owned.Namespace()).Get(h.ctx, ownership.BackendsObjectName(userLB), metav1.GetOptions{}); err == nil {
		t.Error("an empty backend record left its ConfigMap")
	}
}

// A person adds another instance by hand after we converged, and one of our
// nodes goes NotReady: only our node's instance is taken off; the hand-added
// one is neither removed nor recorded.
func TestUserELBHandAddedBackendNeverRemoved(t *testing.T) {
	h := userHarness(t, withInstances([]string{"i-hand-later"}))
	if err := h.user.AddBackends(h.ctx, userLB, []cloud.Backend{{ServerID: "i-hand-later", Weight: 30}}); err != nil {
		t.Fatal(err)
	}
	n, _ := h.kube.CoreV1().Nodes().Get(h.ctx, "hefei-2", metav1.GetOptions{})
	n.Status.Conditions[0].Status = corev1.ConditionFalse
	h.update(n)
	h.converge(hefeiKey)
	h.deleteNode("hefei-2")
	h.converge(hefeiKey)
	h.expectUserBackends("after hefei-2 went NotReady and was deleted", []string{"i-hand-later:0/30", "i-hefei-1:0/100"})
	h.expectRecorded("after hefei-2 went NotReady and was deleted", "i-hefei-1")
}

// The node is deleted while the manager is down: the new controller knows
// nothing of it but the record, and still takes its instance off.
func TestUserELBDeletedNodeBackendRemovedAfterRestart(t *testing.T) {
	h := userHarness(t, withInstances(nil, "i-other-cluster"))
	h.deleteNode("hefei-2")
	h.restart()
	h.converge(hefeiKey)
	h.expectUserBackends("after the restart", []string{"i-hefei-1:0/100", "i-other-cluster:0/100"})
	h.expectRecorded("after the restart", "i-hefei-1")
}

// AddBackendServers fails, before ENS acted or with its answer lost after:
// the instance is recorded either way (the record is written first). With
// the answer lost, the node is deleted and the manager restarts before any
// other sync: the instance is still taken off. Not applied, the next sync
// adds it (the record already holds it), and it goes when its node does.
func TestUserELBLostAddAnswerStillRecorded(t *testing.T) {
	for _, applied := range []bool{false, true} {
		t.Run(map[bool]string{false: "not-applied", true: "applied-answer-lost"}[applied], func(t *testing.T) {
			h := userHarness(t, withInstances([]string{"i-hefei-3"}))
			h.emu.SetFault("AddBackendServers", ensemulator.Fault{Code: "ServiceUnavailable", FailNext: 1, Applied: applied})
			h.create(newNode("hefei-3", "np-hefei", "i-hefei-3", true))
			if _, err := h.syncOnce(hefeiKey); err == nil {
				t.Fatal("the sync whose AddBackendServers failed succeeded")
			}
			if f := h.emu.Faults()["AddBackendServers"]; f.FailNext != 0 {
				t.Fatal("the AddBackendServers fault did not fire")
			}
			three := []string{"i-hefei-1:0/100", "i-hefei-2:0/100", "i-hefei-3:0/100"}
			if applied {
				h.expectUserBackends("after the lost answer", three)
			} else {
				h.expectUserBackends("after the refused add", three[:2])
			}
			h.expectRecorded("after the failed add", "i-hefei-1", "i-hefei-2", "i-hefei-3")
			if !applied {
				h.converge(hefeiKey)
				h.expectUserBackends("after the add was repeated", three)
				h.expectRecorded("after the add was repeated", "i-hefei-1", "i-hefei-2", "i-hefei-3")
			}

			h.deleteNode("hefei-3")
			h.restart()
			h.converge(hefeiKey)
			h.expectUserBackends("after hefei-3 was deleted", three[:2])
			h.expectRecorded("after hefei-3 was deleted", "i-hefei-1", "i-hefei-2")
		})
	}
}

// forgetAbsentBackends, called after a fresh read of the ELB, forgets a
// recorded instance the ELB no longer has (here: a person took it off),
// once settled: should the instance come back by someone else's hand (the
// machine now serves another cluster), it is not ours to remove.
func TestUserELBAbsentRecordedBackendForgotten(t *testing.T) {
	h := userHarness(t, withInstances(nil))
	if err := h.user.RemoveBackends(h.ctx, userLB, []cloud.Backend{{ServerID: "i-hefei-2"}}); err != nil {
		t.Fatal(err)
	}
	h.deleteNode("hefei-2")
	user := elbmodel.Desired{LoadBalancerID: userLB}
	forget := func() {
		t.Helper()
		lb, err := h.c.cloud.DescribeLoadBalancer(h.ctx, userLB)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.c.forgetAbsentBackends(h.ctx, user, lb); err != nil {
			t.Fatal(err)
		}
		h.settleRecords()
	}
	forget()
	h.expectRecorded("read right after the add may predate it", "i-hefei-1", "i-hefei-2")
	h.clock.Step(addedSettle + time.Second)
	forget()
	h.expectRecorded("settled", "i-hefei-1")

	if err := h.user.AddBackends(h.ctx, userLB, []cloud.Backend{{ServerID: "i-hefei-2", Weight: 40}}); err != nil {
		t.Fatal(err)
	}
	h.converge(hefeiKey)
	h.expectUserBackends("after another's hand added i-hefei-2", []string{"i-hefei-1:0/100", "i-hefei-2:0/40"})
}

// --dry-run adds no backend and records none.
func TestUserELBDryRunRecordsNoBackends(t *testing.T) {
	h := newHarnessConfigured(t, nil, func(c *Config) { c.DryRun = true })
	h.seedWalkthrough(map[string]string{apis.AnnotationManagedByUser: "true"}, corev1.ServiceExternalTrafficPolicyCluster)
	h.setLoadBalancerID(hefeiKey, userLB)
	for range 3 {
		if _, err := h.syncOnce(hefeiKey); err != nil {
			t.Fatal(err)
		}
	}
	if ev := dryRunEvents(h.events()); !hasEvent(ev, corev1.EventTypeNormal, apis.EventDryRun, "AddBackends") {
		t.Fatalf("the dry run planned no AddBackends: %v", ev)
	}
	h.expectUserBackends("after the dry run", nil)
	h.expectRecorded("after the dry run")
	list, err := h.kube.CoreV1().ConfigMaps(h.c.owned.Namespace()).List(h.ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("the dry run wrote ConfigMaps: %d, %v", len(list.Items), err)
	}
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("the dry run made %d mutating calls: %v", m, h.emu.Calls())
	}
}

// A sharer whose annotations no longer parse has needs nobody can read: the
// instances of its pool's nodes stay on the shared ELB (conservative) while
// another sharer syncs, and go once that sharer is gone.
func TestUserELBUnparsableSharerKeepsItsBackends(t *testing.T) {
	h := userHarness(t)
	user := map[string]string{apis.AnnotationManagedByUser: "true"}
	h.create(newService("other-svc", corev1.ServiceExternalTrafficPolicyCluster, user,
		corev1.ServicePort{Port: 8080, NodePort: 30880, Protocol: "TCP"}))
	h.create(newPoolService("other-svc", "np-hefei", map[string]string{apis.AnnotationLoadBalancerID: userLB}))
	const otherKey = "default/other-svc-np-hefei"
	h.converge(otherKey)

	// cube-svc now wants hefei-1 only; other-svc still needs both.
	n, _ := h.kube.CoreV1().Nodes().Get(h.ctx, "hefei-1", metav1.GetOptions{})
	n.Labels["rack"] = "a"
	h.update(n)
	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationBackendLabel] = "rack=a" })
	h.converge(hefeiKey)
	both := []string{"i-hefei-1:0/100", "i-hefei-2:0/100"}
	h.expectUserBackends("other-svc needs both", both)

	other := h.service("other-svc")
	other.Annotations[apis.AnnotationBackendWeight] = "heavy"
	h.update(other)
	h.converge(hefeiKey)
	h.expectUserBackends("other-svc's annotations do not parse", both)
	h.expectRecorded("other-svc's annotations do not parse", "i-hefei-1", "i-hefei-2")

	if err := h.yurt.NetworkV1alpha1().PoolServices("default").Delete(h.ctx, "other-svc-np-hefei", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	h.converge(hefeiKey)
	h.expectUserBackends("other-svc gone", []string{"i-hefei-1:0/100"})
	h.expectRecorded("other-svc gone", "i-hefei-1")
}

// A removal the plan made from the cached record is checked against the API
// server's: an instance neither of a current node nor recorded there is
// left on the ELB, whatever the plan said (a cache may lag our own forget).
func TestUserELBRemovalChecksTheLiveRecord(t *testing.T) {
	h := userHarness(t, withInstances(nil, "i-other-cluster", "i-gone"))
	if _, err := h.c.owned.UpdateBackends(h.ctx, userLB, func(r *ownership.Backends) bool { return r.Add(h.clock.Now(), "i-gone") }); err != nil {
		t.Fatal(err)
	}
	planned := []cloud.Backend{{ServerID: "i-gone"}, {ServerID: "i-hefei-2"}, {ServerID: "i-other-cluster"}}
	if err := h.c.removeBackends(h.ctx, elbmodel.Desired{LoadBalancerID: userLB}, userLB, planned); err != nil {
		t.Fatal(err)
	}
	h.expectUserBackends("after the removal", []string{"i-hefei-1:0/100", "i-other-cluster:0/100"})
	h.expectRecorded("after the removal", "i-hefei-1")
}
