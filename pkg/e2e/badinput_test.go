//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// badInput is one row of the bad-input table: what a user gets wrong, and
// how the controller must answer it (SPEC §2: "a clear Warning Event and a
// False condition, and changes nothing in the cloud").
type badInput struct {
	name string
	// svc edits the case's Service (managed, Cluster policy, TCP:80,
	// exposed in np-hefei) before it is created.
	svc func(*corev1.Service)
	// svcName replaces the Service name "web".
	svcName string
	// selector replaces the Service's node-pool selector.
	selector string
	// prepare runs before the call counters are read: what must exist
	// before the mistake (pools, ELBs, a Service that already works).
	prepare func(t *testing.T, e *badEnv)
	// userELB, when set, makes the Service user-managed; its PoolService
	// is then annotated with the ELB id this returns (made before the
	// counters are read).
	userELB func(t *testing.T, e *badEnv) string
	// act is the mistake when it is not creating the case's Service.
	act func(t *testing.T, e *badEnv)
	// reason is the Warning Event reason (and the Synced condition's).
	reason string
	// field is what the Event and the condition message must name: an
	// annotation key, a field path or an object name.
	field string
	// where the problem is reported.
	where reportedOn
	// holds, when set, must keep holding to the end (what else still works).
	holds func(t *testing.T, e *badEnv) func() (bool, string)
	// poke names a Service edited harmlessly after the report, so that
	// what holds also survives that Service's next sync.
	poke string
}

type reportedOn int

const (
	// onPoolService: Warning on the PoolService and on its Service;
	// PoolService Synced False with the reason naming the field, Ready not True.
	onPoolService reportedOn = iota
	// onService: a fan-out problem; Warning on the Service, no PoolService.
	onService
	// servedAnyway: Warning on the PoolService and its Service; the
	// PoolService stays Ready (the rest of the pool is still served).
	servedAnyway
)

