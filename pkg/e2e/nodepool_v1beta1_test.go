//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	appsv1beta1 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta1"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

const (
	nodePoolCRDFile = "manifests/crds/apps.openyurt.io_nodepools.yaml"
	nodePoolGroup   = "apps.openyurt.io"
	// gcDiscoveryPeriod is how often kube-controller-manager's garbage
	// collector re-reads discovery (a fixed 30 s) and so starts watching
	// NodePools through the version now served; with a margin for its list.
	gcDiscoveryPeriod = 35 * time.Second
)

// TestNodePoolServedOnlyAsV1beta1 (issue 8, item 13) runs the manager on an
// API server that serves NodePool only as v1beta1 (the CRD of manifests/crds
// with v1beta2 unserved; storage stays v1beta2) and checks, on the real
// control plane:
//   - the manager reads NodePools through v1beta1 and the PoolService it
//     makes names apps.openyurt.io/v1beta1 (with the pool's UID);
//   - deleting the pool deletes that PoolService (the fan-out does, the
//     Service being a live owner) and releases its ELB and EIP;
//   - the garbage collector resolves a v1beta1 pool reference and not a
//     v1beta2 one, shown on hand-made PoolServices of a class not ours
//     (which the manager never touches): with the pool as the only owner,
//     the v1beta1 dependent is deleted and the v1beta2 one stays; with a
//     live second owner, the v1beta1 reference is removed and the v1beta2
//     one stays. So a v1beta2 reference, as the manager wrote before
//     265d63e, never lets the collector act on the pool's deletion.
//
// The CRD as shipped and one suite replica (reading v1beta2) are back when
// the test ends.
func TestNodePoolServedOnlyAsV1beta1(t *testing.T) {
	ctx := context.Background()
	// The suite's replicas read NodePools as v1beta2, which stops being
	// served; a fresh replica discovers the version at start.
	stopReplicas(t)
	t.Cleanup(func() { ensureOneReplica(t) }) // last: after the CRD is restored
	served := time.Now()
	serveNodePoolOnly(t, "v1beta1")
	m, err := s.startReplica(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the CRD is restored
		if err := m.Stop(15 * time.Second); err != nil {
			t.Errorf("stopping %s: %v", m.Name, err)
		}
		s.prune()
	})
	if _, err := s.waitLeader(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if log, err := os.ReadFile(m.LogPath); err != nil || !strings.Contains(string(log), "Reading NodePools through the older version") {
		t.Fatalf("%s does not say it reads NodePools as v1beta1 (%v):\n%s", m.Name, err, m.Tail(20))
	}

	ns := newNamespace(t, "npv1b1")
	poolName := ns
	pool := createPoolV1beta1(t, poolName, "np-hefei", map[string]string{"k8s-svc": poolName})
	svc := createService(t, ns, "web", "k8s-svc="+poolName, func(svc *corev1.Service) {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	})
	psName := "web-" + poolName
	waitPoolServices(t, ns, psName)
	waitManaged(t, ns, "web", poolName)
	ps, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Get(ctx, psName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantRefs := []metav1.OwnerReference{
		{APIVersion: "v1", Kind: "Service", Name: "web", UID: svc.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)},
		{APIVersion: nodePoolGroup + "/v1beta1", Kind: "NodePool", Name: poolName, UID: pool.UID},
	}
	if diff := cmp.Diff(wantRefs, ps.OwnerReferences); diff != "" {
		t.Fatalf("owner references of %s (-want +got):\n%s", psName, diff)
	}
	name := resourceName("web", ns, poolName)
	inv := inventory(t)
	lb, why := managedELB(inv, name)
	eips := framework.EIPsNamed(inv, name)
	if lb == nil || len(eips) != 1 {
		t.Fatalf("%s: %s; %d EIPs", name, why, len(eips))
	}
	lbID, eipID := lb.ID, eips[0].ID

	// Hand-made dependents of the pool, one per (version, second owner):
	// their class is not ours and they name no Service, so only the
	// garbage collector acts on them (checked below from the audit log).
	// They are made once the collector watches NodePools as v1beta1, so
	// it knows the pool itself, not only through the references.
	if wait := time.Until(served.Add(gcDiscoveryPeriod)); wait > 0 {
		t.Logf("waiting %s for the garbage collector to re-read discovery", wait.Round(time.Second))
		time.Sleep(wait)
	}
	anchor, err := s.kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "gc-anchor"}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	anchorRef := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: anchor.Name, UID: anchor.UID}
	poolRef := func(version string) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: nodePoolGroup + "/" + version, Kind: "NodePool", Name: poolName, UID: pool.UID}
	}
	probes := map[string][]metav1.OwnerReference{
		"gc-v1beta1":        {poolRef("v1beta1")},
		"gc-v1beta2":        {poolRef("v1beta2")},
		"gc-anchor-v1beta1": {anchorRef, poolRef("v1beta1")},
		"gc-anchor-v1beta2": {anchorRef, poolRef("v1beta2")},
	}
	for probe, refs := range probes {
		obj := &networkv1alpha1.PoolService{
			ObjectMeta: metav1.ObjectMeta{Name: probe, OwnerReferences: refs},
			Spec:       networkv1alpha1.PoolServiceSpec{LoadBalancerClass: ptr.To("example.com/not-ours")},
		}
		if _, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s: %v", probe, err)
		}
	}
	time.Sleep(2 * time.Second) // the collector's PoolService watch delivers them

	deleted := time.Now()
	if err := s.yurt.AppsV1beta1().NodePools().Delete(ctx, poolName, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting NodePool %s: %v", poolName, err)
	}

	// The manager's PoolService goes with its ELB and EIP.
	eventually(t, defaultTimeout, "PoolService "+psName+" is gone", func() (bool, string) {
		ps, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Get(ctx, psName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, fmt.Sprintf("still there, finalizers %v, deleting since %v", ps.Finalizers, ps.DeletionTimestamp)
	})
	waitNoCloudResources(t, name)
	waitIngress(t, ns, "web", nil, defaultTimeout)
	var released []string
	for _, r := range inventory(t).Released {
		if r.Name == name && r.ReleasedBy == ensemulator.DefaultAccessKeyID {
			released = append(released, r.Kind+" "+r.ID)
		}
	}
	if want := []string{ensemulator.KindEIP + " " + eipID, ensemulator.KindLoadBalancer + " " + lbID}; !slices.Equal(sorted(released), sorted(want)) {
		t.Errorf("released for %s: %v, want %v", name, released, want)
	}
	if deleters := managerWrites(t, ns, psName, "delete"); len(deleters) == 0 {
		t.Errorf("the manager never deleted %s: who did?", psName)
	}

	// The collector: the v1beta1 references resolved, the v1beta2 ones not.
	eventually(t, 90*time.Second, "the garbage collector deletes gc-v1beta1 and strips the pool from gc-anchor-v1beta1", func() (bool, string) {
		var state []string
		gone := false
		if _, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Get(ctx, "gc-v1beta1", metav1.GetOptions{}); apierrors.IsNotFound(err) {
			gone = true
		} else {
			state = append(state, fmt.Sprintf("gc-v1beta1 still there (%v)", err))
		}
		refs := ownerRefs(t, ns, "gc-anchor-v1beta1")
		stripped := cmp.Equal(refs, []metav1.OwnerReference{anchorRef})
		if !stripped {
			state = append(state, fmt.Sprintf("gc-anchor-v1beta1 owners %+v", refs))
		}
		return gone && stripped, strings.Join(state, "; ")
	})
	t.Logf("the collector acted on the v1beta1 references %s after the pool was deleted", time.Since(deleted).Round(time.Second))
	consistently(t, 20*time.Second, "the v1beta2 references stay unresolved", func() (bool, string) {
		for _, probe := range []string{"gc-v1beta2", "gc-anchor-v1beta2"} {
			if refs := ownerRefs(t, ns, probe); !cmp.Equal(refs, probes[probe]) {
				return false, fmt.Sprintf("%s owners %+v, want %+v", probe, refs, probes[probe])
			}
		}
		return true, ""
	})
	t.Logf("%s after the pool was deleted, gc-v1beta2 (the pool its only owner) and gc-anchor-v1beta2 still hold their "+
		"v1beta2 pool reference: the collector cannot resolve it", time.Since(deleted).Round(time.Second))
	for probe := range probes {
		if w := managerWrites(t, ns, probe, "create", "update", "patch", "delete"); len(w) > 0 {
			t.Errorf("the manager wrote %s, which is not ours: %v", probe, w)
		}
	}

	deleteService(t, ns, "web")
	waitServiceGone(t, ns, "web")
	waitNoCloudResources(t, servicePrefix("web", ns))
}

