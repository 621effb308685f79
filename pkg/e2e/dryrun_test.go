//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// The --dry-run manager acts as a ServiceAccount and an AccessKey of its
// own, bound to the same roles and accepted by the same account as the
// suite's: the audit log and the emulator's per-key counters then show
// exactly what it did, apart from the real manager next to it.
const (
	dryRunSA              = "edge-controller-manager-dry-run"
	dryRunAccessKeyID     = "dry-run-ak"
	dryRunAccessKeySecret = "dry-run-secret"
)

// TestDryRun runs a --dry-run manager (with the suite's leader election
// flags) beside the walkthrough's running manager, and then alone while a
// Service is edited and another created: it reports every change it would
// make (DryRun Events, the planned-changes metric) and makes none: no
// mutating ENS call with its key, no PoolService, finalizer, status or
// ownership record, no Lease and no API write but Events. A real manager
// started afterwards makes exactly the changes it reported.
func TestDryRun(t *testing.T) {
	ctx := context.Background()
	waitTestNamespacesGone(t)
	ns := newNamespace(t, "dryrun")
	t.Cleanup(func() { ensureOneReplica(t) }) // before the namespace goes: its Services need a manager
	createCube(t, ns, nil)
	createService(t, ns, "cube-svc", "k8s-svc=cube", nil)
	ips := waitIngressCount(t, ns, "cube-svc", 2, defaultTimeout)
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))
	leader, err := s.waitLeader(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	leaderID := identity(t, leader)
	before := waitSettled(t)
	lbIDs := map[string]string{}
	for _, pool := range pools {
		lb, why := managedELB(before, resourceName("cube-svc", ns, pool))
		if lb == nil {
			t.Fatal(why)
		}
		lbIDs[pool] = lb.ID
	}
	records := recordNames(ownershipRecords(t))

	dry := startDryRunManager(t)
	dryID := identity(t, dry)
	dryCalls := func() ensemulator.AccessKeyCalls { return calls(t).ByAccessKey[dryRunAccessKeyID] }

	// Beside the running manager: the walkthrough is served, so once the dry
	// run has synced both PoolServices it has nothing to report, and the
	// Lease stays with the leader.
	eventually(t, defaultTimeout, "the dry run has synced both PoolServices and the Service", func() (bool, string) {
		elb := metric(t, dry, "edge_controller_manager_syncs_total", map[string]string{"controller": apis.ControllerELB})
		set := metric(t, dry, "edge_controller_manager_syncs_total", map[string]string{"controller": apis.ControllerPoolServiceSet})
		return elb >= 2 && set >= 1, fmt.Sprintf("elb syncs %v, poolservice-set syncs %v", elb, set)
	})
	consistently(t, 3*time.Second, "the leader keeps its Lease", func() (bool, string) {
		holders := leaseHolders(t)
		held := slices.Contains(slicesOf(holders), leaderID) && !slices.Contains(slicesOf(holders), dryID)
		return held, fmt.Sprintf("Lease holders %v; leader %s, dry run %s", holders, leaderID, dryID)
	})
	if evs := eventsWith(t, ns, apis.EventDryRun); len(evs) > 0 {
		// Not fatal: the rest still shows what the dry run does about changes.
		raw, _ := json.Marshal(getService(t, ns, "cube-svc").Status.LoadBalancer.Ingress)
		t.Errorf("the dry run plans changes to a served Service (its status ingress is %s): %v", raw, evs)
	}
	if ok, err := leader.IsLeader(); !ok || err != nil {
		t.Errorf("%s no longer leads beside the dry run (%v)", leader.Name, err)
	}

	// Alone: edits and a new Service are planned and reported, not made.
	stopReplicas(t)
	base := quietCalls(t)
	updateService(t, ns, "cube-svc", func(svc *corev1.Service) {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP,
			TargetPort: intstr.FromInt32(53)})
	})
	udp := fmt.Sprintf("UDP:53->%d", nodePortOf(getService(t, ns, "cube-svc"), 53))
	createService(t, ns, "new-svc", "k8s-svc=cube", func(svc *corev1.Service) {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	})
	want := []eventWant{
		normalOn("Service/new-svc", "dry run, would create PoolService new-svc-np-hefei for NodePool np-hefei"),
		normalOn("Service/new-svc", "dry run, would create PoolService new-svc-np-chengdu for NodePool np-chengdu"),
		normalOn("Service/new-svc", "dry run, would add finalizer "+apis.FinalizerPoolServices),
	}
	for _, pool := range pools {
		want = append(want, normalOn("PoolService/cube-svc-"+pool, "dry run, would CreateListener "+udp, lbIDs[pool]))
	}
	waitEvents(t, ns, apis.EventDryRun, want...)
	consistently(t, 3*time.Second, "nothing planned is made", func() (bool, string) {
		return nothingChanged(t, ns, before, base, records, dryID)
	})
	if c := dryCalls(); c.MutatingCalls != 0 || sumCalls(c.Calls) == 0 {
		t.Errorf("dry-run AccessKey calls %v (%d mutating): want reads and no mutating call", c.Calls, c.MutatingCalls)
	}
	for _, m := range []struct {
		controller, action string
		min                float64
	}{
		{apis.ControllerELB, "CreateListener", 2},
		{apis.ControllerPoolServiceSet, "CreatePoolService", 2},
		{apis.ControllerPoolServiceSet, "AddFinalizer", 1},
	} {
		n := metric(t, dry, "edge_controller_manager_dry_run_planned_total", map[string]string{"controller": m.controller, "action": m.action})
		if n < m.min {
			t.Errorf("edge_controller_manager_dry_run_planned_total{controller=%q,action=%q} = %v, want at least %v", m.controller, m.action, n, m.min)
		}
	}
	// Stopped first, so that its way out is audited too.
	if err := dry.Stop(10 * time.Second); err != nil {
		t.Errorf("stopping %s: %v", dry.Name, err)
	}
	checkOnlyReadsAndEvents(t, framework.ServiceAccountUser(managerNS, dryRunSA))

	// A real manager makes what the dry run reported, and the same ingress.
	ensureOneReplica(t)
	waitPoolServices(t, ns, "cube-svc-np-chengdu", "cube-svc-np-hefei", "new-svc-np-chengdu", "new-svc-np-hefei")
	waitIngressCount(t, ns, "new-svc", 2, defaultTimeout)
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))
	inv := inventory(t)
	for _, pool := range pools {
		lb, _ := managedELB(inv, resourceName("cube-svc", ns, pool))
		if lb == nil || lb.ID != lbIDs[pool] || !slices.Contains(listenerSet(*lb), udp) {
			t.Errorf("after the dry run, %s's ELB is %+v: want %s with the reported listener %s", pool, lb, lbIDs[pool], udp)
		}
	}
	if got := ingressIPs(getService(t, ns, "cube-svc")); !slices.Equal(sorted(got), sorted(ips)) {
		t.Errorf("cube-svc ingress %v, want it unchanged %v", got, ips)
	}
}