var badInputs = []badInput{
	// Every Service annotation of SPEC §2, with values SPEC §2 and ENS refuse.
	badAnnotation(apis.AnnotationSpec, "huge"),
	badAnnotation(apis.AnnotationPayType, "Free"),
	badAnnotation(apis.AnnotationAddressType, "public"),
	badAnnotation(apis.AnnotationEIPBandwidth, "4"), // ENS: 5–10000
	badAnnotation(apis.AnnotationEIPBandwidth, "10001"),
	badAnnotation(apis.AnnotationEIPBandwidth, "ten"),
	badAnnotation(apis.AnnotationEIPISP, "elecom"), // ENS: cmcc|unicom|telecom
	badAnnotation(apis.AnnotationEIPISP, "att"),
	badAnnotation(apis.AnnotationEIPInstanceChargeType, "Monthly"),
	badAnnotation(apis.AnnotationEIPInternetChargeType, "Free"),
	badAnnotation(apis.AnnotationBackendLabel, "app in (cube"),
	badAnnotation(apis.AnnotationBackendLabel, "=cube"),
	badAnnotation(apis.AnnotationBackendWeight, "101"),
	badAnnotation(apis.AnnotationBackendWeight, "-1"),
	badAnnotation(apis.AnnotationScheduler, "random"),
	badAnnotation(apis.AnnotationPersistenceTimeout, "-1"),
	badAnnotation(apis.AnnotationEstablishedTimeout, "abc"),
	badAnnotation(apis.AnnotationHealthyThreshold, "0"),
	badAnnotation(apis.AnnotationUnhealthyThreshold, "1000"),
	badAnnotation(apis.AnnotationHealthCheckInterval, "0"),
	badAnnotation(apis.AnnotationHealthCheckConnectTimeout, "100000"),
	badAnnotation(apis.AnnotationManagedByUser, "perhaps"),
	badAnnotation(apis.AnnotationForceOverrideListeners, "nope"),

	// Ports and names.
	{name: "SCTP port", svc: func(svc *corev1.Service) { svc.Spec.Ports[0].Protocol = corev1.ProtocolSCTP },
		reason: apis.EventSyncLoadBalancerFailed, field: "spec.ports[0].protocol"},
	{name: "SCTP second port", svc: func(svc *corev1.Service) {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "sctp", Port: 5000, Protocol: corev1.ProtocolSCTP,
			TargetPort: intstr.FromInt32(5000)})
	}, reason: apis.EventSyncLoadBalancerFailed, field: "spec.ports[1].protocol"},
	// k8s/<50>/<ns 10>/np-hefei/e2e-cluster is 86 characters; ENS takes 80.
	{name: "ELB name over 80 characters", svcName: "web-" + strings.Repeat("x", 46),
		reason: apis.EventSyncLoadBalancerFailed, field: "metadata.name"},

	// A managed ELB needs the pool's three ENS annotations.
	{name: "pool without region", prepare: poolWithout(apis.AnnotationPoolRegionID),
		reason: apis.EventMissingPoolNetwork, field: apis.AnnotationPoolRegionID},
	{name: "pool without network", prepare: poolWithout(apis.AnnotationPoolNetworkID),
		reason: apis.EventMissingPoolNetwork, field: apis.AnnotationPoolNetworkID},
	{name: "pool without vSwitch", prepare: poolWithout(apis.AnnotationPoolVSwitchIDs),
		reason: apis.EventMissingPoolNetwork, field: apis.AnnotationPoolVSwitchIDs},

	// The ELB a user-managed PoolService names.
	{name: "user ELB that does not exist", userELB: func(*testing.T, *badEnv) string { return "lb-does-not-exist" },
		reason: apis.EventLoadBalancerNotFound, field: apis.AnnotationLoadBalancerID},
	{name: "user ELB in another region", userELB: func(t *testing.T, e *badEnv) string {
		return createELB(t, e, "e2e-badinput-"+e.ns, "np-chengdu")
	}, reason: apis.EventSyncLoadBalancerFailed, field: apis.AnnotationLoadBalancerID},
	{name: "user ELB that is another PoolService's managed ELB", userELB: managedELBOfAnotherService,
		reason: apis.EventSyncLoadBalancerFailed, field: apis.AnnotationLoadBalancerID,
		holds: stillServing("other", true), poke: "other"},
	{name: "user ELB named for another cluster", userELB: func(t *testing.T, e *badEnv) string {
		return createELB(t, e, fmt.Sprintf("k8s/web/%s/np-hefei/other-cluster", e.ns), "np-hefei")
	}, reason: apis.EventSyncLoadBalancerFailed, field: apis.AnnotationLoadBalancerID},

	// Fan-out: the Service's node-pool selector.
	{name: "unparsable node-pool selector", selector: "k8s-svc in (cube",
		reason: apis.EventInvalidNodePoolSelector, field: apis.AnnotationNodePoolSelector, where: onService},
	{name: "selector matching no pool", selector: "e2e-badinput-no-such-pool=yes",
		reason: apis.EventNoMatchNodePool, field: apis.AnnotationNodePoolSelector, where: onService},

	// Sharing one user ELB needs externalTrafficPolicy Cluster on every
	// Service: the later Service is refused, the earlier keeps working.
	{name: "shared user ELB, Local Service joins a Cluster one", userELB: sharedUserELB(corev1.ServiceExternalTrafficPolicyCluster),
		svc:    secondOnSharedELB(corev1.ServiceExternalTrafficPolicyLocal),
		reason: apis.EventSyncLoadBalancerFailed, field: "spec.externalTrafficPolicy",
		holds: stillServing("first", true), poke: "first"},
	{name: "shared user ELB, Cluster Service joins a Local one", userELB: sharedUserELB(corev1.ServiceExternalTrafficPolicyLocal),
		svc:    secondOnSharedELB(corev1.ServiceExternalTrafficPolicyCluster),
		reason: apis.EventSyncLoadBalancerFailed, field: "spec.externalTrafficPolicy",
		holds: stillServing("first", true), poke: "first"},

	// A node whose ENS instance is in another region and network joins a
	// pool that is already served: left out with a Warning naming it.
	{name: "node of another network", prepare: servedInHefei, act: addForeignNode,
		reason: apis.EventBackendNodeSkipped, field: "e2e-foreign-node", where: servedAnyway, holds: stillServing("web", false)},

	// Strings sent to ENS as ids are shaped and bounded before any call
	// (at most 64 of [A-Za-z0-9._-]; an ELB id starts with lb-).
	{name: "pool region not an ENS id", prepare: poolWithValue(apis.AnnotationPoolRegionID, "cn-hefei cmcc-2"),
		reason: apis.EventInvalidAnnotation, field: apis.AnnotationPoolRegionID},
	{name: "pool network too long", prepare: poolWithValue(apis.AnnotationPoolNetworkID, "n-"+strings.Repeat("x", 64)),
		reason: apis.EventInvalidAnnotation, field: apis.AnnotationPoolNetworkID},
	{name: "pool vSwitch not an ENS id", prepare: poolWithValue(apis.AnnotationPoolVSwitchIDs, `vsw-hefei-1"`),
		reason: apis.EventInvalidAnnotation, field: apis.AnnotationPoolVSwitchIDs},
	{name: "user ELB id too long", userELB: func(*testing.T, *badEnv) string { return "lb-" + strings.Repeat("x", 64) },
		reason: apis.EventInvalidAnnotation, field: apis.AnnotationLoadBalancerID},
	{name: "user ELB id not an ELB id", userELB: func(*testing.T, *badEnv) string { return "eip-e2e-badinput" },
		reason: apis.EventInvalidAnnotation, field: apis.AnnotationLoadBalancerID},
	withName("loadbalancer-spec over 64 characters", badAnnotation(apis.AnnotationSpec, "elb.s2."+strings.Repeat("x", 64))),
	// A node whose instance id (label, providerID or name) cannot be an ENS
	// id: left out with a Warning naming it, the rest of the pool served.
	{name: "node whose providerID gives no ENS id", prepare: servedInHefei,
		act:    addNodeWithID("e2e-bad-id-node", "", "alicloud://cn-hefei-cmcc-2.i-e2e:bad"),
		reason: apis.EventBackendNodeSkipped, field: "e2e-bad-id-node", where: servedAnyway, holds: stillServing("web", false)},
	{name: "node whose name is too long for an instance id", prepare: servedInHefei,
		act:    addNodeWithID(longNodeName, "", ""),
		reason: apis.EventBackendNodeSkipped, field: longNodeName, where: servedAnyway, holds: stillServing("web", false)},
}

