package poolserviceset

import (
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

// Separators joining the values several pools give for one key: the sorted,
// de-duplicated values, e.g. "aggregated.<id-key>: lb-a,lb-b". Label values
// cannot hold ",", so labels use "_" (and a key or value that is still not a
// valid label is left out).
const (
	annotationValueSeparator = ","
	labelValueSeparator      = "_"
)

// aggregateIngress is the union of the PoolServices' ingress, sorted by IP
// then hostname, one entry per (IP, hostname).
func aggregateIngress(pss []*networkv1alpha1.PoolService) []corev1.LoadBalancerIngress {
	var out []corev1.LoadBalancerIngress
	seen := sets.New[string]()
	for _, ps := range sortedByName(pss) {
		for _, ing := range ps.Status.LoadBalancer.Ingress {
			id := ing.IP + "|" + ing.Hostname
			if !seen.Has(id) {
				seen.Insert(id)
				out = append(out, *ing.DeepCopy())
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].IP != out[j].IP {
			return out[i].IP < out[j].IP
		}
		return out[i].Hostname < out[j].Hostname
	})
	return out
}

func sortedByName(pss []*networkv1alpha1.PoolService) []*networkv1alpha1.PoolService {
	out := append([]*networkv1alpha1.PoolService(nil), pss...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// aggregateAnnotations maps every status.aggregateToAnnotations key k to the
// Service annotation "aggregated.k", its values combined (see separators).
func aggregateAnnotations(pss []*networkv1alpha1.PoolService) map[string]string {
	return aggregate(pss, func(ps *networkv1alpha1.PoolService) map[string]string {
		return ps.Status.AggregateToAnnotations
	}, annotationValueSeparator, func(string) bool { return true })
}

// aggregateLabels does the same for status.aggregateToLabels.
func aggregateLabels(pss []*networkv1alpha1.PoolService) map[string]string {
	return aggregate(pss, func(ps *networkv1alpha1.PoolService) map[string]string {
		return ps.Status.AggregateToLabels
	}, labelValueSeparator, func(v string) bool { return len(validation.IsValidLabelValue(v)) == 0 })
}

func aggregate(pss []*networkv1alpha1.PoolService, from func(*networkv1alpha1.PoolService) map[string]string,
	sep string, validValue func(string) bool) map[string]string {
	values := map[string]sets.Set[string]{}
	for _, ps := range pss {
		for k, v := range from(ps) {
			key := apis.AggregatedAnnotationPrefix + k
			if len(validation.IsQualifiedName(key)) != 0 {
				continue
			}
			if values[key] == nil {
				values[key] = sets.New[string]()
			}
			values[key].Insert(v)
		}
	}
	out := map[string]string{}
	for key, vs := range values {
		if v := strings.Join(sets.List(vs), sep); validValue(v) {
			out[key] = v
		}
	}
	return out
}

// aggregatedChanges returns the merge-patch entries that bring the
// "aggregated." keys of current to desired: new or changed values, and nil
// for stale keys. Keys without the prefix are never touched.
func aggregatedChanges(current, desired map[string]string) map[string]*string {
	out := map[string]*string{}
	for k, v := range desired {
		if cur, ok := current[k]; !ok || cur != v {
			out[k] = &v
		}
	}
	for k := range current {
		if _, ok := desired[k]; !ok && strings.HasPrefix(k, apis.AggregatedAnnotationPrefix) {
			out[k] = nil
		}
	}
	return out
}

// ingressEqual treats nil and empty alike.
func ingressEqual(a, b []corev1.LoadBalancerIngress) bool {
	return slices.EqualFunc(a, b, func(x, y corev1.LoadBalancerIngress) bool {
		// The API server fills ipMode (VIP) into an IP ingress it stores;
		// one without it means the same.
		return x.IP == y.IP && x.Hostname == y.Hostname && ipMode(x) == ipMode(y) &&
			equality.Semantic.DeepEqual(x.Ports, y.Ports)
	})
}

// ipMode is an ingress's IP mode, VIP when an IP ingress leaves it out.
func ipMode(in corev1.LoadBalancerIngress) corev1.LoadBalancerIPMode {
	switch {
	case in.IPMode != nil:
		return *in.IPMode
	case in.IP != "":
		return corev1.LoadBalancerIPModeVIP
	}
	return ""
}
