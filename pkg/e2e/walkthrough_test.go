//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// TestWalkthroughAutomaticELBs follows "Use an automatically created
// multi-region ELB Service": one ELB and EIP per pool, the EXTERNAL-IP
// column lists both EIPs, and deleting the Service releases everything.
func TestWalkthroughAutomaticELBs(t *testing.T) {
	ns := newNamespace(t, "auto")
	createCube(t, ns, nil)
	svc := createService(t, ns, "cube-svc", "k8s-svc=cube", nil)

	waitPoolServices(t, ns, "cube-svc-np-chengdu", "cube-svc-np-hefei")
	ips := waitIngressCount(t, ns, "cube-svc", 2, defaultTimeout)
	svc = getService(t, ns, "cube-svc")
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))

	// The ingress appears once the EIPs are bound; they are InUse, and the
	// listeners Running, once ENS has settled.
	var eipAddrs []string
	lbIDs := map[string]string{}
	eventually(t, defaultTimeout, "each pool's ELB Active in its location, its listeners Running, its one EIP InUse on it", func() (bool, string) {
		inv := inventory(t)
		eipAddrs, lbIDs = nil, map[string]string{}
		var bad []string
		for _, pool := range pools {
			name := resourceName("cube-svc", ns, pool)
			lb, why := managedELB(inv, name)
			if lb == nil {
				bad = append(bad, why)
				continue
			}
			lbIDs[pool] = lb.ID
			want := poolCloud[pool]
			if lb.RegionID != want.region || lb.NetworkID != want.network || lb.VSwitchID != want.vswitch || lb.Status != "Active" {
				bad = append(bad, fmt.Sprintf("ELB %s: region/network/vswitch/status %s/%s/%s/%s, want %s/%s/%s/Active",
					name, lb.RegionID, lb.NetworkID, lb.VSwitchID, lb.Status, want.region, want.network, want.vswitch))
			}
			if slices.ContainsFunc(lb.Listeners, func(l ensemulator.Listener) bool { return l.Status != "Running" }) {
				bad = append(bad, "ELB "+framework.DescribeLB(*lb)+": listeners not all Running")
			}
			eips := eipsNamed(inv, name)
			if len(eips) != 1 {
				bad = append(bad, fmt.Sprintf("%d EIPs named %s, want 1", len(eips), name))
				continue
			}
			if e := eips[0]; e.RegionID != want.region || e.Status != "InUse" || e.InstanceID != lb.ID {
				bad = append(bad, fmt.Sprintf("EIP %s: region %s status %s on %q, want %s InUse on %s", name, e.RegionID, e.Status, e.InstanceID, want.region, lb.ID))
			}
			eipAddrs = append(eipAddrs, eips[0].Address)
		}
		return len(bad) == 0, strings.Join(bad, "; ")
	})
	if !slices.Equal(sorted(ips), sorted(eipAddrs)) {
		t.Errorf("Service ingress %v, want the EIPs %v", ips, eipAddrs)
	}
	checkPoolServices(t, ns, "cube-svc", lbIDs)
	checkKubectlColumns(t, ns, ips, lbIDs)
	if !slices.Contains(svc.Finalizers, apis.FinalizerPoolServices) {
		t.Errorf("Service finalizers %v, want %s", svc.Finalizers, apis.FinalizerPoolServices)
	}

	deleteService(t, ns, "cube-svc")
	waitServiceGone(t, ns, "cube-svc")
	waitPoolServices(t, ns)
	waitNoCloudResources(t, servicePrefix("cube-svc", ns))
	checkUserELBsUntouched(t)
}

