package poolserviceset

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/internal/finalizers"
)

// wantsPoolServices reports whether the Service is fanned out to PoolServices.
func wantsPoolServices(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer &&
		ptr.Deref(svc.Spec.LoadBalancerClass, "") == apis.LoadBalancerClassELB &&
		strings.TrimSpace(svc.Annotations[apis.AnnotationNodePoolSelector]) != ""
}

// hasFinalizer: our finalizer is on the Service.
func hasFinalizer(svc *corev1.Service) bool {
	return finalizers.Has(svc, apis.FinalizerPoolServices)
}

func isNodePoolRef(ref metav1.OwnerReference) bool {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	return err == nil && gv.Group == appsv1beta2.GroupName && ref.Kind == "NodePool"
}

func managedByUs(ps *networkv1alpha1.PoolService) bool {
	return ps.Labels[apis.LabelManagedBy] == apis.ManagedByValue
}

// ownedBy reports whether ps is this controller's PoolService of svc: it
// serves svc (v1alpha1.ServedBy: owner references first, labels where one
// is missing), and either svc itself controls it or our managed-by label is
// on it (the owner reference may be missing or point at an earlier Service
// of that name).
func ownedBy(ps *networkv1alpha1.PoolService, svc *corev1.Service) bool {
	if ps.Namespace != svc.Namespace || networkv1alpha1.ServedBy(ps).Service != svc.Name {
		return false
	}
	if ref := metav1.GetControllerOfNoCopy(ps); ref != nil && ref.Kind == "Service" && ref.UID == svc.UID {
		return true
	}
	return managedByUs(ps)
}

// poolOf returns the pool a PoolService serves (v1alpha1.ServedBy). The
// owner reference wins over the label because an overwritten label is the
// more common accident, and trusting it would delete the PoolService (and
// its ELB) instead of repairing the label.
func poolOf(ps *networkv1alpha1.PoolService) string {
	return networkv1alpha1.ServedBy(ps).Pool
}

func ourLabels(svc *corev1.Service, pool *appsv1beta2.NodePool) map[string]string {
	return map[string]string{
		apis.LabelServiceName: svc.Name,
		apis.LabelPoolName:    pool.Name,
		apis.LabelManagedBy:   apis.ManagedByValue,
	}
}

func serviceOwnerRef(svc *corev1.Service) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}
}

// owners writes the owner references of our PoolServices.
type owners struct {
	// nodePoolAPIVersion is the NodePool version the API server serves
	// (found through discovery, e.g. "apps.openyurt.io/v1beta1"), whatever
	// version the informer converts pools to: the garbage collector resolves
	// an owner reference only through a served version. Refs naming another
	// version are repaired to it, and only to it, so repairs never flip.
	nodePoolAPIVersion string
}

// newOwners checks that apiVersion is a NodePool group/version.
func newOwners(nodePoolAPIVersion string) (owners, error) {
	gv, err := schema.ParseGroupVersion(nodePoolAPIVersion)
	if err != nil || gv.Group != appsv1beta2.GroupName || gv.Version == "" {
		return owners{}, fmt.Errorf("NodePool API version %q is not %s/<version>", nodePoolAPIVersion, appsv1beta2.GroupName)
	}
	return owners{nodePoolAPIVersion: nodePoolAPIVersion}, nil
}

func (o owners) nodePoolOwnerRef(pool *appsv1beta2.NodePool) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: o.nodePoolAPIVersion, Kind: "NodePool",
		Name: pool.Name, UID: pool.UID,
	}
}

// newPoolService is the PoolService to create for svc in pool.
func (o owners) newPoolService(svc *corev1.Service, pool *appsv1beta2.NodePool, name string) *networkv1alpha1.PoolService {
	return &networkv1alpha1.PoolService{
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       svc.Namespace,
			Labels:          ourLabels(svc, pool),
			OwnerReferences: []metav1.OwnerReference{serviceOwnerRef(svc), o.nodePoolOwnerRef(pool)},
		},
		Spec: networkv1alpha1.PoolServiceSpec{LoadBalancerClass: copyClass(svc)},
	}
}

func copyClass(svc *corev1.Service) *string {
	if svc.Spec.LoadBalancerClass == nil {
		return nil
	}
	return ptr.To(*svc.Spec.LoadBalancerClass)
}

