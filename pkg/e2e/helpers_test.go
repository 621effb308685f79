//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// testNamespaceLabel marks the namespaces the tests create.
const testNamespaceLabel = "e2e.edge-controller-manager/test"

// The walkthrough's pools and the ENS instances of their kwok nodes
// (manifests/examples/nodepools.yaml, hack/demo/nodes.yaml).
var (
	pools         = []string{"np-chengdu", "np-hefei"}
	poolInstances = map[string][]string{
		"np-hefei":   {"i-hefei-1", "i-hefei-2"},
		"np-chengdu": {"i-chengdu-1", "i-chengdu-2"},
	}
	poolCloud = map[string]struct{ region, network, vswitch string }{
		"np-hefei":   {"cn-hefei-cmcc-2", "n-hefei", "vsw-hefei-1"},
		"np-chengdu": {"cn-chengdu-telecom-4", "n-chengdu", "vsw-chengdu-1"},
	}
	nodeOfInstance = map[string]string{
		"i-hefei-1": "edge-hefei-1", "i-hefei-2": "edge-hefei-2",
		"i-chengdu-1": "edge-chengdu-1", "i-chengdu-2": "edge-chengdu-2",
	}
)

// newNamespace creates a namespace for t and deletes it when t ends (its
// Services go with it, and the manager releases their cloud resources).
// On failure it first logs what the namespace and the cloud look like.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ctx := context.Background()
	ns := fmt.Sprintf("%s-%04d", prefix, rand.IntN(10000))
	_, err := s.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: map[string]string{testNamespaceLabel: t.Name()}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace %s: %v", ns, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpState(t, ns)
		}
		if err := s.kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
			t.Errorf("deleting namespace %s: %v", ns, err)
		}
	})
	return ns
}

func dumpState(t *testing.T, ns string) {
	ctx := context.Background()
	for _, args := range [][]string{
		{"get", "svc,ps,pods,endpointslices", "-n", ns, "-o", "wide"},
		{"get", "np", "--show-labels"},
		{"get", "events", "-n", ns, "--sort-by=.lastTimestamp"},
	} {
		out, err := s.cluster.Kubectl(ctx, args...)
		t.Logf("kubectl %s:\n%s%v", strings.Join(args, " "), out, errOrEmpty(err))
	}
	if inv, err := s.emu.Inventory(); err == nil {
		for _, lb := range inv.LoadBalancers {
			t.Logf("cloud ELB %s", framework.DescribeLB(lb))
		}
		for _, e := range inv.EIPs {
			t.Logf("cloud EIP %s %q %s %s on %s", e.ID, e.Name, e.Address, e.Status, e.InstanceID)
		}
	}
	for _, m := range s.managers {
		t.Logf("last lines of %s:\n%s", m.LogPath, m.Tail(25))
	}
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// eventually polls cond (every 250ms) and fails t with cond's last
// description of the state when it does not hold within timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	t0 := time.Now()
	if err := framework.WaitFor(context.Background(), timeout, 250*time.Millisecond, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	t.Logf("%s after %s", what, time.Since(t0).Round(10*time.Millisecond))
}

// consistently fails t if cond stops holding during d.
func consistently(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if ok, state := cond(); !ok {
			t.Fatalf("%s stopped holding: %s", what, state)
		}
	}
}

// cubeDaemonSet is Step 1 of the walkthrough; nodeSelector narrows it.
func createCube(t *testing.T, ns string, nodeSelector map[string]string) {
	t.Helper()
	labels := map[string]string{"app": "cube"}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "cube", Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{NodeSelector: nodeSelector, Containers: []corev1.Container{{
					Name: "cube", Image: "registry.cn-hangzhou.aliyuncs.com/acr-toolkit/ack-cube:1.0",
					Ports: []corev1.ContainerPort{{ContainerPort: 80}},
				}}},
			},
		},
	}
	if _, err := s.kube.AppsV1().DaemonSets(ns).Create(context.Background(), ds, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating DaemonSet: %v", err)
	}
}

