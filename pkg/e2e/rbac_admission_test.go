//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned"
)

// managerClusterRole is the ClusterRole of manifests/rbac.
const managerClusterRole = "edge-controller-manager"

// What OwnerReferencesPermissionEnforcement answers (403) to a write it
// refuses: a blocking reference to an owner whose finalizers the user may
// not update, or any owner reference change on an object the user may not
// delete.
const (
	finalizersRefusal = "cannot set blockOwnerDeletion"
	ownerRefRefusal   = "cannot set an ownerRef"
)

// proveFinalizersGrant shows that the manager needs update on
// services/finalizers, a grant no request names: the
// OwnerReferencesPermissionEnforcement admission plugin checks it when a
// PoolService's owner reference to its Service sets blockOwnerDeletion.
// made is a PoolService the manager created. Its copy is created (dry run,
// so no controller ever sees it) as two other ServiceAccounts of ns:
//   - "full", bound to the manager's ClusterRole: allowed;
//   - "no-finalizers", bound to a Role with the same rules minus that grant:
//     refused by the plugin naming blockOwnerDeletion, and allowed once the
//     reference stops blocking deletion.
//
// So that grant, and only it, is what the manager's own create needs. It
// returns how the grant was shown needed, for the RBAC report.
func proveFinalizersGrant(t *testing.T, ns string, made *networkv1alpha1.PoolService) string {
	t.Helper()
	ctx := context.Background()
	svcRef := slices.IndexFunc(made.OwnerReferences, func(r metav1.OwnerReference) bool {
		return r.APIVersion == "v1" && r.Kind == "Service"
	})
	if svcRef < 0 || !ptr.Deref(made.OwnerReferences[svcRef].BlockOwnerDeletion, false) {
		t.Fatalf("PoolService %s/%s has no Service owner reference with blockOwnerDeletion (owners %+v): "+
			"%s may be unused", ns, made.Name, made.OwnerReferences, finalizersGrant)
	}

	cr, err := s.kube.RbacV1().ClusterRoles().Get(ctx, managerClusterRole, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var minus []rbacv1.PolicyRule
	dropped := 0
	for _, r := range cr.Rules { // one rule per (group, resource, verb), then drop one
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					if g == "" && res == "services/finalizers" && v == "update" {
						dropped++
						continue
					}
					minus = append(minus, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: []string{v}})
				}
			}
		}
	}
	if dropped != 1 {
		t.Fatalf("ClusterRole %s grants %q %d times, want once: %+v", managerClusterRole, finalizersGrant, dropped, cr.Rules)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "manager-minus-finalizers"}, Rules: minus}
	if _, err := s.kube.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bind := func(sa, kind, name string) {
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: sa},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: ns}},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}}
		if _, err := s.kube.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	bind("full", "ClusterRole", managerClusterRole)
	bind("no-finalizers", "Role", role.Name)
	full, minusClient := impersonating(t, framework.ServiceAccountUser(ns, "full")),
		impersonating(t, framework.ServiceAccountUser(ns, "no-finalizers"))

	probe := &networkv1alpha1.PoolService{
		ObjectMeta: metav1.ObjectMeta{Name: made.Name + "-probe", Namespace: ns, Labels: made.Labels,
			OwnerReferences: made.OwnerReferences},
		Spec: made.Spec,
	}
	unblocked := probe.DeepCopy()
	unblocked.OwnerReferences[svcRef].BlockOwnerDeletion = nil
	create := func(c versioned.Interface, ps *networkv1alpha1.PoolService) error {
		_, err := c.NetworkV1alpha1().PoolServices(ns).Create(ctx, ps, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
	// The bindings reach the authorizer's cache within a moment.
	eventually(t, 30*time.Second, "the manager's ClusterRole may create the manager's PoolService", func() (bool, string) {
		err := create(full, probe)
		return err == nil, fmt.Sprint(err)
	})
	eventually(t, 30*time.Second, "the Role without the grant may create it without blockOwnerDeletion", func() (bool, string) {
		err := create(minusClient, unblocked)
		return err == nil, fmt.Sprint(err)
	})
	err = create(minusClient, probe)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), finalizersRefusal) {
		t.Fatalf("the Role without %q created the manager's PoolService (blockOwnerDeletion on its Service): "+
			"err %v, want Forbidden by OwnerReferencesPermissionEnforcement", finalizersGrant, err)
	}
	t.Logf("without %q: %v", finalizersGrant, err)
	return "the manager's PoolService (Service reference with blockOwnerDeletion) is refused without it: " + err.Error()
}

// impersonating is an OpenYurt client acting as user (the admin may
// impersonate anyone).
func impersonating(t *testing.T, user string) versioned.Interface {
	t.Helper()
	cfg, err := s.cluster.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	c, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
