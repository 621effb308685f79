package poolserviceset

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

func uid(name string) types.UID { return types.UID("uid-" + name) }

// checkPoolService asserts the labels, owners and class of a created PoolService.
func checkPoolService(t *testing.T, ps *networkv1alpha1.PoolService, svc, poolName string) {
	t.Helper()
	checkPoolServiceServing(t, nodePoolV1beta2, ps, svc, poolName)
}

// checkPoolServiceServing is checkPoolService on an API server serving
// NodePool as nodePoolAPIVersion.
func checkPoolServiceServing(t *testing.T, nodePoolAPIVersion string, ps *networkv1alpha1.PoolService, svc, poolName string) {
	t.Helper()
	wantLabels := map[string]string{apis.LabelServiceName: svc, apis.LabelPoolName: poolName, apis.LabelManagedBy: apis.ManagedByValue}
	for k, v := range wantLabels {
		if ps.Labels[k] != v {
			t.Errorf("%s: label %s = %q, want %q", ps.Name, k, ps.Labels[k], v)
		}
	}
	wantRefs := []metav1.OwnerReference{
		{APIVersion: "v1", Kind: "Service", Name: svc, UID: uid(svc), Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)},
		{APIVersion: nodePoolAPIVersion, Kind: "NodePool", Name: poolName, UID: uid(poolName)},
	}
	if diff := cmp.Diff(wantRefs, ps.OwnerReferences); diff != "" {
		t.Errorf("%s: owner references (-want +got):\n%s", ps.Name, diff)
	}
	if ptr.Deref(ps.Spec.LoadBalancerClass, "") != apis.LoadBalancerClassELB {
		t.Errorf("%s: class = %v", ps.Name, ps.Spec.LoadBalancerClass)
	}
	if ps.Namespace != ns {
		t.Errorf("%s: namespace %q", ps.Name, ps.Namespace)
	}
}

func TestWalkthrough(t *testing.T) {
	kube, yurt := walkthrough()
	f, kf, yf := newController(t, kube, yurt)
	var createdBeforeFinalizer atomic.Int32
	f.yurt.PrependReactor("create", "poolservices", func(clienttesting.Action) (bool, runtime.Object, error) {
		obj, err := f.kube.Tracker().Get(corev1.SchemeGroupVersion.WithResource("services"), ns, "cube-svc")
		if err != nil || !hasFinalizer(obj.(*corev1.Service)) {
			createdBeforeFinalizer.Add(1)
		}
		return false, nil, nil
	})
	f.start(kf, yf)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	checkPoolService(t, f.getPS("cube-svc-np-hefei"), "cube-svc", "np-hefei")
	checkPoolService(t, f.getPS("cube-svc-np-chengdu"), "cube-svc", "np-chengdu")
	f.waitFor("finalizer", func() bool { return hasFinalizer(f.getSvc("cube-svc")) })
	f.waitFor("created events", func() bool { return f.countEvents("Normal PoolServiceCreated") == 2 })
	if n := createdBeforeFinalizer.Load(); n != 0 {
		t.Errorf("%d PoolServices created before the Service finalizer", n)
	}
	if n := f.countEvents("Warning"); n != 0 {
		t.Errorf("unexpected warnings: %v", f.events.all())
	}
}

func TestSelectorEdit(t *testing.T) {
	f := newWalkthrough(t)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	f.updateSvc("cube-svc", func(s *corev1.Service) {
		s.Annotations[apis.AnnotationNodePoolSelector] = "k8s-svc in (cube, other), region != chengdu"
	})
	f.updatePool("np-chengdu", func(np *appsv1beta2.NodePool) { np.Labels["region"] = "chengdu" })
	f.waitPoolServices("cube-svc-np-beijing", "cube-svc-np-hefei")
	f.waitEvent("Normal PoolServiceDeleted Deleted PoolService cube-svc-np-chengdu")
	checkPoolService(t, f.getPS("cube-svc-np-beijing"), "cube-svc", "np-beijing")
}

func TestPoolRelabel(t *testing.T) {
	f := newWalkthrough(t)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	f.updatePool("np-chengdu", func(np *appsv1beta2.NodePool) { np.Labels["k8s-svc"] = "none" })
	f.updatePool("np-beijing", func(np *appsv1beta2.NodePool) { np.Labels["k8s-svc"] = "cube" })
	f.waitPoolServices("cube-svc-np-beijing", "cube-svc-np-hefei")
}