// nothingChanged is the dry run's promise while it runs alone: the cloud
// as it was (no mutating call, the ELBs' listeners and the EIPs unchanged),
// no PoolService for new-svc, no finalizer or status on it, the same
// ownership records, and no Lease held by the dry run.
func nothingChanged(t *testing.T, ns string, before ensemulator.Inventory, base ensemulator.CallStats, records []string, dryID string) (bool, string) {
	now := calls(t)
	if now.MutatingCalls != base.MutatingCalls {
		return false, "mutating calls: " + callsDiff(base, now)
	}
	inv := inventory(t)
	var bad []string
	for _, lb := range framework.LoadBalancersNamed(inv, servicePrefix("cube-svc", ns)) {
		was := framework.FindLoadBalancer(before, lb.ID)
		if was == nil || !slices.Equal(listenerSet(lb), listenerSet(*was)) || !slices.Equal(backendIDs(lb), backendIDs(*was)) {
			bad = append(bad, "ELB changed: "+framework.DescribeLB(lb))
		}
	}
	if n, was := len(inv.LoadBalancers)+len(inv.EIPs), len(before.LoadBalancers)+len(before.EIPs); n != was {
		bad = append(bad, fmt.Sprintf("%d ELBs+EIPs, had %d", n, was))
	}
	if pss := poolServiceNames(t, ns); slices.ContainsFunc(pss, func(n string) bool { return strings.HasPrefix(n, "new-svc-") }) {
		bad = append(bad, fmt.Sprintf("PoolServices %v", pss))
	}
	if svc := getService(t, ns, "new-svc"); len(svc.Finalizers) > 0 || len(svc.Status.LoadBalancer.Ingress) > 0 {
		bad = append(bad, fmt.Sprintf("new-svc finalizers %v, ingress %v", svc.Finalizers, ingressIPs(svc)))
	}
	if got := recordNames(ownershipRecords(t)); !slices.Equal(got, records) {
		bad = append(bad, fmt.Sprintf("ownership records %v, had %v", got, records))
	}
	if holders := leaseHolders(t); slices.Contains(slicesOf(holders), dryID) {
		bad = append(bad, fmt.Sprintf("the dry run holds a Lease: %v", holders))
	}
	return len(bad) == 0, strings.Join(bad, "; ")
}

