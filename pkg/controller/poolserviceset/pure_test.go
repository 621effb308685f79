package poolserviceset

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

func TestPoolServiceName(t *testing.T) {
	long := strings.Repeat("p", 250)
	for _, tc := range []struct {
		name, svc, pool string
		collides        bool
		want            string
	}{
		{"plain", "cube-svc", "np-hefei", false, "cube-svc-np-hefei"},
		{"dotted pool", "cube-svc", "np.hefei", false, "cube-svc-np.hefei"},
		{"collision", "a", "b-c", true, "a-b-c-" + hashOf("a/b-c")},
		{"other side of the collision", "a-b", "c", true, "a-b-c-" + hashOf("a-b/c")},
		{"too long", "cube-svc", long, false, ("cube-svc-" + long)[:242] + "-" + hashOf("cube-svc/"+long)},
		{"cut ends on a dash", "s", strings.Repeat("a", 239) + "-" + strings.Repeat("b", 20), false,
			"s-" + strings.Repeat("a", 239) + "-" + hashOf("s/"+strings.Repeat("a", 239)+"-"+strings.Repeat("b", 20))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PoolServiceName(tc.svc, tc.pool, tc.collides)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if errs := validation.IsDNS1123Subdomain(got); len(errs) != 0 {
				t.Errorf("%q is not a valid name: %v", got, errs)
			}
			if again := PoolServiceName(tc.svc, tc.pool, tc.collides); again != got {
				t.Errorf("not stable: %q then %q", got, again)
			}
		})
	}
	if PoolServiceName("a", "b-c", true) == PoolServiceName("a-b", "c", true) {
		t.Error("hashed names of colliding pairs are equal")
	}
}

// hashOf is the expected suffix, computed independently of the code under test.
func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:5])
}

func psWithStatus(name string, ingress []corev1.LoadBalancerIngress, ann, lab map[string]string) *networkv1alpha1.PoolService {
	ps := &networkv1alpha1.PoolService{ObjectMeta: metav1.ObjectMeta{Name: name}}
	ps.Status.LoadBalancer.Ingress = ingress
	ps.Status.AggregateToAnnotations, ps.Status.AggregateToLabels = ann, lab
	return ps
}