// cubeService is Step 3's cube-svc; mutate adjusts it before creation.
func createService(t *testing.T, ns, name, selector string, mutate func(*corev1.Service)) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "cube"},
			Annotations: map[string]string{apis.AnnotationTopologyKeys: "openyurt.io/nodepool",
				apis.AnnotationNodePoolSelector: selector}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "cube"}, Type: corev1.ServiceTypeLoadBalancer,
			LoadBalancerClass:     ptr.To(apis.LoadBalancerClassELB),
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			Ports: []corev1.ServicePort{{Name: "cube", Port: 80, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromInt32(80)}},
		},
	}
	if mutate != nil {
		mutate(svc)
	}
	out, err := s.kube.CoreV1().Services(ns).Create(context.Background(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating Service %s/%s: %v", ns, name, err)
	}
	return out
}

func getService(t *testing.T, ns, name string) *corev1.Service {
	t.Helper()
	svc, err := s.kube.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting Service %s/%s: %v", ns, name, err)
	}
	return svc
}

// updateService applies mutate to the current Service, retrying conflicts.
func updateService(t *testing.T, ns, name string, mutate func(*corev1.Service)) {
	t.Helper()
	err := framework.WaitFor(context.Background(), 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		svc := getService(t, ns, name)
		mutate(svc)
		_, err := s.kube.CoreV1().Services(ns).Update(context.Background(), svc, metav1.UpdateOptions{})
		return err == nil, fmt.Sprint(err)
	})
	if err != nil {
		t.Fatalf("updating Service %s/%s: %v", ns, name, err)
	}
}

func ingressIPs(svc *corev1.Service) []string {
	var ips []string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		ips = append(ips, cmpOr(in.IP, in.Hostname))
	}
	return ips
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// waitIngress waits until the Service's ingress is exactly want (any order)
// and returns it as the Service lists it.
func waitIngress(t *testing.T, ns, name string, want []string, timeout time.Duration) []string {
	t.Helper()
	want = sorted(want)
	var got []string
	eventually(t, timeout, fmt.Sprintf("Service %s/%s ingress %v", ns, name, want), func() (bool, string) {
		got = ingressIPs(getService(t, ns, name))
		return slices.Equal(sorted(got), want), fmt.Sprintf("ingress %v", got)
	})
	return got
}

// waitIngressCount waits until the Service lists n ingress addresses.
func waitIngressCount(t *testing.T, ns, name string, n int, timeout time.Duration) []string {
	t.Helper()
	var got []string
	eventually(t, timeout, fmt.Sprintf("Service %s/%s has %d ingress addresses", ns, name, n), func() (bool, string) {
		got = ingressIPs(getService(t, ns, name))
		return len(got) == n, fmt.Sprintf("ingress %v", got)
	})
	return got
}

// waitPoolServices waits until the namespace holds exactly these PoolServices.
func waitPoolServices(t *testing.T, ns string, want ...string) {
	t.Helper()
	want = sorted(want)
	eventually(t, defaultTimeout, fmt.Sprintf("PoolServices in %s are %v", ns, want), func() (bool, string) {
		got := poolServiceNames(t, ns)
		return slices.Equal(got, want), fmt.Sprintf("PoolServices %v", got)
	})
}

func poolServiceNames(t *testing.T, ns string) []string {
	t.Helper()
	list, err := s.yurt.NetworkV1alpha1().PoolServices(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing PoolServices: %v", err)
	}
	var names []string
	for _, ps := range list.Items {
		names = append(names, ps.Name)
	}
	return sorted(names)
}

// waitServiceGone waits until the Service is deleted for good (its
// finalizer removed).
func waitServiceGone(t *testing.T, ns, name string) {
	t.Helper()
	eventually(t, defaultTimeout, fmt.Sprintf("Service %s/%s is gone", ns, name), func() (bool, string) {
		svc, err := s.kube.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, fmt.Sprintf("still there, finalizers %v, deleting since %v", svc.Finalizers, svc.DeletionTimestamp)
	})
}

func deleteService(t *testing.T, ns, name string) {
	t.Helper()
	if err := s.kube.CoreV1().Services(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting Service %s/%s: %v", ns, name, err)
	}
}

func inventory(t *testing.T) ensemulator.Inventory {
	t.Helper()
	inv, err := s.emu.Inventory()
	if err != nil {
		t.Fatalf("reading the emulator inventory: %v", err)
	}
	return inv
}

