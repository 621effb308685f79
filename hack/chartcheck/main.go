// Command chartcheck renders the Helm chart (manifests/charts) for a table of
// value sets with helm lint and helm template, and checks what comes out:
// the objects each set must produce, the container args as the manager's
// own flag parser reads them, the ClusterRole and Role equal in meaning to
// manifests/rbac, the chart's crds/ equal to manifests/crds, the defaults
// equal to the manager's and to manifests/deploy. Value sets that must be
// refused are checked for helm's error. hack/verify-chart.sh runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/edge-lb/edge-controller-manager/pkg/manager"
)

// reference is what the chart is compared with: the Kustomize install.
type reference struct {
	tmp      string
	rbac     kustomizeRBAC
	crdNames []string
	// deployment is manifests/deploy's Deployment and deployOpts its args
	// as the manager parses them; image is manifests/kustomization.yaml's.
	deployment *appsv1.Deployment
	deployOpts *manager.Options
	image      string
}

func main() {
	helmBin := flag.String("helm", "helm", "helm binary")
	chart := flag.String("chart", "manifests/charts/edge-controller-manager", "the chart's directory")
	manifests := flag.String("manifests", "manifests", "the Kustomize manifests to compare with")
	out := flag.String("out", "", "write each accepted case's rendered release (DIR/<case>.yaml) and helm value flags (DIR/<case>.args, one a line) and list them in DIR/index: case, release, its namespace, all namespaces, objects, the two files (tab-separated)")
	only := flag.String("run", "", "only the cases whose name contains this")
	flag.Parse()
	if err := run(helm{*helmBin}, *chart, *manifests, *out, *only); err != nil {
		fmt.Fprintln(os.Stderr, "chartcheck:", err)
		os.Exit(1)
	}
}