// repairPoolService returns a copy of ps with our labels, owner references
// and class set, and whether anything changed. Everything else (user labels,
// annotations such as the ELB id, other owners) is kept. A correct ps (every
// resync) is checked without copying and returned as is.
func (o owners) repairPoolService(ps *networkv1alpha1.PoolService, svc *corev1.Service, pool *appsv1beta2.NodePool) (*networkv1alpha1.PoolService, bool) {
	labelsOK := ps.Labels[apis.LabelServiceName] == svc.Name && ps.Labels[apis.LabelPoolName] == pool.Name &&
		ps.Labels[apis.LabelManagedBy] == apis.ManagedByValue
	refsOK := o.ownerRefsOK(ps.OwnerReferences, svc, pool)
	classOK := stringPtrEqual(ps.Spec.LoadBalancerClass, svc.Spec.LoadBalancerClass)
	if labelsOK && refsOK && classOK {
		return ps, false
	}
	out := ps.DeepCopy()
	if !labelsOK {
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		for k, v := range ourLabels(svc, pool) {
			out.Labels[k] = v
		}
	}
	if !refsOK {
		out.OwnerReferences = o.desiredOwnerRefs(out.OwnerReferences, svc, pool)
	}
	if !classOK {
		out.Spec.LoadBalancerClass = copyClass(svc)
	}
	return out, true
}