// serveNodePoolOnly applies the NodePool CRD of manifests/crds with only
// version served, waits until discovery agrees, and applies the CRD as
// shipped again when t ends (waiting until both versions are served).
func serveNodePoolOnly(t *testing.T, version string) {
	t.Helper()
	raw, err := os.ReadFile(s.path(nodePoolCRDFile))
	if err != nil {
		t.Fatal(err)
	}
	var crd map[string]any
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	spec, _ := crd["spec"].(map[string]any)
	versions, _ := spec["versions"].([]any)
	var all []string
	for _, v := range versions {
		v := v.(map[string]any)
		all = append(all, v["name"].(string))
		v["served"] = v["name"] == version
	}
	if !slices.Contains(all, version) {
		t.Fatalf("%s has no version %s (versions %v)", nodePoolCRDFile, version, all)
	}
	out, err := yaml.Marshal(crd)
	if err != nil {
		t.Fatal(err)
	}
	variant := filepath.Join(t.TempDir(), "nodepools-"+version+"-only.yaml")
	if err := os.WriteFile(variant, out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := s.cluster.Kubectl(context.Background(), "apply", "-f", s.path(nodePoolCRDFile)); err != nil {
			t.Errorf("restoring the NodePool CRD: %v", err)
			return
		}
		waitNodePoolServed(t, all)
	})
	kubectl(t, "apply", "-f", variant)
	waitNodePoolServed(t, []string{version})
}