func TestAggregateIngress(t *testing.T) {
	pss := []*networkv1alpha1.PoolService{
		psWithStatus("b", []corev1.LoadBalancerIngress{{IP: "39.106.0.2"}, {Hostname: "z.example.com"}}, nil, nil),
		psWithStatus("a", []corev1.LoadBalancerIngress{{IP: "144.121.0.1"}, {IP: "39.106.0.2"}}, nil, nil),
		psWithStatus("c", nil, nil, nil),
	}
	want := []corev1.LoadBalancerIngress{{Hostname: "z.example.com"}, {IP: "144.121.0.1"}, {IP: "39.106.0.2"}}
	if diff := cmp.Diff(want, aggregateIngress(pss)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := aggregateIngress(nil); got != nil {
		t.Errorf("empty input gave %v", got)
	}
}

func TestAggregateMetadata(t *testing.T) {
	id := apis.AnnotationLoadBalancerID
	pss := []*networkv1alpha1.PoolService{
		psWithStatus("a", nil, map[string]string{id: "lb-b", "note": "x"}, map[string]string{"zone": "b", "bad": "x"}),
		psWithStatus("b", nil, map[string]string{id: "lb-a"}, map[string]string{"zone": "a", "bad": "has space"}),
		psWithStatus("c", nil, map[string]string{id: "lb-a", strings.Repeat("k", 70): "too long key"}, map[string]string{"zone": "a"}),
	}
	wantAnn := map[string]string{"aggregated." + id: "lb-a,lb-b", "aggregated.note": "x"}
	if diff := cmp.Diff(wantAnn, aggregateAnnotations(pss)); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	// "has space_x" is not a label value: the key is left out.
	wantLab := map[string]string{"aggregated.zone": "a_b"}
	if diff := cmp.Diff(wantLab, aggregateLabels(pss)); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

func TestAggregatedChanges(t *testing.T) {
	current := map[string]string{"user": "keep", "aggregated.same": "1", "aggregated.changed": "old", "aggregated.stale": "x"}
	desired := map[string]string{"aggregated.same": "1", "aggregated.changed": "new", "aggregated.new": "n"}
	want := map[string]*string{"aggregated.changed": ptr.To("new"), "aggregated.new": ptr.To("n"), "aggregated.stale": nil}
	if diff := cmp.Diff(want, aggregatedChanges(current, desired)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := aggregatedChanges(desired, desired); len(got) != 0 {
		t.Errorf("no-op gave %v", got)
	}
}

func TestRepairPoolService(t *testing.T) {
	svc, np := elbService("cube-svc", "k8s-svc=cube"), pool("np-hefei", nil)
	good := testOwners.newPoolService(svc, np, "cube-svc-np-hefei")
	if _, changed := testOwners.repairPoolService(good, svc, np); changed {
		t.Error("a correct PoolService needs repair")
	}
	bad := good.DeepCopy()
	bad.Annotations = map[string]string{apis.AnnotationLoadBalancerID: "lb-1"}
	bad.Labels["team"] = "edge"
	delete(bad.Labels, apis.LabelManagedBy)
	bad.Spec.LoadBalancerClass = nil
	foreignOwner := metav1.OwnerReference{APIVersion: "example.com/v1", Kind: "Thing", Name: "t", UID: "t1"}
	staleSvc := serviceOwnerRef(svc)
	staleSvc.UID = "old-uid"
	bad.OwnerReferences = []metav1.OwnerReference{foreignOwner, staleSvc}

	got, changed := testOwners.repairPoolService(bad, svc, np)
	if !changed {
		t.Fatal("tampered PoolService not repaired")
	}
	want := good.DeepCopy()
	want.Annotations = bad.Annotations
	want.Labels["team"] = "edge"
	want.OwnerReferences = []metav1.OwnerReference{foreignOwner, serviceOwnerRef(svc), testOwners.nodePoolOwnerRef(np)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if bad.Spec.LoadBalancerClass != nil {
		t.Error("input mutated")
	}
}

func TestPlanPoolServices(t *testing.T) {
	svc := elbService("a", "x=y")
	pBC, pD, pE := pool("b-c", nil), pool("d", nil), pool("e", nil)
	theirs := testOwners.newPoolService(elbService("a-b", "x=y"), pool("c", nil), "a-b-c")
	foreign := &networkv1alpha1.PoolService{ObjectMeta: metav1.ObjectMeta{Name: "a-d", Namespace: ns}}
	gone := testOwners.newPoolService(svc, pool("old", nil), "a-old")
	dupe := testOwners.newPoolService(svc, pE, "a-e-dupe")
	keep := testOwners.newPoolService(svc, pE, "a-e")
	terminating := testOwners.newPoolService(svc, pool("f", nil), "a-f")
	terminating.DeletionTimestamp = ptr.To(metav1.Now())
	byName := map[string]*networkv1alpha1.PoolService{"a-b-c": theirs, "a-d": foreign}
	lookup := func(n string) *networkv1alpha1.PoolService { return byName[n] }

	pools := []*appsv1beta2.NodePool{pBC, pD, pE, pool("f", nil)}
	p := testOwners.planPoolServices(svc, pools, []*networkv1alpha1.PoolService{gone, dupe, keep, terminating}, lookup)
	if got := names(p.create); !cmp.Equal(got, []string{hashedPoolServiceName("a", "b-c")}) {
		t.Errorf("create = %v", got)
	}
	if got := names(p.remove); !cmp.Equal(got, []string{"a-e-dupe", "a-old"}) {
		t.Errorf("remove = %v", got)
	}
	if got := names(p.keep); !cmp.Equal(got, []string{"a-e"}) {
		t.Errorf("keep = %v", got)
	}
	if got := names(p.conflicts); !cmp.Equal(got, []string{"a-d"}) {
		t.Errorf("conflicts = %v", got)
	}
	if len(p.repair) != 0 {
		t.Errorf("repair = %v", names(p.repair))
	}

	// The cache already has our PoolService, the owned list did not yet:
	// nothing is created (no hashed twin either).
	byName["a-d"] = testOwners.newPoolService(svc, pD, "a-d")
	p = testOwners.planPoolServices(svc, []*appsv1beta2.NodePool{pD}, nil, lookup)
	if len(p.create)+len(p.conflicts) != 0 {
		t.Errorf("lagging cache: create %v conflicts %v", names(p.create), names(p.conflicts))
	}
}

func names(pss []*networkv1alpha1.PoolService) []string {
	out := []string{}
	for _, ps := range pss {
		out = append(out, ps.Name)
	}
	return out
}

func TestWantsPoolServices(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*corev1.Service)
		want   bool
	}{
		"elb":         {func(*corev1.Service) {}, true},
		"no selector": {func(s *corev1.Service) { s.Annotations[apis.AnnotationNodePoolSelector] = " " }, false},
		"no class":    {func(s *corev1.Service) { s.Spec.LoadBalancerClass = nil }, false},
		"other class": {func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("x") }, false},
		"NodePort":    {func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }, false},
	} {
		svc := elbService("s", "a=b")
		tc.mutate(svc)
		if got := wantsPoolServices(svc); got != tc.want {
			t.Errorf("%s: got %v", name, got)
		}
	}
}