// longNodeName is a valid node name that is too long to be an ENS
// instance id (the name is the id when there is no label or providerID).
var longNodeName = "e2e-long-" + strings.Repeat("n", 61)

func withName(name string, tc badInput) badInput {
	tc.name = name
	return tc
}

// TestBadInput applies each bad input on the real cluster, one at a time,
// and checks its Warning Event, its False condition naming the field, and
// that the emulator counts no mutating call from the moment it is applied.
func TestBadInput(t *testing.T) {
	if len(badInputs) < 30 {
		t.Fatalf("the table has %d bad inputs, want at least 30", len(badInputs))
	}
	waitTestNamespacesGone(t)
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) { runBadInput(t, tc) })
	}
}

// badEnv is one case's world: its namespace and the selector of its
// Service (np-hefei, labelled for this case only, unless prepare says).
type badEnv struct {
	ns, selector string
}

const (
	reportTimeout = 30 * time.Second
	// quietAfter is how long the cloud must stay untouched after the report.
	quietAfter = 2 * time.Second
)

func runBadInput(t *testing.T, tc badInput) {
	e := &badEnv{ns: fmt.Sprintf("badin-%04d", rand.IntN(10000))}
	createBadNamespace(t, e.ns)
	// Deferred, so it runs before the t.Cleanup of what the case made
	// (pools, nodes, ELBs): the controller lets go of them first.
	defer deleteBadNamespace(t, e.ns)
	e.selector = selectHefei(t, e.ns)
	if tc.prepare != nil {
		tc.prepare(t, e)
	}
	lbID := ""
	if tc.userELB != nil {
		lbID = tc.userELB(t, e)
	}
	if tc.selector != "" {
		e.selector = tc.selector
	}
	svcName := cmpOr(tc.svcName, "web")

	before := quietCalls(t)
	defer func() {
		if t.Failed() {
			now := calls(t)
			t.Logf("since the bad input: %d mutating call(s); calls %s", now.MutatingCalls-before.MutatingCalls, callsDiff(before, now))
		}
	}()
	if tc.act != nil {
		tc.act(t, e)
	} else {
		createBadService(t, e, svcName, tc, lbID != "")
		if lbID != "" {
			nameELB(t, e.ns, waitPoolServiceOf(t, e.ns, svcName), lbID)
		}
	}

	checkReported(t, e, svcName, tc)
	var holds func() (bool, string)
	if tc.holds != nil {
		holds = tc.holds(t, e)
	}
	if tc.poke != "" {
		updateService(t, e.ns, tc.poke, func(svc *corev1.Service) {
			svc.Annotations["e2e.edge-controller-manager/poke"] = time.Now().Format(time.RFC3339Nano)
		})
	}
	consistently(t, quietAfter, "no mutating cloud call", func() (bool, string) {
		now := calls(t)
		if now.MutatingCalls != before.MutatingCalls {
			return false, fmt.Sprintf("%d mutating call(s) since the bad input: %s",
				now.MutatingCalls-before.MutatingCalls, callsDiff(before, now))
		}
		if holds != nil {
			return holds()
		}
		return true, ""
	})
	if tc.where == onService {
		if got := poolServiceNames(t, e.ns); len(got) != 0 {
			t.Errorf("PoolServices %v exist for a Service whose fan-out failed", got)
		}
	}
}