func eipsNamed(inv ensemulator.Inventory, name string) []ensemulator.EIP {
	var out []ensemulator.EIP
	for _, e := range inv.EIPs {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// checkPoolServices checks labels, owners, finalizer, status and the
// aggregated ELB id of every PoolService of the Service.
func checkPoolServices(t *testing.T, ns, svcName string, lbIDs map[string]string) {
	t.Helper()
	eventually(t, defaultTimeout, "PoolServices show their ELB id and Ready=True", func() (bool, string) {
		var bad []string
		for pool, id := range lbIDs {
			ps, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Get(context.Background(), svcName+"-"+pool, metav1.GetOptions{})
			if err != nil {
				bad = append(bad, err.Error())
				continue
			}
			if got := ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]; got != id {
				bad = append(bad, fmt.Sprintf("%s aggregateToAnnotations %v, want %s=%s", ps.Name, ps.Status.AggregateToAnnotations, apis.AnnotationLoadBalancerID, id))
			}
			if ready := findCondition(ps.Status.Conditions, apis.ConditionReady); ready != metav1.ConditionTrue {
				bad = append(bad, fmt.Sprintf("%s Ready=%q", ps.Name, ready))
			}
			if ps.Labels[apis.LabelServiceName] != svcName || ps.Labels[apis.LabelPoolName] != pool {
				bad = append(bad, fmt.Sprintf("%s labels %v", ps.Name, ps.Labels))
			}
			if !slices.Contains(ps.Finalizers, apis.FinalizerELBResources) {
				bad = append(bad, fmt.Sprintf("%s finalizers %v", ps.Name, ps.Finalizers))
			}
			if ps.Spec.LoadBalancerClass == nil || *ps.Spec.LoadBalancerClass != apis.LoadBalancerClassELB {
				bad = append(bad, fmt.Sprintf("%s class %v", ps.Name, ps.Spec.LoadBalancerClass))
			}
			kinds := map[string]bool{}
			for _, o := range ps.OwnerReferences {
				kinds[o.Kind+"/"+o.Name] = true
			}
			if !kinds["Service/"+svcName] || !kinds["NodePool/"+pool] {
				bad = append(bad, fmt.Sprintf("%s owners %v", ps.Name, kinds))
			}
		}
		return len(bad) == 0, strings.Join(bad, "; ")
	})
}

func findCondition(conds []metav1.Condition, typ string) metav1.ConditionStatus {
	for _, c := range conds {
		if c.Type == typ {
			return c.Status
		}
	}
	return ""
}

// checkKubectlColumns runs the built kubectl the way the walkthrough does.
func checkKubectlColumns(t *testing.T, ns string, ips []string, lbIDs map[string]string) {
	t.Helper()
	rows := table(kubectl(t, "get", "svc", "cube-svc", "-n", ns))
	if len(rows) != 1 || rows[0]["TYPE"] != "LoadBalancer" || rows[0]["EXTERNAL-IP"] != strings.Join(ips, ",") {
		t.Errorf("kubectl get svc cube-svc: rows %v, want TYPE LoadBalancer and EXTERNAL-IP %s", rows, strings.Join(ips, ","))
	}
	if len(ips) > 1 && !slices.IsSorted(ips) {
		t.Errorf("EXTERNAL-IP %v is not sorted", ips)
	}
	rows = table(kubectl(t, "get", "ps", "-n", ns))
	var names []string
	for _, r := range rows {
		names = append(names, r["NAME"])
		pool := r["NODEPOOL"]
		if r["SERVICE"] != "cube-svc" || r["LOADBALANCER ID"] != lbIDs[pool] || !slices.Contains(ips, r["EXTERNAL-IP"]) {
			t.Errorf("kubectl get ps row %v: want SERVICE cube-svc, LOADBALANCER ID %s, EXTERNAL-IP one of %v", r, lbIDs[pool], ips)
		}
	}
	if want := []string{"cube-svc-np-chengdu", "cube-svc-np-hefei"}; !slices.Equal(names, want) {
		t.Errorf("kubectl get ps names %v, want %v", names, want)
	}
}

var userELBs = map[string]struct{ lb, eip, pool string }{
	"np-hefei":   {"lb-hefei-existing", "eip-hefei-existing", "np-hefei"},
	"np-chengdu": {"lb-chengdu-existing", "eip-chengdu-existing", "np-chengdu"},
}

// checkUserELBsUntouched: the user's ELBs and EIPs still exist, Active
// and InUse on each other.
func checkUserELBsUntouched(t *testing.T) {
	t.Helper()
	inv := inventory(t)
	for _, u := range userELBs {
		lb := framework.FindLoadBalancer(inv, u.lb)
		eip := framework.FindEIP(inv, u.eip)
		if lb == nil || lb.Status != "Active" || eip == nil || eip.Status != "InUse" || eip.InstanceID != u.lb {
			t.Errorf("user ELB %s / EIP %s changed: %+v / %+v", u.lb, u.eip, lb, eip)
		}
	}
}

// TestWalkthroughExistingELBs follows "Use an existing multi-region ELB
// Service": nothing happens in the cloud until each PoolService names
// its ELB; then listeners and backends are managed on it and the Service
// shows the ELBs' EIPs; deleting the Service leaves all of it in place.
func TestWalkthroughExistingELBs(t *testing.T) {
	ns := newNamespace(t, "existing")
	createCube(t, ns, nil)
	createService(t, ns, "cube-svc", "k8s-svc=cube", func(svc *corev1.Service) {
		svc.Annotations[apis.AnnotationManagedByUser] = "true"
	})
	waitPoolServices(t, ns, "cube-svc-np-chengdu", "cube-svc-np-hefei")
	t.Cleanup(func() { cleanUserELBs(t) })
	before := inventory(t)
	consistently(t, 3*time.Second, "no cloud change before the PoolServices name their ELB", func() (bool, string) {
		inv := inventory(t)
		for _, u := range userELBs {
			if lb := framework.FindLoadBalancer(inv, u.lb); lb == nil || len(lb.Listeners) != len(framework.FindLoadBalancer(before, u.lb).Listeners) || len(lb.Backends) != 0 {
				return false, fmt.Sprintf("user ELB %s: %+v", u.lb, lb)
			}
		}
		if n := len(inv.LoadBalancers) + len(inv.EIPs); n != len(before.LoadBalancers)+len(before.EIPs) {
			return false, fmt.Sprintf("%d ELBs+EIPs, had %d", n, len(before.LoadBalancers)+len(before.EIPs))
		}
		ips := ingressIPs(getService(t, ns, "cube-svc"))
		return len(ips) == 0, fmt.Sprintf("Service ingress %v", ips)
	})

	var wantIPs []string
	for pool, u := range userELBs {
		body := mergePatch(t, map[string]any{"metadata": map[string]any{"annotations": map[string]string{apis.AnnotationLoadBalancerID: u.lb}}})
		if _, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Patch(context.Background(), "cube-svc-"+pool,
			types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
			t.Fatalf("annotating PoolService cube-svc-%s: %v", pool, err)
		}
		wantIPs = append(wantIPs, framework.FindEIP(before, u.eip).Address)
	}
	userLBFor := func(inv ensemulator.Inventory, pool string) (*ensemulator.LoadBalancer, string) {
		return framework.FindLoadBalancer(inv, userELBs[pool].lb), "user ELB missing"
	}
	waitELBs(t, ns, "cube-svc", poolInstances, userLBFor)
	ips := waitIngress(t, ns, "cube-svc", wantIPs, defaultTimeout)
	checkKubectlColumns(t, ns, ips, map[string]string{"np-hefei": "lb-hefei-existing", "np-chengdu": "lb-chengdu-existing"})
	if inv := inventory(t); len(inv.LoadBalancers) != len(before.LoadBalancers) || len(inv.EIPs) != len(before.EIPs) {
		t.Errorf("ELBs/EIPs created for a user-managed Service: %d/%d, had %d/%d",
			len(inv.LoadBalancers), len(inv.EIPs), len(before.LoadBalancers), len(before.EIPs))
	}
	svc := getService(t, ns, "cube-svc")

	deleteService(t, ns, "cube-svc")
	waitServiceGone(t, ns, "cube-svc")
	waitPoolServices(t, ns)
	checkUserELBsUntouched(t)
	inv := inventory(t)
	for pool, u := range userELBs {
		lb := framework.FindLoadBalancer(inv, u.lb)
		if got := listenerSet(*lb); !slices.Equal(got, wantListeners(svc)) {
			t.Errorf("user ELB %s listeners after delete %v, want them left in place %v", u.lb, got, wantListeners(svc))
		}
		if got := backendIDs(*lb); !slices.Equal(got, poolInstances[pool]) {
			t.Errorf("user ELB %s backends after delete %v, want them left in place %v", u.lb, got, poolInstances[pool])
		}
	}
}

// cleanUserELBs removes what the test left on the user's ELBs (by
// contract the controller does not), so that later runs start clean. As on
// real ENS, a listener is stopped before it is deleted, and the deleted
// ports are released before the next test may use them.
func cleanUserELBs(t *testing.T) {
	c := ensClient(t)
	ctx := context.Background()
	var ids []string
	for _, u := range userELBs {
		ids = append(ids, u.lb)
	}
	inv := waitSettled(t, ids...)
	for _, u := range userELBs {
		for _, l := range framework.FindLoadBalancer(inv, u.lb).Listeners {
			if l.Status == "Stopped" {
				continue
			}
			if err := c.StopListener(ctx, u.lb, l.Port, l.Protocol); err != nil {
				t.Errorf("stopping listener %d on %s: %v", l.Port, u.lb, err)
			}
		}
	}
	inv = waitSettled(t, ids...)
	for _, u := range userELBs {
		lb := framework.FindLoadBalancer(inv, u.lb)
		for _, l := range lb.Listeners {
			if err := c.DeleteListener(ctx, lb.ID, l.Port, l.Protocol); err != nil {
				t.Errorf("deleting listener %d on %s: %v", l.Port, lb.ID, err)
			}
		}
		var bs []cloud.Backend
		for _, b := range lb.Backends {
			bs = append(bs, cloud.Backend{ServerID: b.ServerID, Type: b.Type, IP: b.IP, Port: b.Port, Weight: b.Weight})
		}
		if len(bs) > 0 {
			if err := c.RemoveBackends(ctx, lb.ID, bs); err != nil {
				t.Errorf("removing backends of %s: %v", lb.ID, err)
			}
		}
	}
	inv = waitSettled(t, ids...)
	for _, u := range userELBs {
		if lb := framework.FindLoadBalancer(inv, u.lb); len(lb.Listeners)+len(lb.Backends) != 0 {
			t.Errorf("user ELB %s not clean after the cleanup: %s", u.lb, framework.DescribeLB(*lb))
		}
	}
}