// checkOnlyReadsAndEvents fails t unless every API request user made (the
// audit log) read (get, list, watch) or wrote an Event.
func checkOnlyReadsAndEvents(t *testing.T, user string) {
	t.Helper()
	events, err := s.audit.Events()
	if err != nil {
		t.Fatalf("reading the audit log: %v", err)
	}
	n := 0
	var writes []string
	for _, e := range events {
		if e.User.Username != user {
			continue
		}
		n++
		switch {
		case e.Verb == "get" || e.Verb == "list" || e.Verb == "watch":
		case e.ObjectRef != nil && e.ObjectRef.Resource == "events" && (e.Verb == "create" || e.Verb == "patch" || e.Verb == "update"):
		default:
			writes = append(writes, e.String())
		}
	}
	if n == 0 {
		t.Errorf("no audit event of %s", user)
	}
	if len(writes) > 0 {
		t.Errorf("%d API writes of %s other than Events, e.g.:\n%s", len(writes), user, strings.Join(writes[:min(len(writes), 20)], "\n"))
	}
	t.Logf("%d audited requests of %s, none a write but Events", n, user)
}

// startDryRunManager starts a manager with --dry-run as dryRunSA (bound
// to the manager's ClusterRole and Role) with the dry-run AccessKey.
func startDryRunManager(t *testing.T) *framework.Manager {
	t.Helper()
	ctx := context.Background()
	cfg := s.mgrCfg
	cfg.Kubeconfig = filepath.Join(s.dir, "dry-run.kubeconfig")
	cfg.CloudConfig = filepath.Join(s.dir, "dry-run-cloud-config.yaml")
	if err := s.cluster.SAKubeconfig(ctx, s.log("local-cluster"), managerNS, dryRunSA, cfg.Kubeconfig); err != nil {
		t.Fatal(err)
	}
	if err := framework.WriteCloudConfig(cfg.CloudConfig, s.emu.Endpoint(), dryRunAccessKeyID, dryRunAccessKeySecret, "cn-hefei-cmcc-2"); err != nil {
		t.Fatal(err)
	}
	bindDryRunSA(t)
	return startOwnManager(t, cfg, "edge-controller-manager-dry-run", "--dry-run")
}

// bindDryRunSA grants dryRunSA what the manager's ServiceAccount has, for
// the test's duration.
func bindDryRunSA(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: dryRunSA, Namespace: managerNS}}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: dryRunSA}, Subjects: subjects,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edge-controller-manager"}}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: dryRunSA, Namespace: managerNS}, Subjects: subjects,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "edge-controller-manager-leader-election"}}
	if _, err := s.kube.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := s.kube.RbacV1().RoleBindings(managerNS).Create(ctx, rb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.kube.RbacV1().ClusterRoleBindings().Delete(ctx, dryRunSA, metav1.DeleteOptions{})
		_ = s.kube.RbacV1().RoleBindings(managerNS).Delete(ctx, dryRunSA, metav1.DeleteOptions{})
	})
}

func nodePortOf(svc *corev1.Service, port int32) int32 {
	for _, p := range svc.Spec.Ports {
		if p.Port == port {
			return p.NodePort
		}
	}
	return 0
}

func sumCalls(calls map[string]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}

// slicesOf lists a map's values.
func slicesOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