// checkReported waits for the Warning Event(s) and the condition.
func checkReported(t *testing.T, e *badEnv, svcName string, tc badInput) {
	t.Helper()
	waitWarning(t, e.ns, "Service", svcName, tc.reason, tc.field)
	if tc.where == onService {
		return
	}
	ps := waitPoolServiceOf(t, e.ns, svcName)
	waitWarning(t, e.ns, "PoolService", ps, tc.reason, tc.field)
	if tc.where == servedAnyway {
		return
	}
	eventually(t, reportTimeout, fmt.Sprintf("%s Synced=False/%s naming %s, Ready not True", ps, tc.reason, tc.field), func() (bool, string) {
		got := getPoolService(t, e.ns, ps)
		synced := meta.FindStatusCondition(got.Status.Conditions, apis.ConditionSynced)
		ready := meta.FindStatusCondition(got.Status.Conditions, apis.ConditionReady)
		ok := synced != nil && synced.Status == metav1.ConditionFalse && synced.Reason == tc.reason &&
			strings.Contains(synced.Message, tc.field) && (ready == nil || ready.Status != metav1.ConditionTrue)
		return ok, describeConditions(got)
	})
}

// badAnnotation is a managed Service with one invalid annotation.
func badAnnotation(key, value string) badInput {
	short := key[strings.LastIndex(key, "/")+1:]
	short = strings.TrimPrefix(short, "alibaba-cloud-")
	return badInput{name: fmt.Sprintf("%s=%s", short, value),
		svc:    func(svc *corev1.Service) { svc.Annotations[key] = value },
		reason: apis.EventInvalidAnnotation, field: key}
}

// poolWithout makes the case's pool: np-hefei's location minus one annotation.
func poolWithout(annotation string) func(*testing.T, *badEnv) {
	return func(t *testing.T, e *badEnv) {
		pool := e.ns + "-pool"
		createPool(t, pool, "np-hefei", map[string]string{"e2e-badinput": e.ns})
		body := mergePatch(t, map[string]any{"metadata": map[string]any{"annotations": map[string]any{annotation: nil}}})
		if _, err := s.yurt.AppsV1beta2().NodePools().Patch(context.Background(), pool, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
			t.Fatalf("removing %s from NodePool %s: %v", annotation, pool, err)
		}
		e.selector = "e2e-badinput=" + e.ns
	}
}

