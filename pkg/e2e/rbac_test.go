//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

// unusedGrantAllowlist names the grants neither a request of the manager
// (the audit log) nor an admission probe (proveFinalizersGrant) shows used,
// each with the reason. Keep it empty: every grant must be shown used.
var unusedGrantAllowlist = map[string]string{}

// finalizersGrant is checked by the OwnerReferencesPermissionEnforcement
// admission plugin (enabled by hack/local-cluster/up.sh) inside a
// PoolService create, never requested, so no audit event names it.
const finalizersGrant = "update /services/finalizers"

// TestRBAC runs the manager's ServiceAccount (the suite's replicas, with the
// ClusterRole and Role of manifests/rbac) through every path of both
// controllers and then reads the kube-apiserver audit log of that account:
// no request may have been refused, and every granted (verb, resource) must
// have been used, so the manifests are exactly what the binary needs. The
// one grant only admission checks (update services/finalizers) is shown
// used by an admission probe instead.
func TestRBAC(t *testing.T) {
	if s.audit == nil {
		t.Fatal("the suite started the cluster without an audit log")
	}
	workloadDone := false
	proven := map[string]string{} // grant → how an admission probe showed it needed
	// Deferred: a missing grant usually fails the workload first, and the
	// refused requests say which one.
	defer func() { checkAudit(t, workloadDone, proven) }()
	listingReplica(t)
	exerciseEveryPath(t, proven)
	workloadDone = true
}

// checkAudit fails t on every refused request of the manager's
// ServiceAccount and, once the whole workload ran, on every grant that no
// request used and no admission probe showed needed (proven).
func checkAudit(t *testing.T, workloadDone bool, proven map[string]string) {
	user := framework.ServiceAccountUser(managerNS, managerSA)
	events, err := s.audit.Events()
	if err != nil {
		t.Errorf("reading the audit log: %v", err)
		return
	}
	used := map[string]int{}
	var refused []string
	n := 0
	for _, e := range events {
		if e.User.Username != user {
			continue
		}
		n++
		if e.Forbidden() || refusedOwnerReference(e) {
			refused = append(refused, e.String())
			continue
		}
		if e.ObjectRef != nil {
			used[grantKey(e.Verb, e.ObjectRef.APIGroup, e.Resource(), e.ObjectRef.Namespace)]++
		}
	}
	if n == 0 {
		t.Errorf("no audit event of %s in %s", user, s.audit.Path)
		return
	}
	t.Logf("%d audit events of %s; used: %v", n, user, sortedKeys(used))
	if len(refused) > 0 {
		t.Errorf("%d requests of %s refused (403), e.g.:\n%s", len(refused), user, strings.Join(refused[:min(len(refused), 20)], "\n"))
	}
	if !workloadDone {
		return // unused grants mean nothing when the workload stopped half way
	}

	granted := grantedTo(t, managerNS, managerSA)
	if len(granted) == 0 {
		t.Error("no RBAC rule grants anything to the manager's ServiceAccount")
		return
	}
	for g, how := range proven {
		t.Logf("%s: needed, as admission showed: %s", g, how)
	}
	var unused []string
	for _, g := range granted {
		if g.namespace != "" && used[g.key()] > 0 || g.namespace == "" && usedInAnyNamespace(used, g) {
			continue
		}
		if _, ok := proven[g.String()]; ok {
			continue
		}
		if _, ok := unusedGrantAllowlist[g.String()]; ok {
			continue
		}
		unused = append(unused, g.String())
	}
	if len(unused) > 0 {
		t.Errorf("granted but never used by the manager (drop them from manifests/rbac and manager.RequiredPermissions, "+
			"or justify them in unusedGrantAllowlist): %v", unused)
	}
	for g := range unusedGrantAllowlist {
		if !slices.ContainsFunc(granted, func(x grant) bool { return x.String() == g }) {
			t.Errorf("allowlisted grant %q is not granted any more: drop it from the allowlist", g)
		}
	}
	if _, ok := proven[finalizersGrant]; !ok {
		t.Errorf("the admission probe did not show %q needed", finalizersGrant)
	}
}

