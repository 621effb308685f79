package soak

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

// serviceViolations checks each live Service of our class: one live PoolService per
// matching pool (none when it wants none), and its ingress is the sorted
// union of theirs.
func (ix *index) serviceViolations() []Violation {
	own := ix.poolServicesByService()
	var out []Violation
	for _, key := range sortedNames(ix.services) {
		svc := ix.services[key]
		if svc.DeletionTimestamp != nil || svc.Spec.LoadBalancerClass == nil || *svc.Spec.LoadBalancerClass != classELB {
			continue
		}
		var problems []string
		if wantsFanOut(svc) {
			problems = ix.fanOutProblems(svc, own[key])
		} else if len(own[key]) > 0 {
			problems = append(problems, fmt.Sprintf("wants no PoolServices, has %v", psNames(own[key])))
		}
		var union []corev1.LoadBalancerIngress
		for _, ps := range own[key] {
			union = append(union, ps.Status.LoadBalancer.Ingress...)
		}
		if got, want := ingressOf(svc.Status.LoadBalancer.Ingress), ingressOf(union); !slices.Equal(got, want) {
			problems = append(problems, fmt.Sprintf("status ingress %v, want the union of its PoolServices' %v", got, want))
		}
		if len(problems) > 0 {
			out = append(out, Violation{Object: "Service " + key.String(), Problem: strings.Join(problems, "; ")})
		}
	}
	return out
}

// fanOutProblems compares the pools of the Service's PoolServices with the
// pools its selector matches (not being deleted).
func (ix *index) fanOutProblems(svc *corev1.Service, own []*networkv1alpha1.PoolService) []string {
	sel, err := labels.Parse(svc.Annotations[annSelector])
	if err != nil {
		return []string{fmt.Sprintf("selector %q does not parse: %v", svc.Annotations[annSelector], err)}
	}
	want := map[string]bool{}
	for name, p := range ix.pools {
		if p.DeletionTimestamp == nil && sel.Matches(labels.Set(p.Labels)) {
			want[name] = true
		}
	}
	have := map[string][]string{}
	for _, ps := range own {
		pool := servedBy(ps).pool
		have[pool] = append(have[pool], ps.Name)
	}
	var out []string
	for _, pool := range sortedKeys(want) {
		if len(have[pool]) == 0 {
			out = append(out, "no PoolService for matching pool "+pool)
		}
	}
	for _, pool := range sortedKeys(have) {
		switch {
		case !want[pool]:
			out = append(out, fmt.Sprintf("PoolService %v for pool %s, which does not match (or is gone)", have[pool], pool))
		case len(have[pool]) > 1:
			out = append(out, fmt.Sprintf("%d PoolServices %v for pool %s", len(have[pool]), have[pool], pool))
		}
	}
	return out
}

// strayPoolServices: live PoolServices whose Service is gone (or is a
// newer Service of the same name) should have been deleted.
func (ix *index) strayPoolServices() []Violation {
	var out []Violation
	for i := range ix.w.PoolServices {
		ps := &ix.w.PoolServices[i]
		if ps.DeletionTimestamp != nil {
			continue
		}
		if svc, s := ix.serviceOf(ps); svc == nil {
			out = append(out, Violation{Object: fmt.Sprintf("PoolService %s/%s", ps.Namespace, ps.Name),
				Problem: fmt.Sprintf("serves Service %s (uid %q), which is gone", s.service, s.serviceUID)})
		}
	}
	return out
}

// poolServicesByService groups the live PoolServices under the live
// Service they belong to.
func (ix *index) poolServicesByService() map[types.NamespacedName][]*networkv1alpha1.PoolService {
	out := map[types.NamespacedName][]*networkv1alpha1.PoolService{}
	for i := range ix.w.PoolServices {
		ps := &ix.w.PoolServices[i]
		if ps.DeletionTimestamp != nil {
			continue
		}
		if svc, _ := ix.serviceOf(ps); svc != nil {
			key := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
			out[key] = append(out[key], ps)
		}
	}
	return out
}

func psNames(pss []*networkv1alpha1.PoolService) []string {
	var out []string
	for _, ps := range pss {
		out = append(out, ps.Name)
	}
	return out
}

func sortedNames[V any](m map[types.NamespacedName]V) []types.NamespacedName {
	out := make([]types.NamespacedName, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
