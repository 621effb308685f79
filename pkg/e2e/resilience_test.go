//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// countNamed counts the ELBs and EIPs of a Service by name.
func countNamed(t *testing.T, svc, ns string) (map[string]int, map[string]int) {
	t.Helper()
	inv := inventory(t)
	lbs, eips := map[string]int{}, map[string]int{}
	for _, lb := range framework.LoadBalancersNamed(inv, servicePrefix(svc, ns)) {
		lbs[lb.Name]++
	}
	for _, e := range framework.EIPsNamed(inv, servicePrefix(svc, ns)) {
		eips[e.Name]++
	}
	return lbs, eips
}

// checkOneEach fails t unless every pool has exactly one ELB and one EIP.
func checkOneEach(t *testing.T, svc, ns string) {
	t.Helper()
	lbs, eips := countNamed(t, svc, ns)
	if len(lbs) != len(pools) || len(eips) != len(pools) {
		t.Errorf("ELBs %v, EIPs %v: want one of each per pool %v", lbs, eips, pools)
	}
	for _, pool := range pools {
		name := resourceName(svc, ns, pool)
		if lbs[name] != 1 || eips[name] != 1 {
			t.Errorf("%s: %d ELBs and %d EIPs, want exactly 1 each", name, lbs[name], eips[name])
		}
	}
}

// callCount is how often the emulator has served action since it started.
func callCount(t *testing.T, action string) int {
	t.Helper()
	calls, err := s.emu.Calls()
	if err != nil {
		t.Fatalf("reading emulator calls: %v", err)
	}
	return calls.Calls[action]
}

// ensureOneReplica leaves the suite with exactly one running replica.
func ensureOneReplica(t *testing.T) {
	s.prune()
	for len(s.managers) > 1 {
		_ = s.managers[len(s.managers)-1].Stop(10 * time.Second)
		s.prune()
	}
	if len(s.managers) == 0 {
		if _, err := s.startReplica(context.Background()); err != nil {
			t.Errorf("restarting a manager replica: %v", err)
		}
	}
}

// TestLeaderFailoverMidProvisioning runs two replicas, kills the leader
// with SIGKILL while it provisions slowly (EIP creation takes 3s in the
// emulator), and checks that the other takes the Lease and finishes
// without duplicating or leaking any ELB or EIP.
func TestLeaderFailoverMidProvisioning(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(func() {
		_ = s.emu.ClearFaults()
		ensureOneReplica(t)
	})
	if _, err := s.startReplica(ctx); err != nil {
		t.Fatal(err)
	}
	leader, err := s.waitLeader(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	slow := ensemulator.Fault{Latency: 3 * time.Second}
	if err := s.emu.SetFaults(map[string]ensemulator.Fault{"CreateEipInstance": slow, "AssociateEnsEipAddress": slow}); err != nil {
		t.Fatal(err)
	}
	base := callCount(t, "CreateEipInstance")
	ns := newNamespace(t, "failover")
	createService(t, ns, "web", "k8s-svc=cube", func(svc *corev1.Service) {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	})
	eventually(t, defaultTimeout, "the leader is creating EIPs", func() (bool, string) {
		n := callCount(t, "CreateEipInstance")
		return n > base, fmt.Sprintf("%d CreateEipInstance calls", n-base)
	})
	lbs, eips := countNamed(t, "web", ns)
	t.Logf("killing leader %s (pid %d) with ELBs %v and EIPs %v", leader.Name, leader.Pid(), lbs, eips)
	if err := leader.Kill(); err != nil {
		t.Fatal(err)
	}
	s.prune()
	next, err := s.waitLeader(ctx, 30*time.Second)
	if err != nil {
		t.Fatalf("no replica took over the Lease: %v", err)
	}
	t.Logf("%s took over", next.Name)
	waitIngressCount(t, ns, "web", 2, 90*time.Second)
	_ = s.emu.ClearFaults()
	// Let anything the killed leader had in flight land, then count.
	time.Sleep(4 * time.Second)
	waitELBs(t, ns, "web", poolInstances, managedLBFor(ns, "web"))
	checkOneEach(t, "web", ns)

	deleteService(t, ns, "web")
	waitServiceGone(t, ns, "web")
	waitNoCloudResources(t, servicePrefix("web", ns))
}

// TestRestartMidDeletion deletes a Service while releasing is slow, kills
// the manager and the emulator half way, restarts both (the emulator from
// its state file) and checks that the deletion completes.
func TestRestartMidDeletion(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(func() {
		if !s.emu.Alive() {
			if err := s.emu.Restart(ctx); err != nil {
				t.Errorf("restarting the emulator: %v", err)
			}
		}
		_ = s.emu.ClearFaults()
		ensureOneReplica(t)
	})
	ns := newNamespace(t, "restart")
	createService(t, ns, "web", "k8s-svc=cube", func(svc *corev1.Service) {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	})
	waitIngressCount(t, ns, "web", 2, defaultTimeout)
	checkOneEach(t, "web", ns)

	slow := ensemulator.Fault{Latency: 3 * time.Second}
	if err := s.emu.SetFaults(map[string]ensemulator.Fault{"ReleaseInstance": slow, "UnAssociateEnsEipAddress": slow,
		"DeleteLoadBalancerListener": slow}); err != nil {
		t.Fatal(err)
	}
	releasing := func() int {
		return callCount(t, "UnAssociateEnsEipAddress") + callCount(t, "ReleaseInstance") + callCount(t, "DeleteLoadBalancerListener")
	}
	base := releasing()
	deleteService(t, ns, "web")
	eventually(t, defaultTimeout, "the manager is releasing", func() (bool, string) {
		n := releasing()
		return n > base, fmt.Sprintf("%d release calls", n-base)
	})
	list, err := s.yurt.NetworkV1alpha1().PoolServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killing the manager and the emulator with %d PoolServices left", len(list.Items))
	for _, m := range s.managers {
		_ = m.Kill()
	}
	s.prune()
	if err := s.emu.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := s.emu.Restart(ctx); err != nil {
		t.Fatalf("restarting the emulator from its state file: %v", err)
	}
	if _, err := s.startReplica(ctx); err != nil {
		t.Fatal(err)
	}
	waitServiceGone(t, ns, "web")
	waitPoolServices(t, ns)
	waitNoCloudResources(t, servicePrefix("web", ns))
	checkUserELBsUntouched(t)
}