// poolWithValue makes the case's pool: np-hefei's location with one
// annotation set to value.
func poolWithValue(annotation, value string) func(*testing.T, *badEnv) {
	return func(t *testing.T, e *badEnv) {
		pool := e.ns + "-pool"
		createPool(t, pool, "np-hefei", map[string]string{"e2e-badinput": e.ns})
		body := mergePatch(t, map[string]any{"metadata": map[string]any{"annotations": map[string]any{annotation: value}}})
		if _, err := s.yurt.AppsV1beta2().NodePools().Patch(context.Background(), pool, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
			t.Fatalf("setting %s on NodePool %s: %v", annotation, pool, err)
		}
		e.selector = "e2e-badinput=" + e.ns
	}
}

// createELB makes an ELB by hand in a pool's location, released when t ends.
func createELB(t *testing.T, e *badEnv, name, pool string) string {
	t.Helper()
	c, loc := ensClient(t), poolCloud[pool]
	id, err := c.CreateLoadBalancer(context.Background(), cloud.CreateLoadBalancerRequest{Name: name, RegionID: loc.region,
		NetworkID: loc.network, VSwitchID: loc.vswitch, Spec: "elb.s2.small", PayType: "PostPaid"})
	if err != nil {
		t.Fatalf("creating ELB %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := c.ReleaseLoadBalancer(context.Background(), id); err != nil {
			t.Errorf("releasing ELB %s: %v", id, err)
		}
	})
	// The user names it once it is Active, as on real ENS.
	if lb := waitSettled(t, id).LoadBalancer(id); lb == nil || lb.Status != "Active" {
		t.Fatalf("ELB %s after creation: %+v", id, lb)
	}
	return id
}

// managedELBOfAnotherService exposes Service "other" (managed) and returns
// the id of its ELB once it serves.
func managedELBOfAnotherService(t *testing.T, e *badEnv) string {
	createBadService(t, e, "other", badInput{}, false)
	waitServing(t, e.ns, "other")
	lb, why := managedELB(inventory(t), resourceName("other", e.ns, "np-hefei"))
	if lb == nil {
		t.Fatal(why)
	}
	return lb.ID
}

// sharedUserELB makes a user ELB with an EIP, and user-managed Service
// "first" (TCP:80, the policy) serving on it; it returns the ELB id.
func sharedUserELB(policy corev1.ServiceExternalTrafficPolicy) func(*testing.T, *badEnv) string {
	return func(t *testing.T, e *badEnv) string {
		u := createUserELB(t, ensClient(t), e.ns)
		createBadService(t, e, "first", badInput{svc: func(svc *corev1.Service) { svc.Spec.ExternalTrafficPolicy = policy }}, true)
		nameELB(t, e.ns, waitPoolServiceOf(t, e.ns, "first"), u.id)
		waitServing(t, e.ns, "first")
		waitIngress(t, e.ns, "first", []string{u.eipAddress}, defaultTimeout)
		return u.id
	}
}

// secondOnSharedELB is the later Service on a shared ELB: its own port.
func secondOnSharedELB(policy corev1.ServiceExternalTrafficPolicy) func(*corev1.Service) {
	return func(svc *corev1.Service) {
		svc.Spec.ExternalTrafficPolicy = policy
		svc.Spec.Ports[0].Port = 81
	}
}

// servedInHefei exposes the case's Service "web" in np-hefei and waits
// until both Hefei instances are its backends.
func servedInHefei(t *testing.T, e *badEnv) {
	createBadService(t, e, "web", badInput{}, false)
	waitServing(t, e.ns, "web")
	eventually(t, defaultTimeout, "web's ELB has the Hefei instances as backends", func() (bool, string) {
		lb, why := managedELB(inventory(t), resourceName("web", e.ns, "np-hefei"))
		if lb == nil {
			return false, why
		}
		got := backendIDs(*lb)
		return slices.Equal(got, poolInstances["np-hefei"]), fmt.Sprintf("backends %v", got)
	})
}

// addForeignNode adds a Ready node to np-hefei whose instance is i-chengdu-1
// (region cn-chengdu-telecom-4, network n-chengdu), deleted when t ends.
func addForeignNode(t *testing.T, e *badEnv) {
	addNodeWithID("e2e-foreign-node", "i-chengdu-1", "")(t, e)
}

