//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// The tests in this file run in parallel with each other, after the
// sequential ones (which kill and restart the manager and the emulator).
// Each has its own namespace, its own user ELB and its own pool label.

// ensClient is the controller's ENS client pointed at the suite's emulator,
// for what a user does by hand in the console.
func ensClient(t *testing.T) *ens.Client {
	t.Helper()
	c, err := ens.NewClient(ens.ClientConfig{AccessKeyID: ensemulator.DefaultAccessKeyID, AccessKeySecret: ensemulator.DefaultAccessKeySecret,
		Region: "cn-hefei-cmcc-2", Endpoint: s.emu.Endpoint(), Scheme: "HTTP"})
	if err != nil {
		t.Fatalf("ENS client: %v", err)
	}
	return c
}

// userELB is an ELB with an EIP that a user made by hand in Hefei.
type userELB struct {
	id, eipID, eipAddress string
}

// createUserELB makes a user ELB with an EIP bound to it, named so that
// the controller can never take it for one of its own, and releases both
// when t ends.
func createUserELB(t *testing.T, c *ens.Client, ns string) userELB {
	t.Helper()
	ctx := context.Background()
	loc := poolCloud["np-hefei"]
	name := "e2e-user-elb-" + ns
	id, err := c.CreateLoadBalancer(ctx, cloud.CreateLoadBalancerRequest{Name: name, RegionID: loc.region,
		NetworkID: loc.network, VSwitchID: loc.vswitch, Spec: "elb.s2.small", PayType: "PostPaid"})
	if err != nil {
		t.Fatalf("creating user ELB: %v", err)
	}
	t.Cleanup(func() {
		if err := c.ReleaseLoadBalancer(ctx, id); err != nil {
			t.Errorf("releasing user ELB %s: %v", id, err)
		}
	})
	// As on real ENS, each step waits for the last to settle: the ELB is
	// Active before its EIP is bound, the EIP InUse before it is used.
	if lb := waitSettled(t, id).LoadBalancer(id); lb == nil || lb.Status != "Active" {
		t.Fatalf("user ELB %s after creation: %+v", id, lb)
	}
	eip, err := c.CreateEIP(ctx, cloud.CreateEIPRequest{Name: name, RegionID: loc.region, Bandwidth: 10})
	if err != nil {
		t.Fatalf("creating user EIP: %v", err)
	}
	t.Cleanup(func() {
		// Cleanups run last-registered first: the EIP is unbound and
		// released before its ELB goes; ENS releases only an Available
		// EIP, so the unbinding must settle first.
		waitSettled(t, eip)
		if err := c.UnassociateEIP(ctx, eip); err != nil {
			t.Errorf("unbinding user EIP %s: %v", eip, err)
		}
		waitSettled(t, eip)
		if err := c.ReleaseEIP(ctx, eip); err != nil {
			t.Errorf("releasing user EIP %s: %v", eip, err)
		}
	})
	if err := c.AssociateEIP(ctx, eip, id); err != nil {
		t.Fatalf("binding user EIP: %v", err)
	}
	e := waitSettled(t, eip).EIP(eip)
	if e == nil || e.Status != "InUse" || e.InstanceID != id {
		t.Fatalf("user EIP %s after binding: %+v", eip, e)
	}
	return userELB{id: id, eipID: eip, eipAddress: e.Address}
}

// selectHefei labels np-hefei for this test only and returns the selector.
func selectHefei(t *testing.T, ns string) string {
	t.Helper()
	key := "e2e-" + ns
	patchPoolLabels(t, "np-hefei", map[string]*string{key: ptr.To("on")})
	t.Cleanup(func() { patchPoolLabels(t, "np-hefei", map[string]*string{key: nil}) })
	return key + "=on"
}

// userService creates a user-managed Service with one TCP port.
func userService(t *testing.T, ns, name, selector string, port int32, policy corev1.ServiceExternalTrafficPolicy) {
	t.Helper()
	createService(t, ns, name, selector, func(svc *corev1.Service) {
		svc.Annotations[apis.AnnotationManagedByUser] = "true"
		svc.Spec.ExternalTrafficPolicy = policy
		svc.Spec.Ports = []corev1.ServicePort{{Name: "web", Port: port, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)}}
	})
}

