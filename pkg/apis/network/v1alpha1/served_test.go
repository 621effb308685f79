package v1alpha1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestServedBy(t *testing.T) {
	yes := true
	svcRef := metav1.OwnerReference{APIVersion: "v1", Kind: "Service", Name: "cube-svc", Controller: &yes}
	poolRef := metav1.OwnerReference{APIVersion: "apps.openyurt.io/v1beta2", Kind: "NodePool", Name: "np-hefei"}
	poolRefV1beta1 := metav1.OwnerReference{APIVersion: "apps.openyurt.io/v1beta1", Kind: "NodePool", Name: "np-hefei"}
	labels := map[string]string{labelServiceName: "edited-svc", labelPoolName: "np-chengdu"}
	for _, tc := range []struct {
		name   string
		refs   []metav1.OwnerReference
		labels map[string]string
		want   Served
	}{
		{"owner references win over edited labels", []metav1.OwnerReference{svcRef, poolRef}, labels, Served{"cube-svc", "np-hefei"}},
		{"v1beta1 pool reference", []metav1.OwnerReference{svcRef, poolRefV1beta1}, labels, Served{"cube-svc", "np-hefei"}},
		{"labels where references are missing", nil, labels, Served{"edited-svc", "np-chengdu"}},
		{"pool label where only the Service reference exists", []metav1.OwnerReference{svcRef}, labels, Served{"cube-svc", "np-chengdu"}},
		{"a non-controller Service reference is not the owner", []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: "x"}, poolRef}, labels, Served{"edited-svc", "np-hefei"}},
		{"a NodePool of another group is not a pool", []metav1.OwnerReference{svcRef, {APIVersion: "example.com/v1", Kind: "NodePool", Name: "x"}}, labels, Served{"cube-svc", "np-chengdu"}},
		{"nothing", nil, nil, Served{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := &PoolService{ObjectMeta: metav1.ObjectMeta{OwnerReferences: tc.refs, Labels: tc.labels}}
			if got := ServedBy(ps); got != tc.want {
				t.Errorf("ServedBy = %+v, want %+v", got, tc.want)
			}
		})
	}
}
