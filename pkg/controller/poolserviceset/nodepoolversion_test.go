package poolserviceset

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clienttesting "k8s.io/client-go/testing"
)

// TestOwnerReferencesNameServedNodePoolVersion: on an API server that serves
// NodePool only as v1beta1, new PoolServices name apps.openyurt.io/v1beta1
// (the garbage collector cannot resolve an unserved version), one written
// with v1beta2 is repaired once, and resyncs then write nothing: the
// repair never flips between versions.
func TestOwnerReferencesNameServedNodePoolVersion(t *testing.T) {
	kube, yurt := walkthrough()
	// What an earlier manager wrote there: a v1beta2 pool reference.
	old := testOwners.newPoolService(elbService("cube-svc", "k8s-svc=cube"), pool("np-chengdu", nil), "cube-svc-np-chengdu")
	if got := old.OwnerReferences[1].APIVersion; got != nodePoolV1beta2 {
		t.Fatalf("setup: old PoolService names %s", got)
	}
	f, kf, yf := newControllerServing(t, nodePoolV1beta1, kube, append(yurt, old))
	f.start(kf, yf)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	f.waitFor("the v1beta2 reference repaired", func() bool {
		refs := f.getPS("cube-svc-np-chengdu").OwnerReferences
		return len(refs) == 2 && refs[1].APIVersion == nodePoolV1beta1
	})
	f.waitIdle()
	checkPoolServiceServing(t, nodePoolV1beta1, f.getPS("cube-svc-np-hefei"), "cube-svc", "np-hefei")
	checkPoolServiceServing(t, nodePoolV1beta1, f.getPS("cube-svc-np-chengdu"), "cube-svc", "np-chengdu")

	patches := func() []string {
		var out []string
		for _, a := range f.yurt.Actions() {
			if p, ok := a.(clienttesting.PatchAction); ok {
				out = append(out, p.GetName()+" "+string(p.GetPatch()))
			}
		}
		return out
	}
	// A sync racing the cache may send the same repair twice; every one
	// must name the served version.
	if got := patches(); len(got) == 0 {
		t.Error("the v1beta2 reference was not repaired")
	}
	for _, p := range patches() {
		if strings.Contains(p, nodePoolV1beta2) || !strings.Contains(p, nodePoolV1beta1) {
			t.Errorf("repair patch does not name only %s: %s", nodePoolV1beta1, p)
		}
	}
	writes := f.writes()
	for range 3 { // resyncs
		f.queue.Add(ns + "/cube-svc")
		f.waitIdle()
	}
	if n := f.writes() - writes; n != 0 {
		t.Errorf("%d writes on resync, want none (patches %v)", n, patches())
	}
	want := []metav1.OwnerReference{
		serviceOwnerRef(elbService("cube-svc", "")),
		{APIVersion: nodePoolV1beta1, Kind: "NodePool", Name: "np-chengdu", UID: uid("np-chengdu")},
	}
	if diff := cmp.Diff(want, f.getPS("cube-svc-np-chengdu").OwnerReferences); diff != "" {
		t.Errorf("owner references after resyncs (-want +got):\n%s", diff)
	}
}

func TestNewOwnersRejectsOtherGroups(t *testing.T) {
	for _, v := range []string{"", "v1", "apps/v1", "apps.openyurt.io", "apps.openyurt.io/"} {
		if _, err := newOwners(v); err == nil {
			t.Errorf("newOwners(%q) accepted", v)
		}
	}
	for _, v := range []string{nodePoolV1beta1, nodePoolV1beta2} {
		if o, err := newOwners(v); err != nil || o.nodePoolAPIVersion != v {
			t.Errorf("newOwners(%q) = %+v, %v", v, o, err)
		}
	}
}