// nameELB annotates a PoolService with the user's ELB, as the walkthrough
// tells users to.
func nameELB(t *testing.T, ns, ps, lbID string) {
	t.Helper()
	body := mergePatch(t, map[string]any{"metadata": map[string]any{"annotations": map[string]string{apis.AnnotationLoadBalancerID: lbID}}})
	if _, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Patch(context.Background(), ps, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		t.Fatalf("annotating PoolService %s/%s: %v", ns, ps, err)
	}
}

// waitEventOn waits for a Warning event with the reason on the object
// whose message contains text.
func waitEventOn(t *testing.T, ns, object, reason, text string) {
	t.Helper()
	eventually(t, defaultTimeout, fmt.Sprintf("Warning %s on %s", reason, object), func() (bool, string) {
		evs, err := s.kube.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range evs.Items {
			if e.InvolvedObject.Name != object {
				continue
			}
			if e.Type == corev1.EventTypeWarning && e.Reason == reason && strings.Contains(e.Message, text) {
				return true, ""
			}
			seen = append(seen, e.Type+"/"+e.Reason+": "+e.Message)
		}
		return false, fmt.Sprintf("events on %s: %v", object, seen)
	})
}

// waitSyncedFalse waits until the PoolService's Synced condition is False
// with the reason.
func waitSyncedFalse(t *testing.T, ns, ps, reason string) {
	t.Helper()
	eventually(t, defaultTimeout, fmt.Sprintf("%s Synced=False/%s", ps, reason), func() (bool, string) {
		got, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Get(context.Background(), ps, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, c := range got.Status.Conditions {
			if c.Type == apis.ConditionSynced {
				return c.Status == metav1.ConditionFalse && c.Reason == reason, fmt.Sprintf("Synced=%s/%s: %s", c.Status, c.Reason, c.Message)
			}
		}
		return false, fmt.Sprintf("conditions %+v", got.Status.Conditions)
	})
}

// lbState is what a test compares to see that an ELB did not change.
func lbState(t *testing.T, id string) (ensemulator.LoadBalancer, *ensemulator.EIP) {
	t.Helper()
	inv := inventory(t)
	lb := framework.FindLoadBalancer(inv, id)
	if lb == nil {
		t.Fatalf("ELB %s is gone", id)
	}
	var eip *ensemulator.EIP
	for i := range inv.EIPs {
		if inv.EIPs[i].InstanceID == id {
			eip = &inv.EIPs[i]
		}
	}
	return *lb, eip
}

// unchanged holds while the ELB's listeners, backends and EIP are as before.
func unchanged(t *testing.T, id string, beforeLB ensemulator.LoadBalancer, beforeEIP *ensemulator.EIP) func() (bool, string) {
	return func() (bool, string) {
		lb, eip := lbState(t, id)
		if !reflect.DeepEqual(lb.Listeners, beforeLB.Listeners) || !reflect.DeepEqual(lb.Backends, beforeLB.Backends) ||
			!reflect.DeepEqual(eip, beforeEIP) {
			return false, fmt.Sprintf("ELB %s now %s, EIP %+v; was %s, EIP %+v", id, framework.DescribeLB(lb), eip,
				framework.DescribeLB(beforeLB), beforeEIP)
		}
		return true, ""
	}
}

// waitListenersRunning waits until the ELB has exactly want (as
// listenerSet renders them, with their backend ports), all Running, and one
// backend entry (port 0) per instance: the listeners' backend ports, the
// nodePorts, route. ports are those nodePorts, for the message.
func waitListenersRunning(t *testing.T, id string, want []string, instances []string, ports []int) {
	t.Helper()
	eventually(t, defaultTimeout, fmt.Sprintf("ELB %s has listeners %v and backends %v routed to %v", id, want, instances, ports), func() (bool, string) {
		lb, _ := lbState(t, id)
		running := !slices.ContainsFunc(lb.Listeners, func(l ensemulator.Listener) bool { return l.Status != "Running" })
		ok := slices.Equal(listenerSet(lb), sorted(want)) && running &&
			slices.Equal(backendIDs(lb), sorted(instances)) && slices.Equal(backendPorts(lb), []int{0}) &&
			len(lb.Backends) == len(instances)
		return ok, framework.DescribeLB(lb)
	})
}

// TestIntranetAddressType: an intranet Service gets an ELB per pool and no
// EIP; its ingress is the ELBs' private addresses; delete releases them.
func TestIntranetAddressType(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "intranet")
	createService(t, ns, "intra", "k8s-svc=cube", func(svc *corev1.Service) {
		svc.Annotations[apis.AnnotationAddressType] = "intranet"
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	})
	waitPoolServices(t, ns, "intra-np-chengdu", "intra-np-hefei")
	waitELBs(t, ns, "intra", poolInstances, managedLBFor(ns, "intra"))
	var addrs []string
	inv := inventory(t)
	for _, pool := range pools {
		lb, why := managedELB(inv, resourceName("intra", ns, pool))
		if lb == nil {
			t.Fatal(why)
		}
		if c := poolCloud[pool]; lb.Status != "Active" || lb.RegionID != c.region || !strings.HasPrefix(lb.Address, "10.") {
			t.Errorf("ELB %s: status %s region %s address %q, want Active in %s with a private address", lb.Name, lb.Status, lb.RegionID, lb.Address, c.region)
		}
		addrs = append(addrs, lb.Address)
	}
	waitIngress(t, ns, "intra", addrs, defaultTimeout)
	if eips := framework.EIPsNamed(inventory(t), servicePrefix("intra", ns)); len(eips) != 0 {
		t.Errorf("intranet Service got EIPs: %+v", eips)
	}
	checkPoolServicesReady(t, ns, "intra")

	deleteService(t, ns, "intra")
	waitServiceGone(t, ns, "intra")
	waitNoCloudResources(t, servicePrefix("intra", ns))
}

