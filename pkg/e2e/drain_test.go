//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// drainTimeout is the Service's connection-drain timeout, the minimum.
const drainTimeout = 10 * time.Second

// TestConnectionDrain: a Local-policy Service with connection drain on.
// When the pod leaves a node, that instance's backend is set to weight 0
// first and stays on the ELB for the whole timeout, then is removed (one
// SetBackendServers, one RemoveBackendServers); when the pod comes back
// within the timeout, the backend is restored to its weight and never
// removed or added again.
func TestConnectionDrain(t *testing.T) {
	waitTestNamespacesGone(t)
	ns := newNamespace(t, "drain")
	key := labelNodesFor(t, ns)
	createCube(t, ns, map[string]string{key: "on"})
	createService(t, ns, "cube-svc", "k8s-svc=cube", func(svc *corev1.Service) {
		svc.Annotations[apis.AnnotationConnectionDrain] = "on"
		svc.Annotations[apis.AnnotationConnectionDrainTimeout] = fmt.Sprint(int(drainTimeout.Seconds()))
	})
	waitIngressCount(t, ns, "cube-svc", 2, defaultTimeout)
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))
	weights := map[string]int{}
	for _, pool := range pools {
		lb, why := managedELB(waitSettled(t), resourceName("cube-svc", ns, pool))
		if lb == nil {
			t.Fatal(why)
		}
		for _, b := range lb.Backends {
			weights[b.ServerID] = b.Weight
		}
	}
	for id, w := range weights {
		if w == 0 {
			t.Fatalf("backend %s serves with weight 0 before any drain: %v", id, weights)
		}
	}

	t.Run("removed after the timeout", func(t *testing.T) {
		base := quietCalls(t)
		left := time.Now()
		patchNodeLabels(t, "edge-hefei-2", map[string]*string{key: nil})
		waitWeight(t, ns, "np-hefei", "i-hefei-2", 0, drainTimeout/2)
		drained := time.Now()
		// Until it is gone it stays on the ELB at weight 0, beside the others
		// at theirs.
		var removed time.Time
		eventually(t, drainTimeout+15*time.Second, "i-hefei-2 removed from the Hefei ELB", func() (bool, string) {
			got, ok := backendWeights(t, ns, "np-hefei")
			if got["i-hefei-1"] != weights["i-hefei-1"] {
				t.Fatalf("i-hefei-1 weight %v during the drain, want %d", got, weights["i-hefei-1"])
			}
			if !ok {
				return false, "no Hefei ELB"
			}
			w, present := got["i-hefei-2"]
			if present && w != 0 {
				t.Fatalf("i-hefei-2 back at weight %d during its drain (no pod came back)", w)
			}
			removed = time.Now()
			return !present, fmt.Sprintf("backends %v", got)
		})
		t.Logf("pod left at 0s, weight 0 seen after %s, removed after %s", drained.Sub(left).Round(10*time.Millisecond),
			removed.Sub(left).Round(10*time.Millisecond))
		if removed.Sub(left) < drainTimeout {
			t.Errorf("i-hefei-2 removed %s after its pod left, before the %s drain had passed", removed.Sub(left), drainTimeout)
		}
		waitELBs(t, ns, "cube-svc", map[string][]string{"np-hefei": {"i-hefei-1"}, "np-chengdu": poolInstances["np-chengdu"]}, managedLBFor(ns, "cube-svc"))
		checkBackendCalls(t, base, quietCalls(t), 1, 1, 0)
	})

	t.Run("restored within the timeout", func(t *testing.T) {
		base := quietCalls(t)
		patchNodeLabels(t, "edge-chengdu-2", map[string]*string{key: nil})
		waitWeight(t, ns, "np-chengdu", "i-chengdu-2", 0, drainTimeout/2)
		drained := time.Now()
		patchNodeLabels(t, "edge-chengdu-2", map[string]*string{key: ptr.To("on")})
		waitWeight(t, ns, "np-chengdu", "i-chengdu-2", weights["i-chengdu-2"], drainTimeout)
		back := time.Now()
		t.Logf("drained, then restored %s later", back.Sub(drained).Round(10*time.Millisecond))
		if back.Sub(drained) >= drainTimeout {
			t.Fatalf("the pod took %s to come back, not within the %s drain: the test cannot tell a restore from a re-add", back.Sub(drained), drainTimeout)
		}
		// Past the moment the drain would have ended, it is still there at its weight.
		consistently(t, time.Until(drained.Add(drainTimeout+3*time.Second)), "i-chengdu-2 stays at its weight", func() (bool, string) {
			got, _ := backendWeights(t, ns, "np-chengdu")
			w, ok := got["i-chengdu-2"]
			return ok && w == weights["i-chengdu-2"], fmt.Sprintf("backends %v", got)
		})
		checkBackendCalls(t, base, quietCalls(t), 2, 0, 0)
	})

	deleteService(t, ns, "cube-svc")
	waitNoCloudResources(t, servicePrefix("cube-svc", ns))
}

// backendWeights is the weight of each backend of the pool's ELB of
// cube-svc; false when there is no such ELB.
func backendWeights(t *testing.T, ns, pool string) (map[string]int, bool) {
	t.Helper()
	lb, _ := managedELB(inventory(t), resourceName("cube-svc", ns, pool))
	if lb == nil {
		return nil, false
	}
	out := map[string]int{}
	for _, b := range lb.Backends {
		out[b.ServerID] = b.Weight
	}
	return out, true
}

// waitWeight waits until the instance is a backend of the pool's ELB with
// the weight.
func waitWeight(t *testing.T, ns, pool, instance string, weight int, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, fmt.Sprintf("%s at weight %d on the %s ELB", instance, weight, pool), func() (bool, string) {
		got, _ := backendWeights(t, ns, pool)
		w, ok := got[instance]
		return ok && w == weight, fmt.Sprintf("backends %v", got)
	})
}

// checkBackendCalls compares the backend calls between two readings.
func checkBackendCalls(t *testing.T, before, after ensemulator.CallStats, set, remove, add int) {
	t.Helper()
	for _, c := range []struct {
		action string
		want   int
	}{{"SetBackendServers", set}, {"RemoveBackendServers", remove}, {"AddBackendServers", add}} {
		if got := after.Calls[c.action] - before.Calls[c.action]; got != c.want {
			t.Errorf("%d %s calls, want %d (all calls: %s)", got, c.action, c.want, callsDiff(before, after))
		}
	}
}
