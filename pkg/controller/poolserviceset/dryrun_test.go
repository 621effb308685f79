package poolserviceset

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// TestDryRunWritesNothing: with SetDryRun the walkthrough's Service gets
// no PoolService, no finalizer and no status; each planned write is an
// Event instead.
func TestDryRunWritesNothing(t *testing.T) {
	kube, yurt := walkthrough()
	f, kf, yf := newController(t, kube, yurt)
	f.c.SetDryRun()
	f.start(kf, yf)
	f.waitFor("the planned writes reported", func() bool {
		return f.countEvents(corev1.EventTypeNormal+" "+apis.EventDryRun) >= 3
	})
	f.waitIdle()
	if names := f.psNames(); len(names) != 0 {
		t.Errorf("dry run created PoolServices %v", names)
	}
	for _, a := range append(f.kube.Actions(), f.yurt.Actions()...) {
		if writeVerb(a.GetVerb()) {
			t.Errorf("dry run wrote: %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	if svc := f.getSvc("cube-svc"); slices.Contains(svc.Finalizers, apis.FinalizerPoolServices) {
		t.Errorf("dry run added the finalizer: %v", svc.Finalizers)
	}
	var got []string
	for _, e := range f.events.all() {
		if strings.Contains(e, apis.EventDryRun) {
			got = append(got, e)
		}
	}
	for _, want := range []string{"add finalizer", "create PoolService cube-svc-np-hefei", "create PoolService cube-svc-np-chengdu"} {
		if !slices.ContainsFunc(got, func(e string) bool { return strings.Contains(e, want) }) {
			t.Errorf("no DryRun event saying %q: %v", want, got)
		}
	}
}