// waitNodePoolServed waits until discovery lists nodepools in exactly the
// NodePool versions want (of v1beta1, v1beta2).
func waitNodePoolServed(t *testing.T, want []string) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("NodePool served as %v only", want), func() (bool, string) {
		var got []string
		for _, v := range []string{"v1beta1", "v1beta2"} {
			list, err := s.kube.Discovery().ServerResourcesForGroupVersion(nodePoolGroup + "/" + v)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return false, err.Error()
			}
			if slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == "nodepools" }) {
				got = append(got, v)
			}
		}
		return slices.Equal(got, sorted(want)), fmt.Sprintf("served %v", got)
	})
}

// createPoolV1beta1 creates a NodePool through v1beta1 with the cloud
// annotations of the pool like; it is deleted when t ends if still there.
func createPoolV1beta1(t *testing.T, name, like string, labels map[string]string) *appsv1beta1.NodePool {
	t.Helper()
	np := &appsv1beta1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: poolAnnotations(like)},
		Spec:       appsv1beta1.NodePoolSpec{Type: appsv1beta1.Edge},
	}
	out, err := s.yurt.AppsV1beta1().NodePools().Create(context.Background(), np, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating NodePool %s as v1beta1: %v", name, err)
	}
	t.Cleanup(func() {
		err := s.yurt.AppsV1beta1().NodePools().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting NodePool %s: %v", name, err)
		}
	})
	return out
}

// ownerRefs reads a PoolService's owner references; it fails t if the
// PoolService is gone.
func ownerRefs(t *testing.T, ns, name string) []metav1.OwnerReference {
	t.Helper()
	ps, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading PoolService %s/%s: %v", ns, name, err)
	}
	return ps.OwnerReferences
}

// managerWrites lists the audit log's requests of the manager's
// ServiceAccount with one of verbs on PoolService ns/name.
func managerWrites(t *testing.T, ns, name string, verbs ...string) []string {
	t.Helper()
	events, err := s.audit.Events()
	if err != nil {
		t.Fatalf("reading the audit log: %v", err)
	}
	user := framework.ServiceAccountUser(managerNS, managerSA)
	var out []string
	for _, e := range events {
		if e.User.Username == user && e.ObjectRef != nil && e.ObjectRef.Resource == "poolservices" &&
			e.ObjectRef.Namespace == ns && e.ObjectRef.Name == name && slices.Contains(verbs, e.Verb) {
			out = append(out, e.String())
		}
	}
	return out
}