// checkPoolServicesReady checks that every PoolService of a Service in ns
// is Ready and carries its ELB id.
func checkPoolServicesReady(t *testing.T, ns, svc string) {
	t.Helper()
	ids := map[string]string{}
	inv := inventory(t)
	for _, pool := range pools {
		if lb, _ := managedELB(inv, resourceName(svc, ns, pool)); lb != nil {
			ids[pool] = lb.ID
		}
	}
	checkPoolServices(t, ns, svc, ids)
}

// TestSharedUserELB: two Cluster-policy Services share one user ELB on
// different ports; both are served and both show the ELB's EIP. Deleting
// one leaves everything in place; a Local-policy Service naming the same
// ELB is refused (Warning, False condition) and changes nothing.
func TestSharedUserELB(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "shared")
	c := ensClient(t)
	u := createUserELB(t, c, ns)
	sel := selectHefei(t, ns)
	cluster := corev1.ServiceExternalTrafficPolicyCluster
	userService(t, ns, "web-a", sel, 80, cluster)
	userService(t, ns, "web-b", sel, 81, cluster)
	waitPoolServices(t, ns, "web-a-np-hefei", "web-b-np-hefei")
	nameELB(t, ns, "web-a-np-hefei", u.id)
	nameELB(t, ns, "web-b-np-hefei", u.id)

	a, b := getService(t, ns, "web-a"), getService(t, ns, "web-b")
	want := append(wantListeners(a), wantListeners(b)...)
	ports := append(nodePorts(a), nodePorts(b)...)
	slices.Sort(ports)
	waitListenersRunning(t, u.id, want, poolInstances["np-hefei"], ports)
	waitIngress(t, ns, "web-a", []string{u.eipAddress}, defaultTimeout)
	waitIngress(t, ns, "web-b", []string{u.eipAddress}, defaultTimeout)
	checkOwnedListeners(t, u.id, map[int]string{80: resourceName("web-a", ns, "np-hefei"), 81: resourceName("web-b", ns, "np-hefei")})

	// Deleting web-a: by contract nothing on a user ELB is removed, so
	// web-b keeps its listener, backends and address, and the ELB is as it was.
	beforeLB, beforeEIP := lbState(t, u.id)
	deleteService(t, ns, "web-a")
	waitServiceGone(t, ns, "web-a")
	consistently(t, 2*time.Second, "the shared ELB is unchanged after deleting web-a", unchanged(t, u.id, beforeLB, beforeEIP))
	if ips := ingressIPs(getService(t, ns, "web-b")); !slices.Equal(ips, []string{u.eipAddress}) {
		t.Errorf("web-b ingress after deleting web-a: %v, want [%s]", ips, u.eipAddress)
	}

	// A Local Service naming the same ELB is refused and changes nothing.
	userService(t, ns, "web-c", sel, 82, corev1.ServiceExternalTrafficPolicyLocal)
	waitPoolServices(t, ns, "web-b-np-hefei", "web-c-np-hefei")
	nameELB(t, ns, "web-c-np-hefei", u.id)
	waitEventOn(t, ns, "web-c-np-hefei", apis.EventSyncLoadBalancerFailed, "externalTrafficPolicy Cluster")
	waitSyncedFalse(t, ns, "web-c-np-hefei", apis.EventSyncLoadBalancerFailed)
	consistently(t, 2*time.Second, "the shared ELB is unchanged by the Local Service", unchanged(t, u.id, beforeLB, beforeEIP))
	if ips := ingressIPs(getService(t, ns, "web-c")); len(ips) != 0 {
		t.Errorf("refused web-c has ingress %v", ips)
	}

	deleteService(t, ns, "web-c")
	deleteService(t, ns, "web-b")
	waitServiceGone(t, ns, "web-c")
	waitServiceGone(t, ns, "web-b")
	if lb, eip := lbState(t, u.id); eip == nil || eip.ID != u.eipID || eip.Status != "InUse" || lb.Status != "Active" {
		t.Errorf("user ELB or EIP changed by the deletes: %s, EIP %+v", framework.DescribeLB(lb), eip)
	}
}