func run(h helm, chart, manifests, out, only string) error {
	tmp, err := os.MkdirTemp("", "chartcheck-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ref, err := loadReference(manifests, tmp)
	if err != nil {
		return err
	}
	failed := 0
	problems, err := diffCRDs(filepath.Join(manifests, "crds"), filepath.Join(chart, "crds"))
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Printf("FAIL crds: %s (hack/verify-chart.sh --update-crds copies them)\n", p)
		failed++
	}
	if len(problems) == 0 {
		fmt.Printf("ok   crds: %s equal to %s\n", filepath.Join(chart, "crds"), filepath.Join(manifests, "crds"))
	}
	var index []string
	for _, c := range cases() {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		if c.release == "" {
			c.release = "edge-controller-manager"
		}
		if c.namespace == "" {
			c.namespace = "edge-controller-manager"
		}
		t0 := time.Now()
		r, rendered, err := runCase(h, chart, ref, c, out)
		if err != nil {
			r.errs = append(r.errs, err.Error())
		}
		what := fmt.Sprintf("%d objects", len(r.objs))
		if c.wantErr != "" {
			what = fmt.Sprintf("refused with %q", c.wantErr)
		}
		if len(r.errs) > 0 {
			failed++
			fmt.Printf("FAIL %s (%s)\n", c.name, time.Since(t0).Round(time.Millisecond))
			for _, e := range r.errs {
				fmt.Printf("       %s\n", e)
			}
			continue
		}
		fmt.Printf("ok   %s: %s (%s)\n", c.name, what, time.Since(t0).Round(time.Millisecond))
		if out != "" && rendered != nil {
			file := filepath.Join(out, caseFile(c.name)+".yaml")
			if err := os.WriteFile(file, rendered, 0o644); err != nil {
				return err
			}
			vals, err := valueArgs(out, c)
			if err != nil {
				return err
			}
			args := filepath.Join(out, caseFile(c.name)+".args")
			if err := os.WriteFile(args, []byte(strings.Join(vals, "\n")+"\n"), 0o644); err != nil {
				return err
			}
			index = append(index, strings.Join([]string{caseFile(c.name), c.release, c.namespace, strings.Join(namespaces(r.objs), ","),
				strconv.Itoa(len(r.objs)), file, args}, "\t"))
		}
	}
	if out != "" {
		if err := os.WriteFile(filepath.Join(out, "index"), []byte(strings.Join(index, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	return nil
}

// runCase lints and renders one value set and checks the result; a case
// that must be refused only needs helm template to fail with its message.
func runCase(h helm, chart string, ref *reference, c chartCase, out string) (*result, []byte, error) {
	r := &result{c: c, ref: ref}
	dir := ref.tmp
	if out != "" {
		dir = out // kept for hack/chart-dry-run.sh's helm install
	}
	vals, err := valueArgs(dir, c)
	if err != nil {
		return r, nil, err
	}
	common := append([]string{"--namespace", c.namespace}, vals...)
	rendered, err := h.run(append([]string{"template", c.release, chart, "--include-crds"}, common...)...)
	if c.wantErr != "" {
		switch {
		case err == nil:
			r.errorf("helm template accepted the values, want an error with %q", c.wantErr)
		case !strings.Contains(err.Error(), c.wantErr):
			r.errorf("helm template: %v, want an error with %q", err, c.wantErr)
		}
		return r, nil, nil
	}
	if err != nil {
		return r, nil, err
	}
	if _, err := h.run(append([]string{"lint", "--strict", chart}, common...)...); err != nil {
		return r, nil, err
	}
	if r.objs, err = decode(rendered); err != nil {
		return r, nil, err
	}
	r.checkCommon()
	if len(r.errs) == 0 && c.check != nil {
		c.check(r)
	}
	return r, rendered, nil
}

func loadReference(manifests, tmp string) (*reference, error) {
	ref := &reference{tmp: tmp}
	var err error
	if ref.rbac, err = loadKustomizeRBAC(filepath.Join(manifests, "rbac")); err != nil {
		return nil, err
	}
	crdDir := filepath.Join(manifests, "crds")
	files, err := crdFiles(crdDir)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(crdDir, f))
		if err != nil {
			return nil, err
		}
		objs, err := decode(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, c := range ofKind[*apiextensionsv1.CustomResourceDefinition](objs, "CustomResourceDefinition") {
			ref.crdNames = append(ref.crdNames, c.Name)
		}
	}
	slices.Sort(ref.crdNames)
	data, err := os.ReadFile(filepath.Join(manifests, "deploy", "deployment.yaml"))
	if err != nil {
		return nil, err
	}
	objs, err := decode(data)
	if err != nil {
		return nil, err
	}
	deps := ofKind[*appsv1.Deployment](objs, "Deployment")
	if len(deps) != 1 || len(deps[0].Spec.Template.Spec.Containers) != 1 {
		return nil, fmt.Errorf("manifests/deploy: want one Deployment with one container")
	}
	ref.deployment = deps[0]
	if ref.deployOpts, err = parseManagerArgs(deps[0].Spec.Template.Spec.Containers[0].Args, deps[0].Namespace); err != nil {
		return nil, fmt.Errorf("manifests/deploy args: %w", err)
	}
	var k struct {
		Images []struct{ Name, NewName, NewTag string } `json:"images"`
	}
	data, err = os.ReadFile(filepath.Join(manifests, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, err
	}
	if len(k.Images) != 1 {
		return nil, fmt.Errorf("manifests/kustomization.yaml: want one image, got %d", len(k.Images))
	}
	ref.image = k.Images[0].NewName + ":" + k.Images[0].NewTag
	return ref, nil
}

// caseFile turns a case name into a file name.
func caseFile(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(name))
}

// namespaces lists the namespaces a release's objects are in.
func namespaces(objs []object) []string {
	var out []string
	for _, o := range objs {
		if o.Namespace != "" && !slices.Contains(out, o.Namespace) {
			out = append(out, o.Namespace)
		}
	}
	slices.Sort(out)
	return out
}