// refusedOwnerReference: OwnerReferencesPermissionEnforcement refused the
// request (403 after RBAC allowed it, so Forbidden does not count it).
func refusedOwnerReference(e framework.AuditEvent) bool {
	return e.Code() == 403 && e.ResponseStatus != nil &&
		(strings.Contains(e.ResponseStatus.Message, finalizersRefusal) || strings.Contains(e.ResponseStatus.Message, ownerRefRefusal))
}

// listingReplica starts a standby replica whose informers list and then
// watch, as they do against API servers without streaming lists (older
// clusters; client-go falls back to a list there). The suite's replicas
// stream their initial lists as a watch (sendInitialEvents), so without it
// no request would show the informers' list grant. A standby keeps warm
// caches, so its informers run although it does not lead.
func listingReplica(t *testing.T) {
	t.Helper()
	t.Setenv("KUBE_FEATURE_WatchListClient", "false") // inherited by the replica only while this test runs
	m, err := s.startReplica(context.Background())
	if err != nil {
		t.Fatalf("starting a listing replica: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Stop(10 * time.Second); err != nil {
			t.Errorf("stopping %s: %v", m.Name, err)
		}
		s.prune()
	})
}

// exerciseEveryPath is the workload: the walkthrough Service created,
// updated, its PoolService repaired, a pool relabelled out and back in, a
// user-managed Service adopting an existing ELB, and both deleted. Grants
// shown needed by admission go into proven.
func exerciseEveryPath(t *testing.T, proven map[string]string) {
	ctx := context.Background()
	ns := newNamespace(t, "rbac")

	// Walkthrough: one managed ELB and EIP per pool.
	createCube(t, ns, nil)
	extra := ns + "-x" // a pool of this test only, in Hefei
	createService(t, ns, "cube-svc", "k8s-svc in (cube,"+extra+")", nil)
	waitPoolServices(t, ns, "cube-svc-np-chengdu", "cube-svc-np-hefei")
	made, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Get(ctx, "cube-svc-np-hefei", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	proven[finalizersGrant] = proveFinalizersGrant(t, ns, made)
	waitIngressCount(t, ns, "cube-svc", 2, defaultTimeout)
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))

	// Update: listeners follow the ports, the EIP its bandwidth.
	updateService(t, ns, "cube-svc", func(svc *corev1.Service) {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP,
			TargetPort: intstr.FromInt32(53)})
		svc.Annotations[apis.AnnotationEIPBandwidth] = "20"
	})
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))
	eventually(t, defaultTimeout, "EIP bandwidth follows the annotation to 20", func() (bool, string) {
		var bw []int
		for _, e := range framework.EIPsNamed(inventory(t), servicePrefix("cube-svc", ns)) {
			bw = append(bw, e.Bandwidth)
		}
		return slices.Equal(bw, []int{20, 20}), fmt.Sprintf("bandwidths %v", bw)
	})

	// Repair: an edited label is set back.
	body := mergePatch(t, map[string]any{"metadata": map[string]any{"labels": map[string]string{apis.LabelPoolName: "np-chengdu"}}})
	if _, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Patch(ctx, "cube-svc-np-hefei", types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		t.Fatalf("editing the PoolService label: %v", err)
	}
	eventually(t, defaultTimeout, "the edited label repaired", func() (bool, string) {
		ps, err := s.yurt.NetworkV1alpha1().PoolServices(ns).Get(ctx, "cube-svc-np-hefei", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return ps.Labels[apis.LabelPoolName] == "np-hefei", fmt.Sprintf("labels %v", ps.Labels)
	})

	// Pool relabel: a pool that starts matching gets a PoolService and an
	// ELB, loses both when it stops, and gets them again when it matches
	// again (the same events again: the recorder counts repeats by patch).
	createPool(t, extra, "np-hefei", map[string]string{"k8s-svc": extra})
	waitPoolServices(t, ns, "cube-svc-"+extra, "cube-svc-np-chengdu", "cube-svc-np-hefei")
	waitManaged(t, ns, "cube-svc", extra, "np-chengdu", "np-hefei")
	for range 2 {
		patchPoolLabels(t, extra, map[string]*string{"k8s-svc": ptr.To("none")})
		waitPoolServices(t, ns, "cube-svc-np-chengdu", "cube-svc-np-hefei")
		waitManaged(t, ns, "cube-svc", "np-chengdu", "np-hefei")
		patchPoolLabels(t, extra, map[string]*string{"k8s-svc": ptr.To(extra)})
		waitPoolServices(t, ns, "cube-svc-"+extra, "cube-svc-np-chengdu", "cube-svc-np-hefei")
		waitManaged(t, ns, "cube-svc", extra, "np-chengdu", "np-hefei")
	}

	// User-managed: nothing until the PoolService names its ELB; then the
	// ELB's own EIP is the ingress.
	t.Cleanup(func() { cleanUserELBs(t) })
	createService(t, ns, "user-svc", "k8s-svc=cube", func(svc *corev1.Service) {
		svc.Annotations[apis.AnnotationManagedByUser] = "true"
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		svc.Spec.Ports[0].Port = 8081
	})
	waitPoolServices(t, ns, "cube-svc-"+extra, "cube-svc-np-chengdu", "cube-svc-np-hefei", "user-svc-np-chengdu", "user-svc-np-hefei")
	u := userELBs["np-hefei"]
	nameELB(t, ns, "user-svc-np-hefei", u.lb)
	waitIngress(t, ns, "user-svc", []string{framework.FindEIP(inventory(t), u.eip).Address}, defaultTimeout)

	// Delete: everything managed goes, the user's ELB stays.
	deleteService(t, ns, "cube-svc")
	deleteService(t, ns, "user-svc")
	waitServiceGone(t, ns, "cube-svc")
	waitServiceGone(t, ns, "user-svc")
	waitPoolServices(t, ns)
	waitNoCloudResources(t, servicePrefix("cube-svc", ns))
	checkUserELBsUntouched(t)
	if err := s.yurt.AppsV1beta2().NodePools().Delete(ctx, extra, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("deleting NodePool %s: %v", extra, err)
	}
}