func TestPoolDeletion(t *testing.T) {
	f := newWalkthrough(t)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	// A pool held by a finalizer: only its deletionTimestamp is set.
	f.updatePool("np-hefei", func(np *appsv1beta2.NodePool) { np.DeletionTimestamp = ptr.To(metav1.Now()) })
	f.waitPoolServices("cube-svc-np-chengdu")
	if err := f.yurt.AppsV1beta2().NodePools().Delete(f.ctx, "np-chengdu", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.waitPoolServices()
	f.waitEvent("Warning NoMatchNodePool")
	if !hasFinalizer(f.getSvc("cube-svc")) {
		t.Error("finalizer removed while the Service still wants PoolServices")
	}
}

func TestServiceDeletion(t *testing.T) {
	kube, yurt := walkthrough()
	f, kf, yf := newController(t, kube, yurt)
	f.emulatePoolServiceFinalizers() // before the workers: reactors are not goroutine-safe
	f.start(kf, yf)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	f.waitFor("finalizer", func() bool { return hasFinalizer(f.getSvc("cube-svc")) })
	// The elb controller's finalizer holds the hefei PoolService.
	ps := f.getPS("cube-svc-np-hefei")
	ps.Finalizers = []string{apis.FinalizerELBResources}
	if _, err := f.yurt.NetworkV1alpha1().PoolServices(ns).Update(f.ctx, ps, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.waitFor("finalizer in cache", func() bool {
		cached, err := f.c.poolServiceLister.PoolServices(ns).Get("cube-svc-np-hefei")
		return err == nil && len(cached.Finalizers) == 1
	})
	f.updateSvc("cube-svc", func(s *corev1.Service) { s.DeletionTimestamp = ptr.To(metav1.Now()) })

	f.waitPoolServices("cube-svc-np-hefei")
	f.waitFor("hefei terminating", func() bool { return f.getPS("cube-svc-np-hefei").DeletionTimestamp != nil })
	if !hasFinalizer(f.getSvc("cube-svc")) {
		t.Fatal("Service finalizer removed while a PoolService lingers")
	}
	// The elb controller releases the cloud resources: the PoolService goes.
	if err := f.yurt.Tracker().Delete(poolServicesGVR, ns, "cube-svc-np-hefei"); err != nil {
		t.Fatal(err)
	}
	f.waitFor("finalizer removed", func() bool { return !hasFinalizer(f.getSvc("cube-svc")) })
	f.waitPoolServices()
}

func TestServiceGoneDeletesLeftovers(t *testing.T) {
	f := newWalkthrough(t)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	// Someone force-removed the finalizer: the Service vanishes at once.
	if err := f.kube.CoreV1().Services(ns).Delete(f.ctx, "cube-svc", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.waitPoolServices()
}

func TestServiceLeavesClass(t *testing.T) {
	for name, mutate := range map[string]func(*corev1.Service){
		"type ClusterIP": func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeClusterIP
			s.Spec.LoadBalancerClass = nil
		},
		"other class":      func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("example.com/other") },
		"selector removed": func(s *corev1.Service) { delete(s.Annotations, apis.AnnotationNodePoolSelector) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newWalkthrough(t)
			f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
			setStatus(t, f, "cube-svc-np-hefei", []string{"39.106.0.1"}, map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei"}, nil)
			f.waitFor("ingress", func() bool { return len(f.getSvc("cube-svc").Status.LoadBalancer.Ingress) == 1 })
			f.updateSvc("cube-svc", mutate)
			f.waitPoolServices()
			f.waitFor("cleanup", func() bool {
				svc := f.getSvc("cube-svc")
				return !hasFinalizer(svc) && len(svc.Status.LoadBalancer.Ingress) == 0 &&
					len(aggregatedKeys(svc.Annotations)) == 0
			})
			if got := f.getSvc("cube-svc").Annotations[apis.AnnotationTopologyKeys]; got != apis.LabelNodePool {
				t.Errorf("user annotation lost: %q", got)
			}
		})
	}
}

func TestInvalidSelector(t *testing.T) {
	f := newWalkthrough(t)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	f.updateSvc("cube-svc", func(s *corev1.Service) { s.Annotations[apis.AnnotationNodePoolSelector] = "k8s-svc in (" })
	f.waitEvent("Warning InvalidNodePoolSelector Annotation " + apis.AnnotationNodePoolSelector)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	for _, a := range f.yurt.Actions() {
		if a.GetVerb() == "delete" {
			t.Errorf("unexpected delete: %v", a)
		}
	}
}

func TestNoMatch(t *testing.T) {
	kube := []runtime.Object{elbService("cube-svc", "k8s-svc=nothing")}
	_, yurt := walkthrough()
	f := newFixture(t, kube, yurt)
	f.waitEvent("Warning NoMatchNodePool")
	if names := f.psNames(); len(names) != 0 {
		t.Errorf("PoolServices created: %v", names)
	}
	if hasFinalizer(f.getSvc("cube-svc")) {
		t.Error("finalizer added without PoolServices")
	}
}

func TestManagedConflict(t *testing.T) {
	kube, yurt := walkthrough()
	foreign := &networkv1alpha1.PoolService{
		ObjectMeta: metav1.ObjectMeta{Name: "cube-svc-np-hefei", Namespace: ns, Labels: map[string]string{
			apis.LabelServiceName: "cube-svc", apis.LabelPoolName: "np-hefei", apis.LabelManagedBy: "yurt-manager"}},
		Spec: networkv1alpha1.PoolServiceSpec{LoadBalancerClass: ptr.To("other")},
	}
	f := newFixture(t, kube, append(yurt, foreign.DeepCopy()))
	f.waitEvent("Warning ManagedConflict PoolService cube-svc-np-hefei")
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	if diff := cmp.Diff(foreign, f.getPS("cube-svc-np-hefei")); diff != "" {
		t.Errorf("foreign PoolService touched (-want +got):\n%s", diff)
	}
	for _, a := range f.yurt.Actions() {
		if named, ok := a.(interface{ GetName() string }); ok && named.GetName() == "cube-svc-np-hefei" && a.GetVerb() != "get" {
			t.Errorf("%s on the foreign PoolService", a.GetVerb())
		}
	}
}

func TestRepairKeepsUserChanges(t *testing.T) {
	f := newWalkthrough(t)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	tamper := func(name string, mutate func(*networkv1alpha1.PoolService)) {
		ps := f.getPS(name)
		mutate(ps)
		if _, err := f.yurt.NetworkV1alpha1().PoolServices(ns).Update(f.ctx, ps, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tamper("cube-svc-np-hefei", func(ps *networkv1alpha1.PoolService) {
		ps.Annotations = map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei-existing"}
		ps.Labels[apis.LabelPoolName] = "tampered"
		ps.Labels["team"] = "edge"
		ps.Spec.LoadBalancerClass = ptr.To("tampered")
	})
	tamper("cube-svc-np-chengdu", func(ps *networkv1alpha1.PoolService) {
		ps.OwnerReferences = nil
		ps.Labels[apis.LabelManagedBy] = apis.ManagedByValue
	})
	f.waitFor("repair", func() bool {
		h, c := f.getPS("cube-svc-np-hefei"), f.getPS("cube-svc-np-chengdu")
		return h.Labels[apis.LabelPoolName] == "np-hefei" && ptr.Deref(h.Spec.LoadBalancerClass, "") == apis.LoadBalancerClassELB &&
			len(c.OwnerReferences) == 2
	})
	h := f.getPS("cube-svc-np-hefei")
	checkPoolService(t, h, "cube-svc", "np-hefei")
	checkPoolService(t, f.getPS("cube-svc-np-chengdu"), "cube-svc", "np-chengdu")
	if h.Annotations[apis.AnnotationLoadBalancerID] != "lb-hefei-existing" || h.Labels["team"] != "edge" {
		t.Errorf("user metadata lost: annotations %v labels %v", h.Annotations, h.Labels)
	}
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
}

func setStatus(t *testing.T, f *fixture, name string, ips []string, ann, lab map[string]string) {
	t.Helper()
	ps := f.getPS(name)
	ps.Status.LoadBalancer.Ingress = nil
	for _, ip := range ips {
		ps.Status.LoadBalancer.Ingress = append(ps.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	ps.Status.AggregateToAnnotations, ps.Status.AggregateToLabels = ann, lab
	if _, err := f.yurt.NetworkV1alpha1().PoolServices(ns).UpdateStatus(f.ctx, ps, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func ingressIPs(svc *corev1.Service) []string {
	var ips []string
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		ips = append(ips, ing.IP)
	}
	return ips
}

func TestStatusAggregation(t *testing.T) {
	f := newWalkthrough(t)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	idKey := apis.AggregatedAnnotationPrefix + apis.AnnotationLoadBalancerID
	setStatus(t, f, "cube-svc-np-hefei", []string{"39.106.0.2"}, map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei"}, map[string]string{"zone": "a"})
	setStatus(t, f, "cube-svc-np-chengdu", []string{"39.106.0.2", "144.121.0.1"}, map[string]string{apis.AnnotationLoadBalancerID: "lb-chengdu"}, map[string]string{"zone": "b"})
	want := []string{"144.121.0.1", "39.106.0.2"}
	f.waitFor("aggregation", func() bool {
		svc := f.getSvc("cube-svc")
		return slices.Equal(ingressIPs(svc), want) && svc.Annotations[idKey] == "lb-chengdu,lb-hefei" &&
			svc.Labels["aggregated.zone"] == "a_b"
	})
	f.waitFor("cache caught up", func() bool {
		cached, err := f.c.serviceLister.Services(ns).Get("cube-svc")
		return err == nil && slices.Equal(ingressIPs(cached), want) && cached.Annotations[idKey] == "lb-chengdu,lb-hefei" &&
			cached.Labels["aggregated.zone"] == "a_b"
	})

	// Steady state: a sync writes nothing. Syncs still running may have read
	// the Service before the cache caught up; they are not the one measured.
	f.waitIdle()
	before := f.writes()
	if _, err := f.c.syncService(f.ctx, ns+"/cube-svc"); err != nil {
		t.Fatal(err)
	}
	if after := f.writes(); after != before {
		t.Errorf("idle sync wrote %d times: %v", after-before, f.kube.Actions()[len(f.kube.Actions())-1])
	}

	// A key no PoolService carries any more goes; user annotations stay.
	setStatus(t, f, "cube-svc-np-chengdu", []string{"144.121.0.1"}, map[string]string{apis.AnnotationLoadBalancerID: "lb-chengdu"}, nil)
	setStatus(t, f, "cube-svc-np-hefei", nil, map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei"}, nil)
	f.waitFor("stale keys removed", func() bool {
		svc := f.getSvc("cube-svc")
		_, stale := svc.Labels["aggregated.zone"]
		return !stale && slices.Equal(ingressIPs(svc), []string{"144.121.0.1"}) && svc.Labels["app"] == "cube"
	})
}

func TestNameCollision(t *testing.T) {
	kube := []runtime.Object{elbService("a-b", "k8s-svc=x"), elbService("a", "k8s-svc=y")}
	yurt := []runtime.Object{pool("c", map[string]string{"k8s-svc": "x"}), pool("b-c", map[string]string{"k8s-svc": "y"})}
	f := newFixture(t, kube, yurt)
	hashed := hashedPoolServiceName("a", "b-c")
	alt := hashedPoolServiceName("a-b", "c")
	f.waitFor("both PoolServices", func() bool {
		names := f.psNames()
		return len(names) == 2 && slices.Contains(names, "a-b-c") && (slices.Contains(names, hashed) || slices.Contains(names, alt))
	})
	for _, name := range f.psNames() {
		ps := f.getPS(name)
		svc, np := ps.Labels[apis.LabelServiceName], ps.Labels[apis.LabelPoolName]
		if want := svc + "-" + np; name != want && name != hashedPoolServiceName(svc, np) {
			t.Errorf("%s serves %s/%s", name, svc, np)
		}
	}
}

func TestConflictIsRetried(t *testing.T) {
	kube, yurt := walkthrough()
	f, kf, yf := newController(t, kube, yurt)
	var failures atomic.Int32
	f.yurt.PrependReactor("create", "poolservices", func(clienttesting.Action) (bool, runtime.Object, error) {
		if failures.Add(1) <= 2 {
			return true, nil, apierrors.NewConflict(poolServicesGVR.GroupResource(), "x", errors.New("injected"))
		}
		return false, nil, nil
	})
	f.start(kf, yf)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	// Two failed, two succeeded; a retry racing the cache may add AlreadyExists.
	if n := failures.Load(); n < 4 {
		t.Errorf("creates = %d, want at least 2 failed + 2 retried", n)
	}
}

// rejectInvalidLabels makes the fake refuse, like the API server, a
// PoolService whose labels are not valid label values; it counts refusals.
func (f *fixture) rejectInvalidLabels() *atomic.Int32 {
	var rejected atomic.Int32
	f.yurt.PrependReactor("create", "poolservices", func(action clienttesting.Action) (bool, runtime.Object, error) {
		ps := action.(clienttesting.CreateAction).GetObject().(*networkv1alpha1.PoolService)
		for k, v := range ps.Labels {
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				rejected.Add(1)
				return true, nil, apierrors.NewInvalid(networkv1alpha1.SchemeGroupVersion.WithKind("PoolService").GroupKind(),
					ps.Name, field.ErrorList{field.Invalid(field.NewPath("metadata", "labels").Key(k), v, errs[0])})
			}
		}
		return false, nil, nil
	})
	return &rejected
}

func TestPoolNameTooLong(t *testing.T) {
	kube, yurt := walkthrough()
	long := strings.Repeat("hangzhou-", 7) + "edge" // 67 characters: a valid NodePool name
	f, kf, yf := newController(t, kube, append(yurt, pool(long, map[string]string{"k8s-svc": "cube"})))
	rejected := f.rejectInvalidLabels()
	f.start(kf, yf)
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	f.waitEvent(fmt.Sprintf("Warning InvalidPoolName NodePool %s matches but gets no PoolService: its name (67 characters) "+
		"cannot be a value of label %s: must be no more than 63 bytes", long, apis.LabelPoolName))
	// Let any retry happen; the sync succeeded, so there is none.
	time.Sleep(200 * time.Millisecond)
	if n := rejected.Load(); n != 0 {
		t.Errorf("%d creates for the pool with the long name", n)
	}
	if n := f.c.queue.NumRequeues("default/cube-svc"); n != 0 {
		t.Errorf("Service requeued %d times after errors", n)
	}
	if !hasFinalizer(f.getSvc("cube-svc")) {
		t.Error("no finalizer")
	}
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
}

// TestCreateAlreadyExists: a create that finds the PoolService already there
// (the cache lags) is not an error, and the next sync writes nothing.
func TestCreateAlreadyExists(t *testing.T) {
	kube, yurt := walkthrough()
	f, kf, yf := newController(t, kube, yurt)
	var raced atomic.Int32
	f.yurt.PrependReactor("create", "poolservices", func(action clienttesting.Action) (bool, runtime.Object, error) {
		ps := action.(clienttesting.CreateAction).GetObject().(*networkv1alpha1.PoolService)
		if ps.Name != "cube-svc-np-hefei" || raced.Add(1) > 1 {
			return false, nil, nil
		}
		// An earlier sync's create landed; this one finds it.
		if err := f.yurt.Tracker().Create(poolServicesGVR, ps.DeepCopy(), ps.Namespace); err != nil {
			return true, nil, err
		}
		return true, nil, apierrors.NewAlreadyExists(poolServicesGVR.GroupResource(), ps.Name)
	})
	kf.Start(f.ctx.Done())
	yf.Start(f.ctx.Done())
	if !cache.WaitForCacheSync(f.ctx.Done(), f.c.synced...) {
		t.Fatal("caches did not sync")
	}
	after, err := f.c.syncService(f.ctx, "default/cube-svc")
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if after != cacheLagRecheckDelay {
		t.Errorf("sync after a taken name asked for a recheck in %v, want %v", after, cacheLagRecheckDelay)
	}
	f.waitPoolServices("cube-svc-np-chengdu", "cube-svc-np-hefei")
	checkPoolService(t, f.getPS("cube-svc-np-hefei"), "cube-svc", "np-hefei")
	f.waitFor("cache", func() bool {
		pss, _ := f.c.poolServiceLister.List(labels.Everything())
		svc, err := f.c.serviceLister.Services(ns).Get("cube-svc")
		return len(pss) == 2 && err == nil && hasFinalizer(svc)
	})
	before := f.writes()
	after, err = f.c.syncService(f.ctx, "default/cube-svc")
	if err != nil || after != 0 {
		t.Fatalf("second sync = %v, %v; want no recheck and no error", after, err)
	}
	if n := f.writes() - before; n != 0 {
		t.Errorf("second sync wrote %d times", n)
	}
	if n := raced.Load(); n != 1 {
		t.Errorf("%d creates of cube-svc-np-hefei, want 1", n)
	}
	f.waitFor("created event", func() bool { return f.countEvents("Normal PoolServiceCreated") == 1 })
}