// addNodeWithID adds a Ready node to np-hefei with the instance-id label
// and the providerID given (each left out when ""), deleted when t ends.
func addNodeWithID(name, instanceLabel, providerID string) func(*testing.T, *badEnv) {
	return func(t *testing.T, _ *badEnv) { addNode(t, name, instanceLabel, providerID) }
}

func addNode(t *testing.T, name, instanceLabel, providerID string) {
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name,
		Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
		Labels:      map[string]string{apis.LabelNodePool: "np-hefei"}},
		Spec: corev1.NodeSpec{ProviderID: providerID}}
	if len(name) <= 63 { // a label value's limit
		node.Labels["kubernetes.io/hostname"] = name
	}
	if instanceLabel != "" {
		node.Labels[apis.LabelENSInstanceID] = instanceLabel
	}
	if _, err := s.kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating node %s: %v", node.Name, err)
	}
	t.Cleanup(func() {
		if err := s.kube.CoreV1().Nodes().Delete(ctx, node.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting node %s: %v", node.Name, err)
		}
	})
	kubectl(t, "wait", "--for=condition=Ready", "--timeout=60s", "node/"+node.Name)
}

// stillServing holds while svc's PoolService stays Ready (and Synced, if
// asked: nothing is wrong with it) and the Service keeps its ingress.
func stillServing(svc string, synced bool) func(*testing.T, *badEnv) func() (bool, string) {
	return func(t *testing.T, e *badEnv) func() (bool, string) {
		ps := waitPoolServiceOf(t, e.ns, svc)
		ingress := ingressIPs(getService(t, e.ns, svc))
		return func() (bool, string) {
			got := getPoolService(t, e.ns, ps)
			now := ingressIPs(getService(t, e.ns, svc))
			ok := conditionTrue(got, apis.ConditionReady) && (!synced || conditionTrue(got, apis.ConditionSynced)) &&
				len(now) > 0 && slices.Equal(now, ingress)
			return ok, fmt.Sprintf("%s: %s; Service %s ingress %v, was %v", ps, describeConditions(got), svc, now, ingress)
		}
	}
}

// createBadService creates a managed (or user-managed) Cluster-policy
// Service with one TCP port, edited by tc.svc.
func createBadService(t *testing.T, e *badEnv, name string, tc badInput, userManaged bool) {
	t.Helper()
	createService(t, e.ns, name, e.selector, func(svc *corev1.Service) {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		svc.Spec.Ports = []corev1.ServicePort{{Name: "web", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)}}
		if userManaged {
			svc.Annotations[apis.AnnotationManagedByUser] = "true"
		}
		if tc.svc != nil {
			tc.svc(svc)
		}
	})
}

// waitServing waits until svc's PoolService is Ready and Synced and the
// Service has an ingress address.
func waitServing(t *testing.T, ns, svc string) {
	t.Helper()
	ps := waitPoolServiceOf(t, ns, svc)
	eventually(t, defaultTimeout, ps+" Ready and Synced with an address", func() (bool, string) {
		got := getPoolService(t, ns, ps)
		ok := conditionTrue(got, apis.ConditionReady) && conditionTrue(got, apis.ConditionSynced) &&
			len(ingressIPs(getService(t, ns, svc))) > 0
		return ok, describeConditions(got)
	})
}

// waitPoolServiceOf returns the name of the one PoolService of svc.
func waitPoolServiceOf(t *testing.T, ns, svc string) string {
	t.Helper()
	var name string
	eventually(t, reportTimeout, "the PoolService of "+svc, func() (bool, string) {
		list, err := s.yurt.NetworkV1alpha1().PoolServices(ns).List(context.Background(),
			metav1.ListOptions{LabelSelector: apis.LabelServiceName + "=" + svc})
		if err != nil {
			return false, err.Error()
		}
		if len(list.Items) != 1 {
			return false, fmt.Sprintf("%d PoolServices", len(list.Items))
		}
		name = list.Items[0].Name
		return true, ""
	})
	return name
}

func getPoolService(t *testing.T, ns, name string) *v1alpha1.PoolService {
	t.Helper()
	ps, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting PoolService %s/%s: %v", ns, name, err)
	}
	return ps
}