// settleTimeout bounds a wait for the emulator's transitions (seconds each,
// as on real ENS) to end.
const settleTimeout = 30 * time.Second

// waitSettled waits until the ELBs and EIPs with the ids (an ELB with its
// listeners, releasing ports and bound EIP) are no longer in transition,
// as a user's script waits between steps, and returns that inventory.
func waitSettled(t *testing.T, ids ...string) ensemulator.Inventory {
	t.Helper()
	inv, err := s.emu.WaitSettled(context.Background(), settleTimeout, ids...)
	if err != nil {
		t.Fatalf("waiting for %v to settle: %v", ids, err)
	}
	return inv
}

// resourceName is the name of a managed ELB and EIP.
func resourceName(svc, ns, pool string) string {
	return fmt.Sprintf("k8s/%s/%s/%s/%s", svc, ns, pool, clusterID)
}

// servicePrefix matches every managed ELB/EIP of one Service.
func servicePrefix(svc, ns string) string { return fmt.Sprintf("k8s/%s/%s/", svc, ns) }

// waitNoCloudResources waits until no ELB or EIP with the prefix exists.
func waitNoCloudResources(t *testing.T, prefix string) {
	t.Helper()
	eventually(t, defaultTimeout, fmt.Sprintf("no ELB/EIP named %s*", prefix), func() (bool, string) {
		inv, err := s.emu.Inventory()
		if err != nil {
			return false, err.Error()
		}
		lbs, eips := framework.LoadBalancersNamed(inv, prefix), framework.EIPsNamed(inv, prefix)
		return len(lbs)+len(eips) == 0, fmt.Sprintf("%d ELBs %v, %d EIPs", len(lbs), lbNames(lbs), len(eips))
	})
}

func lbNames(lbs []ensemulator.LoadBalancer) []string {
	var out []string
	for _, lb := range lbs {
		out = append(out, lb.Name)
	}
	return out
}

// backendIDs is the sorted set of instance ids behind an ELB.
func backendIDs(lb ensemulator.LoadBalancer) []string {
	var ids []string
	for _, b := range lb.Backends {
		ids = append(ids, b.ServerID)
	}
	return slices.Compact(sorted(ids))
}