// TestPlanSkipsInvalidPoolName: a pool whose name cannot be a label value
// gets no PoolService, and one already in it is kept as it is.
func TestPlanSkipsInvalidPoolName(t *testing.T) {
	svc := elbService("a", "x=y")
	long := pool(strings.Repeat("p", validation.LabelValueMaxLength+1), nil)
	longer := pool(strings.Repeat("q", validation.LabelValueMaxLength+10), nil)
	edge := pool(strings.Repeat("e", validation.LabelValueMaxLength), nil)
	handMade := testOwners.newPoolService(svc, longer, "hand-made")
	handMade.Labels[apis.LabelPoolName] = "q"
	lookup := func(string) *networkv1alpha1.PoolService { return nil }

	p := testOwners.planPoolServices(svc, []*appsv1beta2.NodePool{edge, long, longer},
		[]*networkv1alpha1.PoolService{handMade}, lookup)
	if got := names(p.create); !cmp.Equal(got, []string{PoolServiceName("a", edge.Name, false)}) {
		t.Errorf("create = %v", got)
	}
	var invalid []string
	for _, np := range p.invalidPools {
		invalid = append(invalid, np.Name)
	}
	if !cmp.Equal(invalid, []string{long.Name, longer.Name}) {
		t.Errorf("invalid pools = %v", invalid)
	}
	if got := names(p.keep); !cmp.Equal(got, []string{"hand-made"}) {
		t.Errorf("keep = %v", got)
	}
	if len(p.repair)+len(p.remove)+len(p.conflicts) != 0 {
		t.Errorf("repair %v remove %v conflicts %v", names(p.repair), names(p.remove), names(p.conflicts))
	}
}

func TestValidPoolName(t *testing.T) {
	for _, name := range []string{
		"", "a", "np-hefei", "np.hefei", "np_hefei", "A1", strings.Repeat("a", 63), strings.Repeat("a", 64),
		"-a", "a-", ".a", "a.", "_a", "a_", "a b", "a/b", "a:b", "é", "-", "np-hangzhou.edge-1",
	} {
		want := len(validation.IsValidLabelValue(name)) == 0
		if got := validPoolName(name); got != want {
			t.Errorf("validPoolName(%q) = %v, want %v", name, got, want)
		}
	}
}