func conditionTrue(ps *v1alpha1.PoolService, typ string) bool {
	c := meta.FindStatusCondition(ps.Status.Conditions, typ)
	return c != nil && c.Status == metav1.ConditionTrue
}

func describeConditions(ps *v1alpha1.PoolService) string {
	var out []string
	for _, c := range ps.Status.Conditions {
		out = append(out, fmt.Sprintf("%s=%s/%s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return "conditions [" + strings.Join(out, "; ") + "]"
}

// waitWarning waits for a Warning Event on the object with the reason
// whose message names field.
func waitWarning(t *testing.T, ns, kind, name, reason, field string) {
	t.Helper()
	what := fmt.Sprintf("Warning %s on %s %s naming %s", reason, kind, name, field)
	eventually(t, reportTimeout, what, func() (bool, string) {
		evs, err := s.kube.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, ev := range evs.Items {
			if ev.InvolvedObject.Kind != kind || ev.InvolvedObject.Name != name {
				continue
			}
			if ev.Type == corev1.EventTypeWarning && ev.Reason == reason && strings.Contains(ev.Message, field) {
				return true, ""
			}
			seen = append(seen, ev.Type+"/"+ev.Reason+": "+ev.Message)
		}
		return false, fmt.Sprintf("events on %s %s: %v", kind, name, seen)
	})
}

func calls(t *testing.T) ensemulator.CallStats {
	t.Helper()
	st, err := s.emu.Calls()
	if err != nil {
		t.Fatalf("reading emulator calls: %v", err)
	}
	return st
}

// quietCalls waits until no mutating call has been made for a second and
// returns the counters then.
func quietCalls(t *testing.T) ensemulator.CallStats {
	t.Helper()
	last, since := calls(t), time.Now()
	eventually(t, defaultTimeout, "the cloud is quiet", func() (bool, string) {
		now := calls(t)
		if now.MutatingCalls != last.MutatingCalls {
			last, since = now, time.Now()
		}
		return time.Since(since) >= time.Second, fmt.Sprintf("%d mutating calls so far", now.MutatingCalls)
	})
	return last
}

// callsDiff lists the actions called between two readings.
func callsDiff(before, after ensemulator.CallStats) string {
	var out []string
	for action, n := range after.Calls {
		if d := n - before.Calls[action]; d > 0 {
			out = append(out, fmt.Sprintf("%s×%d", action, d))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func createBadNamespace(t *testing.T, ns string) {
	t.Helper()
	_, err := s.kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: map[string]string{testNamespaceLabel: "TestBadInput"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace %s: %v", ns, err)
	}
}

// deleteBadNamespace deletes the case's Services and waits until they and
// their PoolServices are gone (the controller has then released what it
// made), so the next case reads quiet counters; the namespace itself then
// goes in the background.
func deleteBadNamespace(t *testing.T, ns string) {
	if t.Failed() {
		dumpState(t, ns)
	}
	ctx := context.Background()
	svcs, err := s.kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing Services in %s: %v", ns, err)
	}
	for _, svc := range svcs.Items {
		if err := s.kube.CoreV1().Services(ns).Delete(ctx, svc.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting Service %s/%s: %v", ns, svc.Name, err)
		}
	}
	eventually(t, defaultTimeout, "Services and PoolServices of "+ns+" are gone", func() (bool, string) {
		svcs, err := s.kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		pss := poolServiceNames(t, ns)
		return len(svcs.Items)+len(pss) == 0, fmt.Sprintf("%d Services, PoolServices %v", len(svcs.Items), pss)
	})
	if err := s.kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Errorf("deleting namespace %s: %v", ns, err)
	}
}

// waitTestNamespacesGone waits until earlier tests' namespaces (and so
// their cloud resources) are gone: their cleanup must not be counted here.
func waitTestNamespacesGone(t *testing.T) {
	t.Helper()
	eventually(t, 2*defaultTimeout, "earlier test namespaces are gone", func() (bool, string) {
		nss, err := s.kube.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{LabelSelector: testNamespaceLabel})
		if err != nil {
			return false, err.Error()
		}
		return len(nss.Items) == 0, fmt.Sprintf("%d left", len(nss.Items))
	})
}
