package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// grants flattens RBAC rules into the sorted set of single permissions they
// allow, "group|resource|resourceName|verb" (or "url|verb" for non-resource
// URLs): two rule lists are equal in meaning exactly when their grants are,
// however the rules are split, ordered or repeated.
func grants(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		names := r.ResourceNames
		if len(names) == 0 {
			names = []string{""}
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, n := range names {
					for _, v := range r.Verbs {
						out = append(out, strings.Join([]string{g, res, n, v}, "|"))
					}
				}
			}
		}
		for _, u := range r.NonResourceURLs {
			for _, v := range r.Verbs {
				out = append(out, "url:"+u+"|"+v)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// diffRules says how got's grants differ from want's; "" when equal.
func diffRules(got, want []rbacv1.PolicyRule) string {
	g, w := grants(got), grants(want)
	var missing, extra []string
	for _, x := range w {
		if _, found := slices.BinarySearch(g, x); !found {
			missing = append(missing, x)
		}
	}
	for _, x := range g {
		if _, found := slices.BinarySearch(w, x); !found {
			extra = append(extra, x)
		}
	}
	if len(missing)+len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("missing %v, extra %v", missing, extra)
}

// kustomizeRBAC is the ClusterRole and Role of manifests/rbac, the rules
// the chart must grant.
type kustomizeRBAC struct {
	ClusterRole *rbacv1.ClusterRole
	Role        *rbacv1.Role
}

func loadKustomizeRBAC(dir string) (kustomizeRBAC, error) {
	var k kustomizeRBAC
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return k, err
	}
	var crs []*rbacv1.ClusterRole
	var roles []*rbacv1.Role
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return k, err
		}
		objs, err := decode(data)
		if err != nil {
			return k, fmt.Errorf("%s: %w", f, err)
		}
		crs = append(crs, ofKind[*rbacv1.ClusterRole](objs, "ClusterRole")...)
		roles = append(roles, ofKind[*rbacv1.Role](objs, "Role")...)
	}
	if len(crs) != 1 || len(roles) != 1 {
		return k, fmt.Errorf("%s: want one ClusterRole and one Role, found %d and %d", dir, len(crs), len(roles))
	}
	return kustomizeRBAC{ClusterRole: crs[0], Role: roles[0]}, nil
}