// checkOwnedListeners checks each listener port's Description (its owner).
func checkOwnedListeners(t *testing.T, id string, owners map[int]string) {
	t.Helper()
	lb, _ := lbState(t, id)
	for _, l := range lb.Listeners {
		if owners[l.Port] != l.Description {
			t.Errorf("listener %d of %s has Description %q, want %q", l.Port, id, l.Description, owners[l.Port])
		}
	}
}

// TestListenerConflictAndForceOverride: a port taken by hand on a user ELB
// is a ListenerConflict that changes nothing; with the force-override
// annotation the controller replaces the listener with its own.
func TestListenerConflictAndForceOverride(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, "conflict")
	c := ensClient(t)
	u := createUserELB(t, c, ns)
	handMade := cloud.Listener{Port: 80, Protocol: "TCP", BackendPort: 30999, Description: "made by hand", Scheduler: "wrr"}
	if err := c.CreateListener(context.Background(), u.id, handMade); err != nil {
		t.Fatalf("creating the hand-made listener: %v", err)
	}
	sel := selectHefei(t, ns)
	userService(t, ns, "web", sel, 80, corev1.ServiceExternalTrafficPolicyCluster)
	waitPoolServices(t, ns, "web-np-hefei")
	beforeLB, beforeEIP := lbState(t, u.id)
	if got := listenerSet(beforeLB); !slices.Equal(got, []string{"TCP:80->30999"}) {
		t.Fatalf("hand-made listeners %v", got)
	}
	nameELB(t, ns, "web-np-hefei", u.id)
	waitEventOn(t, ns, "web-np-hefei", apis.EventListenerConflict, "made by hand")
	waitSyncedFalse(t, ns, "web-np-hefei", apis.EventListenerConflict)
	consistently(t, 2*time.Second, "the user ELB is unchanged by the conflict", unchanged(t, u.id, beforeLB, beforeEIP))

	updateService(t, ns, "web", func(svc *corev1.Service) { svc.Annotations[apis.AnnotationForceOverrideListeners] = "true" })
	svc := getService(t, ns, "web")
	waitListenersRunning(t, u.id, wantListeners(svc), poolInstances["np-hefei"], nodePorts(svc))
	checkOwnedListeners(t, u.id, map[int]string{80: resourceName("web", ns, "np-hefei")})
	waitIngress(t, ns, "web", []string{u.eipAddress}, defaultTimeout)
	checkPoolServices(t, ns, "web", map[string]string{"np-hefei": u.id})

	deleteService(t, ns, "web")
	waitServiceGone(t, ns, "web")
	if lb, eip := lbState(t, u.id); eip == nil || eip.ID != u.eipID || lb.Status != "Active" {
		t.Errorf("user ELB or EIP changed by the delete: %s, EIP %+v", framework.DescribeLB(lb), eip)
	}
}