// grant is one (verb, group, resource) an RBAC rule gives; namespace is
// set for a Role's rules.
type grant struct {
	verb, group, resource, namespace string
}

func (g grant) key() string { return grantKey(g.verb, g.group, g.resource, g.namespace) }

// String is "verb group/resource", with " in namespace" for a Role.
func (g grant) String() string {
	s := g.verb + " " + g.group + "/" + g.resource
	if g.namespace != "" {
		s += " in " + g.namespace
	}
	return s
}

func grantKey(verb, group, resource, namespace string) string {
	return verb + " " + group + "/" + resource + "@" + namespace
}

// usedInAnyNamespace: a ClusterRole grant is used by a request in any
// namespace (or none).
func usedInAnyNamespace(used map[string]int, g grant) bool {
	prefix := g.verb + " " + g.group + "/" + g.resource + "@"
	for k, n := range used {
		if n > 0 && strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// grantedTo reads from the API server every rule bound to the
// ServiceAccount itself (not to groups such as system:authenticated).
func grantedTo(t *testing.T, ns, sa string) []grant {
	t.Helper()
	ctx := context.Background()
	isSA := func(subjects []rbacv1.Subject) bool {
		return slices.ContainsFunc(subjects, func(s rbacv1.Subject) bool {
			return s.Kind == rbacv1.ServiceAccountKind && s.Name == sa && s.Namespace == ns
		})
	}
	var out []grant
	add := func(rules []rbacv1.PolicyRule, namespace string) {
		for _, r := range rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						out = append(out, grant{verb: v, group: g, resource: res, namespace: namespace})
					}
				}
			}
		}
	}
	crbs, err := s.kube.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range crbs.Items {
		if !isSA(b.Subjects) {
			continue
		}
		cr, err := s.kube.RbacV1().ClusterRoles().Get(ctx, b.RoleRef.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		add(cr.Rules, "")
	}
	rbs, err := s.kube.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rbs.Items {
		if !isSA(b.Subjects) {
			continue
		}
		var rules []rbacv1.PolicyRule
		if b.RoleRef.Kind == "ClusterRole" {
			cr, err := s.kube.RbacV1().ClusterRoles().Get(ctx, b.RoleRef.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rules = cr.Rules
		} else {
			r, err := s.kube.RbacV1().Roles(b.Namespace).Get(ctx, b.RoleRef.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rules = r.Rules
		}
		add(rules, b.Namespace)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return slices.Compact(out)
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