func stringPtrEqual(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// ownerRefsOK: exactly our Service as controller, our pool as owner, and no
// other controller.
func (o owners) ownerRefsOK(refs []metav1.OwnerReference, svc *corev1.Service, pool *appsv1beta2.NodePool) bool {
	hasSvc, hasPool := false, false
	for i := range refs {
		ref := &refs[i]
		switch {
		case isServiceOwnerRef(ref, svc):
			hasSvc = true
		case ptr.Deref(ref.Controller, false):
			return false
		case o.isNodePoolOwnerRef(ref, pool):
			hasPool = true
		}
	}
	return hasSvc && hasPool
}

// isServiceOwnerRef: ref equals serviceOwnerRef(svc), field by field.
func isServiceOwnerRef(ref *metav1.OwnerReference, svc *corev1.Service) bool {
	return ref.APIVersion == "v1" && ref.Kind == "Service" && ref.Name == svc.Name && ref.UID == svc.UID &&
		ref.Controller != nil && *ref.Controller &&
		ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion
}

// isNodePoolOwnerRef: ref equals o.nodePoolOwnerRef(pool), field by field.
func (o owners) isNodePoolOwnerRef(ref *metav1.OwnerReference, pool *appsv1beta2.NodePool) bool {
	return ref.APIVersion == o.nodePoolAPIVersion && ref.Kind == "NodePool" && ref.Name == pool.Name &&
		ref.UID == pool.UID && ref.Controller == nil && ref.BlockOwnerDeletion == nil
}

// desiredOwnerRefs keeps foreign owners, drops stale references to our
// Service and pool, in any version (and any other controller: there can be
// only one), then appends ours.
func (o owners) desiredOwnerRefs(refs []metav1.OwnerReference, svc *corev1.Service, pool *appsv1beta2.NodePool) []metav1.OwnerReference {
	out := make([]metav1.OwnerReference, 0, len(refs)+2)
	for _, ref := range refs {
		stale := ptr.Deref(ref.Controller, false) ||
			(ref.Kind == "Service" && ref.APIVersion == "v1" && ref.Name == svc.Name) ||
			(isNodePoolRef(ref) && ref.Name == pool.Name)
		if !stale {
			out = append(out, ref)
		}
	}
	return append(out, serviceOwnerRef(svc), o.nodePoolOwnerRef(pool))
}

// plan is what a sync does to a Service's PoolServices.
type plan struct {
	owners    owners
	create    []*networkv1alpha1.PoolService
	repair    []*networkv1alpha1.PoolService // desired state of existing ones
	remove    []*networkv1alpha1.PoolService
	keep      []*networkv1alpha1.PoolService // live ones serving matching pools
	conflicts []*networkv1alpha1.PoolService // foreign ones holding a name we need
	// invalidPools match but cannot have a PoolService: their name is not a
	// valid value of our pool-name label.
	invalidPools []*appsv1beta2.NodePool
}

// planPoolServices compares the matching pools with the Service's own
// PoolServices; lookup finds any PoolService of the namespace by name.
func (o owners) planPoolServices(svc *corev1.Service, pools []*appsv1beta2.NodePool, owned []*networkv1alpha1.PoolService,
	lookup func(name string) *networkv1alpha1.PoolService) plan {
	byPool := make(map[string][]*networkv1alpha1.PoolService, len(owned))
	for _, ps := range owned {
		pool := poolOf(ps)
		byPool[pool] = append(byPool[pool], ps)
	}
	p := plan{owners: o}
	matched := make(sets.Set[string], len(pools))
	for _, pool := range pools {
		matched.Insert(pool.Name)
		if !validPoolName(pool.Name) {
			p.skipPool(pool, byPool[pool.Name])
			continue
		}
		p.addPool(svc, pool, byPool[pool.Name], lookup)
	}
	for name, list := range byPool {
		if matched.Has(name) {
			continue
		}
		for _, ps := range list {
			if ps.DeletionTimestamp == nil {
				p.remove = append(p.remove, ps)
			}
		}
	}
	sort.Slice(p.remove, func(i, j int) bool { return p.remove[i].Name < p.remove[j].Name })
	return p
}

// validPoolName: the name can be the value of our pool-name label (a
// NodePool name may have up to 253 characters, a label value 63).
// It checks what validation.IsValidLabelValue does, without its regexp
// (a tenth of a no-op sync).
func validPoolName(name string) bool {
	if len(name) > validation.LabelValueMaxLength {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		alnum := 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9'
		end := i == 0 || i == len(name)-1
		if !alnum && (end || ch != '-' && ch != '_' && ch != '.') {
			return false
		}
	}
	return true
}

// skipPool records a pool we cannot serve. A PoolService already in it (made
// by hand: we cannot create one) is neither repaired, which would fail the
// same way, nor deleted with its ELB; its status is still aggregated.
func (p *plan) skipPool(pool *appsv1beta2.NodePool, existing []*networkv1alpha1.PoolService) {
	p.invalidPools = append(p.invalidPools, pool)
	for _, ps := range existing {
		if ps.DeletionTimestamp == nil {
			p.keep = append(p.keep, ps)
		}
	}
}

func (p *plan) addPool(svc *corev1.Service, pool *appsv1beta2.NodePool, existing []*networkv1alpha1.PoolService,
	lookup func(string) *networkv1alpha1.PoolService) {
	var live []*networkv1alpha1.PoolService
	for _, ps := range existing {
		if ps.DeletionTimestamp == nil {
			live = append(live, ps)
		}
	}
	if len(live) == 0 {
		// A terminating one still holds the pool's ELB: wait until it is gone
		// (its delete event requeues the Service) rather than race it.
		if len(existing) == 0 {
			p.createFor(svc, pool, lookup)
		}
		return
	}
	// Keep one per pool, preferring the plain name; duplicates go.
	if len(live) > 1 {
		plain := PoolServiceName(svc.Name, pool.Name, false)
		sort.Slice(live, func(i, j int) bool {
			if (live[i].Name == plain) != (live[j].Name == plain) {
				return live[i].Name == plain
			}
			return live[i].Name < live[j].Name
		})
	}
	p.keep = append(p.keep, live[0])
	p.remove = append(p.remove, live[1:]...)
	if desired, changed := p.owners.repairPoolService(live[0], svc, pool); changed {
		p.repair = append(p.repair, desired)
	}
}

func (p *plan) createFor(svc *corev1.Service, pool *appsv1beta2.NodePool, lookup func(string) *networkv1alpha1.PoolService) {
	name := PoolServiceName(svc.Name, pool.Name, false)
	if other := lookup(name); other != nil {
		if ownedBy(other, svc) {
			return // ours already: the owned list was read before the cache had it
		}
		if !managedByUs(other) {
			// Someone else's (e.g. yurt-manager's): never touch it, and do not
			// create a second PoolService (and ELB) for the pool either.
			p.conflicts = append(p.conflicts, other)
			return
		}
		name = PoolServiceName(svc.Name, pool.Name, true) // ours, for another Service/pool
		if other := lookup(name); other != nil {
			p.conflicts = append(p.conflicts, other)
			return
		}
	}
	p.create = append(p.create, p.owners.newPoolService(svc, pool, name))
}
