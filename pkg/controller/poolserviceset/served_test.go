package poolserviceset

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clienttesting "k8s.io/client-go/testing"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

// TestEditedLabelsAreRepairedNotDeleted edits the labels people edit on one
// PoolService to name another pool or Service. Owner references say what it
// serves (v1alpha1.ServedBy), so it is repaired, never deleted with its ELB,
// and no other PoolService is touched.
func TestEditedLabelsAreRepairedNotDeleted(t *testing.T) {
	for _, tc := range []struct {
		name       string
		key, value string
	}{
		{"pool label names another pool of the Service", apis.LabelPoolName, "np-chengdu"},
		{"pool label names a pool of another Service", apis.LabelPoolName, "np-beijing"},
		{"service label names another Service", apis.LabelServiceName, "other-svc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kube, yurt := walkthrough()
			// other-svc serves np-beijing only, so it would delete a
			// PoolService in np-hefei it wrongly thought its own.
			kube = append(kube, elbService("other-svc", "k8s-svc=other"))
			f := newFixture(t, kube, yurt)
			all := []string{"cube-svc-np-chengdu", "cube-svc-np-hefei", "other-svc-np-beijing"}
			f.waitPoolServices(all...)
			f.waitIdle()
			before := len(f.yurt.Actions())

			ps := f.getPS("cube-svc-np-hefei")
			ps.Labels[tc.key] = tc.value
			if _, err := f.yurt.NetworkV1alpha1().PoolServices(ns).Update(f.ctx, ps, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			f.waitFor("the label set back", func() bool {
				ps := f.getPS("cube-svc-np-hefei")
				return ps != nil && ps.Labels[apis.LabelPoolName] == "np-hefei" && ps.Labels[apis.LabelServiceName] == "cube-svc"
			})
			f.waitIdle()

			f.waitPoolServices(all...)
			checkPoolService(t, f.getPS("cube-svc-np-hefei"), "cube-svc", "np-hefei")
			for _, a := range f.yurt.Actions()[before+1:] { // after our own update
				name := actionName(a)
				switch verb := a.GetVerb(); {
				case verb == "delete":
					t.Errorf("deleted PoolService %s", name)
				case writeVerb(verb) && name != "cube-svc-np-hefei":
					t.Errorf("%s on PoolService %s, which nobody edited", verb, name)
				}
			}
			if n := f.countEvents(corev1.EventTypeNormal + " " + apis.EventPoolServiceDeleted); n != 0 {
				t.Errorf("%d PoolServiceDeleted events: %v", n, f.events.all())
			}
		})
	}
}

func writeVerb(verb string) bool {
	return verb == "create" || verb == "update" || verb == "patch" || verb == "delete"
}

// actionName is the object name of a client action ("" if it has none).
func actionName(a clienttesting.Action) string {
	switch a := a.(type) {
	case clienttesting.CreateAction:
		if ps, ok := a.GetObject().(*networkv1alpha1.PoolService); ok {
			return ps.Name
		}
	case interface{ GetName() string }:
		return a.GetName()
	}
	return ""
}
