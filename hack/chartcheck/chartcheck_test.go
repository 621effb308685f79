package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
)

func rule(groups, resources, verbs []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs}
}

func TestDiffRules(t *testing.T) {
	want := []rbacv1.PolicyRule{
		rule([]string{""}, []string{"services"}, []string{"list", "watch", "patch"}),
		rule([]string{"coordination.k8s.io"}, []string{"leases"}, []string{"get"}),
	}
	tests := []struct {
		name string
		got  []rbacv1.PolicyRule
		diff string // substring; "" means equal
	}{
		{"same rules", want, ""},
		{"split, reordered and repeated", []rbacv1.PolicyRule{
			rule([]string{"coordination.k8s.io"}, []string{"leases"}, []string{"get"}),
			rule([]string{""}, []string{"services"}, []string{"patch"}),
			rule([]string{""}, []string{"services"}, []string{"watch", "list", "watch"}),
		}, ""},
		{"a verb missing", []rbacv1.PolicyRule{
			rule([]string{""}, []string{"services"}, []string{"list", "watch"}),
			rule([]string{"coordination.k8s.io"}, []string{"leases"}, []string{"get"}),
		}, "missing [|services||patch], extra []"},
		{"a resource too many", append(slices.Clone(want), rule([]string{""}, []string{"secrets"}, []string{"get"})),
			"missing [], extra [|secrets||get]"},
		{"the same resource in another group", []rbacv1.PolicyRule{
			rule([]string{"apps"}, []string{"services"}, []string{"list", "watch", "patch"}),
			rule([]string{"coordination.k8s.io"}, []string{"leases"}, []string{"get"}),
		}, "extra [apps|services||list"},
		{"narrowed to resource names", []rbacv1.PolicyRule{
			rule([]string{""}, []string{"services"}, []string{"list", "watch", "patch"}),
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{"x"}, Verbs: []string{"get"}},
		}, "missing [coordination.k8s.io|leases||get], extra [coordination.k8s.io|leases|x|get]"},
		{"a non-resource URL", append(slices.Clone(want), rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}),
			"extra [url:/metrics|get]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diffRules(tt.got, want)
			if tt.diff == "" && d != "" || tt.diff != "" && !strings.Contains(d, tt.diff) {
				t.Errorf("diffRules = %q, want %q", d, tt.diff)
			}
		})
	}
}

func TestDiffCRDs(t *testing.T) {
	write := func(dir string, files map[string]string) string {
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	manifests := write(t.TempDir(), map[string]string{"a.yaml": "kind: A\n", "b.yaml": "kind: B\n", "kustomization.yaml": "resources: []\n"})
	tests := []struct {
		name  string
		chart map[string]string
		want  []string // substrings, one per problem
	}{
		{"equal", map[string]string{"a.yaml": "kind: A\n", "b.yaml": "kind: B\n"}, nil},
		{"one byte differs", map[string]string{"a.yaml": "kind: A\n", "b.yaml": "kind: B \n"}, []string{"b.yaml differs"}},
		{"one missing, one extra", map[string]string{"a.yaml": "kind: A\n", "c.yaml": "kind: C\n"},
			[]string{"b.yaml is missing", "c.yaml is in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := diffCRDs(manifests, write(t.TempDir(), tt.chart))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d: %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("problem %q, want %q", got[i], tt.want[i])
				}
			}
		})
	}
	if _, err := diffCRDs(t.TempDir(), manifests); err == nil {
		t.Error("an empty manifests/crds passed")
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // kind/name
		wantErr string
	}{
		{"helm template output", "---\n# Source: x/templates/a.yaml\n# only a comment\n---\n# Source: x/templates/b.yaml\n" +
			"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: ns}\n---\n" +
			"apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: sm}\nspec: {endpoints: [{port: metrics}]}\n",
			[]string{"ServiceAccount ns/sa", "ServiceMonitor/sm"}, ""},
		{"an unknown field", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {prots: []}\n", nil, `unknown field "prots"`},
		{"an unexpected kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", nil, `unexpected kind "Pod"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decode([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("objects %v, want %v", got, tt.want)
			}
			if sm := ofKind[map[string]any](objs, "ServiceMonitor"); len(sm) != 1 || mapOf(mapAt(sm[0], "spec")["endpoints"].([]any)[0])["port"] != "metrics" {
				t.Errorf("ServiceMonitor decoded as %v", sm)
			}
		})
	}
}

func TestParseManagerArgs(t *testing.T) {
	o, err := parseManagerArgs([]string{"--cluster-id=c1", "--elb-workers=7", "--resync-period=1m"}, "pod-ns")
	if err != nil {
		t.Fatal(err)
	}
	if o.ClusterID != "c1" || o.ELBWorkers != 7 || o.ResyncPeriod != time.Minute || o.LeaderElection.ResourceNamespace != "pod-ns" {
		t.Errorf("options %+v", o)
	}
	for _, args := range [][]string{{"--no-such-flag=1"}, {"--cluster-id=c1", "stray"}, {"--elb-workers=many"}} {
		if _, err := parseManagerArgs(args, "ns"); err == nil {
			t.Errorf("args %q accepted", args)
		}
	}
}

// TestReference loads the Kustomize install the chart is compared with.
func TestReference(t *testing.T) {
	ref, err := loadReference("../../manifests", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ref.crdNames, []string{"nodepools.apps.openyurt.io", "poolservices.network.openyurt.io"}) {
		t.Errorf("CRDs %v", ref.crdNames)
	}
	if len(ref.rbac.ClusterRole.Rules) == 0 || len(ref.rbac.Role.Rules) == 0 || ref.deployOpts.ClusterID != "$(CLUSTER_ID)" ||
		ref.image != "edge-controller-manager:latest" {
		t.Errorf("reference %+v", ref)
	}
}