// backendPorts is the sorted set of ports of an ELB's backends.
func backendPorts(lb ensemulator.LoadBalancer) []int {
	var ports []int
	for _, b := range lb.Backends {
		ports = append(ports, b.Port)
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

func nodePorts(svc *corev1.Service) []int {
	var ports []int
	for _, p := range svc.Spec.Ports {
		ports = append(ports, int(p.NodePort))
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

// listenerSet renders the listeners as sorted "PROTO:port->backendPort".
func listenerSet(lb ensemulator.LoadBalancer) []string {
	var out []string
	for _, l := range lb.Listeners {
		out = append(out, fmt.Sprintf("%s:%d->%d", l.Protocol, l.Port, l.BackendServerPort))
	}
	return sorted(out)
}

// wantListeners renders a Service's ports the way listenerSet does.
func wantListeners(svc *corev1.Service) []string {
	var out []string
	for _, p := range svc.Spec.Ports {
		out = append(out, fmt.Sprintf("%s:%d->%d", p.Protocol, p.Port, p.NodePort))
	}
	return sorted(out)
}

// managedELB returns the one ELB named name, failing the poll otherwise.
func managedELB(inv ensemulator.Inventory, name string) (*ensemulator.LoadBalancer, string) {
	var found []ensemulator.LoadBalancer
	for _, lb := range inv.LoadBalancers {
		if lb.Name == name {
			found = append(found, lb)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Sprintf("%d ELBs named %s", len(found), name)
	}
	return &found[0], ""
}

// waitELBs waits until each pool's ELB (looked up by lbFor) has the
// listeners of the Service and exactly the given backends.
func waitELBs(t *testing.T, ns, svcName string, backends map[string][]string, lbFor func(ensemulator.Inventory, string) (*ensemulator.LoadBalancer, string)) {
	t.Helper()
	eventually(t, defaultTimeout, fmt.Sprintf("ELBs of %s/%s have its listeners and backends %v", ns, svcName, backends), func() (bool, string) {
		svc := getService(t, ns, svcName)
		inv, err := s.emu.Inventory()
		if err != nil {
			return false, err.Error()
		}
		var bad []string
		for pool, want := range backends {
			lb, why := lbFor(inv, pool)
			if lb == nil {
				bad = append(bad, pool+": "+why)
				continue
			}
			if got := listenerSet(*lb); !slices.Equal(got, wantListeners(svc)) {
				bad = append(bad, fmt.Sprintf("%s: listeners %v, want %v", pool, got, wantListeners(svc)))
			}
			if got := backendIDs(*lb); !slices.Equal(got, sorted(want)) {
				bad = append(bad, fmt.Sprintf("%s: backends %v, want %v", pool, got, sorted(want)))
			}
			// One entry per instance (Port 0): each listener's backend port,
			// the nodePort, routes (listenerSet checks those).
			if got := backendPorts(*lb); len(lb.Backends) > 0 && !slices.Equal(got, []int{0}) {
				bad = append(bad, fmt.Sprintf("%s: backend ports %v, want one entry per instance (port 0)", pool, got))
			}
		}
		return len(bad) == 0, strings.Join(bad, "; ")
	})
}

// managedLBFor looks up the managed ELB of svc in ns for a pool.
func managedLBFor(ns, svc string) func(ensemulator.Inventory, string) (*ensemulator.LoadBalancer, string) {
	return func(inv ensemulator.Inventory, pool string) (*ensemulator.LoadBalancer, string) {
		return managedELB(inv, resourceName(svc, ns, pool))
	}
}

// kubectl runs the built kubectl as the cluster admin and returns stdout.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := s.cluster.Kubectl(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mergePatch builds a JSON merge patch body.
func mergePatch(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// patchNodeLabels sets (value != nil) or removes (nil) node labels.
func patchNodeLabels(t *testing.T, node string, labels map[string]*string) {
	t.Helper()
	body := mergePatch(t, map[string]any{"metadata": map[string]any{"labels": labels}})
	if _, err := s.kube.CoreV1().Nodes().Patch(context.Background(), node, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		t.Fatalf("patching node %s labels: %v", node, err)
	}
}

func sorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}

// table parses kubectl's default table output into rows of column → value.
func table(out string) []map[string]string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 {
		return nil
	}
	header := lines[0]
	// Column starts are where a header word begins after two spaces.
	var starts []int
	var names []string
	for i := 0; i < len(header); i++ {
		if header[i] != ' ' && (i == 0 || (i >= 2 && header[i-1] == ' ' && header[i-2] == ' ')) {
			starts = append(starts, i)
		}
	}
	for i, st := range starts {
		end := len(header)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		names = append(names, strings.TrimSpace(header[st:end]))
	}
	var rows []map[string]string
	for _, line := range lines[1:] {
		row := map[string]string{}
		for i, st := range starts {
			if st >= len(line) {
				continue
			}
			end := len(line)
			if i+1 < len(starts) && starts[i+1] < len(line) {
				end = starts[i+1]
			}
			row[names[i]] = strings.TrimSpace(line[st:end])
		}
		rows = append(rows, row)
	}
	return rows
}

// labelNodesFor labels every node with a key of its own for ns (the
// cube pods of ns select it), removed when the test ends; it returns the key.
func labelNodesFor(t *testing.T, ns string) string {
	t.Helper()
	key := "e2e-cube-" + ns
	for _, node := range nodeOfInstance {
		patchNodeLabels(t, node, map[string]*string{key: ptr.To("on")})
	}
	t.Cleanup(func() {
		for _, node := range nodeOfInstance {
			patchNodeLabels(t, node, map[string]*string{key: nil})
		}
	})
	return key
}

// poolAnnotations are the cloud annotations of a pool in the cloud
// location of like (a walkthrough pool).
func poolAnnotations(like string) map[string]string {
	c := poolCloud[like]
	return map[string]string{apis.AnnotationPoolRegionID: c.region, apis.AnnotationPoolNetworkID: c.network,
		apis.AnnotationPoolVSwitchIDs: c.vswitch}
}
