package manager

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

const manifestsDir = "../../manifests"

// kustomization is the part of a kustomization.yaml the tests read.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images,omitempty"`
}

// newTyped returns an empty typed object for a manifest's kind.
func newTyped(kind string) any {
	switch kind {
	case "Namespace":
		return &corev1.Namespace{}
	case "ServiceAccount":
		return &corev1.ServiceAccount{}
	case "ConfigMap":
		return &corev1.ConfigMap{}
	case "Secret":
		return &corev1.Secret{}
	case "Service":
		return &corev1.Service{}
	case "ClusterRole":
		return &rbacv1.ClusterRole{}
	case "ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}
	case "Role":
		return &rbacv1.Role{}
	case "RoleBinding":
		return &rbacv1.RoleBinding{}
	case "Deployment":
		return &appsv1.Deployment{}
	case "DaemonSet":
		return &appsv1.DaemonSet{}
	case "PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}
	case "CustomResourceDefinition":
		return &apiextensionsv1.CustomResourceDefinition{}
	case "NodePool":
		return &v1beta2.NodePool{}
	case "Kustomization":
		return &kustomization{}
	}
	return nil
}

// loadManifests strictly decodes every YAML document under manifests/
// into its typed object, keyed by "relative/path.yaml#index".
func loadManifests(t *testing.T) map[string]any {
	t.Helper()
	objs := map[string]any{}
	err := filepath.WalkDir(manifestsDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "charts" {
			return filepath.SkipDir // Helm templates, checked by hack/verify-chart.sh
		}
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(manifestsDir, path)
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s#%d: %v", rel, i, err)
			}
			if tm.Kind == "" {
				continue // a document of comments only
			}
			obj := newTyped(tm.Kind)
			if obj == nil {
				t.Fatalf("%s#%d: unexpected kind %q", rel, i, tm.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Fatalf("%s#%d (%s): %v", rel, i, tm.Kind, err)
			}
			objs[rel+"#"+strconv.Itoa(i)] = obj
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func findAll[T any](objs map[string]any) map[string]T {
	out := map[string]T{}
	for k, o := range objs {
		if v, ok := o.(T); ok {
			out[k] = v
		}
	}
	return out
}

func findOne[T any](t *testing.T, objs map[string]any, pathPrefix string) T {
	t.Helper()
	var found []T
	for k, v := range findAll[T](objs) {
		if strings.HasPrefix(k, pathPrefix) {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("want one %T under %s, found %d", zero, pathPrefix, len(found))
	}
	return found[0]
}

// grants flattens RBAC rules into sorted "group|resource|verb" triples.
func grants(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, g+"|"+res+"|"+v)
				}
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func requiredGrants(inNamespace bool) []string {
	var out []string
	for _, p := range RequiredPermissions() {
		if p.InNamespace != inNamespace {
			continue
		}
		for _, v := range p.Verbs {
			out = append(out, p.Group+"|"+p.Resource+"|"+v)
		}
	}
	sort.Strings(out)
	return out
}

func diffGrants(got, want []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

func TestRBACMatchesRequiredPermissions(t *testing.T) {
	objs := loadManifests(t)
	cr := findOne[*rbacv1.ClusterRole](t, objs, "rbac/")
	role := findOne[*rbacv1.Role](t, objs, "rbac/")
	for _, r := range append(slices.Clone(cr.Rules), role.Rules...) {
		if slices.Contains(r.Verbs, "*") || slices.Contains(r.Resources, "*") || slices.Contains(r.APIGroups, "*") {
			t.Errorf("wildcard in rule %+v", r)
		}
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("unexpected resourceNames/nonResourceURLs in rule %+v", r)
		}
	}
	if missing, extra := diffGrants(grants(cr.Rules), requiredGrants(false)); len(missing)+len(extra) > 0 {
		t.Errorf("ClusterRole differs from RequiredPermissions(): missing %v, extra %v", missing, extra)
	}
	if missing, extra := diffGrants(grants(role.Rules), requiredGrants(true)); len(missing)+len(extra) > 0 {
		t.Errorf("Role differs from RequiredPermissions(): missing %v, extra %v", missing, extra)
	}
	if role.Namespace != DefaultLeaseNamespace {
		t.Errorf("Role namespace %q, want the lease namespace %q", role.Namespace, DefaultLeaseNamespace)
	}

	sa := findOne[*corev1.ServiceAccount](t, objs, "rbac/")
	crb := findOne[*rbacv1.ClusterRoleBinding](t, objs, "rbac/")
	rb := findOne[*rbacv1.RoleBinding](t, objs, "rbac/")
	wantSubject := rbacv1.Subject{Kind: "ServiceAccount", Name: sa.Name, Namespace: sa.Namespace}
	if crb.RoleRef.Name != cr.Name || crb.RoleRef.Kind != "ClusterRole" || !slices.Equal(crb.Subjects, []rbacv1.Subject{wantSubject}) {
		t.Errorf("ClusterRoleBinding %+v does not bind %s to %s", crb, cr.Name, sa.Name)
	}
	if rb.RoleRef.Name != role.Name || rb.RoleRef.Kind != "Role" || rb.Namespace != role.Namespace ||
		!slices.Equal(rb.Subjects, []rbacv1.Subject{wantSubject}) {
		t.Errorf("RoleBinding %+v does not bind %s to %s", rb, role.Name, sa.Name)
	}
}

func TestDeploymentManifest(t *testing.T) {
	objs := loadManifests(t)
	d := findOne[*appsv1.Deployment](t, objs, "deploy/")
	sa := findOne[*corev1.ServiceAccount](t, objs, "rbac/")
	if d.Namespace != DefaultLeaseNamespace || d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("Deployment %s/%s replicas %v, want 2 in %s", d.Namespace, d.Name, d.Spec.Replicas, DefaultLeaseNamespace)
	}
	pod := d.Spec.Template.Spec
	if pod.ServiceAccountName != sa.Name {
		t.Errorf("serviceAccountName %q, want %q", pod.ServiceAccountName, sa.Name)
	}
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("want 1 container, got %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container securityContext %+v is not locked down", sc)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("no %s request", r)
		}
		if _, ok := c.Resources.Limits[r]; !ok {
			t.Errorf("no %s limit", r)
		}
	}

	args := parseArgs(t, c.Args)
	healthPort := portOf(t, c, "health")
	if args["health-probe-bind-address"] != ":"+healthPort {
		t.Errorf("--health-probe-bind-address %q does not match the health port %s", args["health-probe-bind-address"], healthPort)
	}
	checkProbe(t, "liveness", c.LivenessProbe, "/healthz")
	checkProbe(t, "readiness", c.ReadinessProbe, "/readyz")
	if args["metrics-bind-address"] != ":"+portOf(t, c, "metrics") {
		t.Errorf("--metrics-bind-address %q does not match the metrics port", args["metrics-bind-address"])
	}
	if args["leader-elect"] != "true" || args["cluster-id"] != "$(CLUSTER_ID)" {
		t.Errorf("args %v: want --leader-elect=true and --cluster-id=$(CLUSTER_ID)", c.Args)
	}
	checkEnv(t, objs, c)
	checkCloudConfigMount(t, pod, c, args["cloud-config"])

	// The args must be accepted by the manager's own flag parser.
	o := NewOptions()
	fs := newTestFlagSet(o)
	if err := fs.Parse(c.Args); err != nil {
		t.Errorf("manager rejects the Deployment's args: %v", err)
	}
}

func parseArgs(t *testing.T, raw []string) map[string]string {
	t.Helper()
	args := map[string]string{}
	for _, a := range raw {
		k, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok || !strings.HasPrefix(a, "--") {
			t.Fatalf("arg %q is not --flag=value", a)
		}
		args[k] = v
	}
	return args
}

func portOf(t *testing.T, c corev1.Container, name string) string {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return strconv.Itoa(int(p.ContainerPort))
		}
	}
	t.Fatalf("container has no port %q", name)
	return ""
}

func checkProbe(t *testing.T, kind string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s probe is not an HTTP GET", kind)
		return
	}
	if p.HTTPGet.Path != path || p.HTTPGet.Port != intstr.FromString("health") {
		t.Errorf("%s probe GET %s on %v, want %s on the health port", kind, p.HTTPGet.Path, p.HTTPGet.Port, path)
	}
}

func checkEnv(t *testing.T, objs map[string]any, c corev1.Container) {
	t.Helper()
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if e := env[PodNamespaceEnv]; e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("%s is not the pod namespace: %+v", PodNamespaceEnv, e)
	}
	e := env["CLUSTER_ID"]
	if e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil {
		t.Fatalf("CLUSTER_ID is not from a ConfigMap: %+v", e)
	}
	cm := findOne[*corev1.ConfigMap](t, objs, "deploy/")
	if ref := e.ValueFrom.ConfigMapKeyRef; ref.Name != cm.Name {
		t.Errorf("CLUSTER_ID from ConfigMap %q, want %q", ref.Name, cm.Name)
	} else if _, ok := cm.Data[ref.Key]; !ok {
		t.Errorf("ConfigMap %s has no key %q", cm.Name, ref.Key)
	}
}

func checkCloudConfigMount(t *testing.T, pod corev1.PodSpec, c corev1.Container, cloudConfig string) {
	t.Helper()
	const secret = "edge-controller-manager-cloud-config"
	var volume string
	for _, v := range pod.Volumes {
		if v.Secret != nil && v.Secret.SecretName == secret {
			volume = v.Name
		}
	}
	if volume == "" {
		t.Fatalf("no volume from Secret %s", secret)
	}
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			if !m.ReadOnly || filepath.Dir(cloudConfig) != m.MountPath {
				t.Errorf("--cloud-config %q is not in the read-only mount %+v", cloudConfig, m)
			}
			return
		}
	}
	t.Errorf("volume %s is not mounted", volume)
}

// TestKustomizations checks that every kustomization lists files that
// exist, that the default one leaves the CRDs out and standalone adds them.
func TestKustomizations(t *testing.T) {
	objs := loadManifests(t)
	ks := findAll[*kustomization](objs)
	if len(ks) < 5 {
		t.Fatalf("found %d kustomizations, want default, standalone, crds, rbac, deploy", len(ks))
	}
	listed := map[string]bool{}
	for key, k := range ks {
		dir := filepath.Dir(strings.SplitN(key, "#", 2)[0])
		if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
			t.Errorf("%s: %s %s", key, k.APIVersion, k.Kind)
		}
		for _, r := range k.Resources {
			p := filepath.Join(manifestsDir, dir, r)
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s lists %q: %v", key, r, err)
			}
			listed[filepath.Clean(filepath.Join(dir, r))] = true
		}
	}
	// Every manifest outside examples/ is reachable from a kustomization.
	for key := range objs {
		file := strings.SplitN(key, "#", 2)[0]
		if strings.HasPrefix(file, "examples/") || filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		if !listed[file] {
			t.Errorf("%s is in no kustomization", file)
		}
	}
	def := ks["kustomization.yaml#0"]
	standalone := ks["standalone/kustomization.yaml#0"]
	if def == nil || standalone == nil {
		t.Fatal("missing manifests/kustomization.yaml or manifests/standalone/kustomization.yaml")
	}
	if slices.Contains(def.Resources, "crds") {
		t.Error("the default kustomization must not install the CRDs (OpenYurt owns them)")
	}
	var want []string
	for _, r := range def.Resources {
		want = append(want, "../"+r)
	}
	want = append(want, "../crds")
	got := slices.Clone(standalone.Resources)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || standalone.Namespace != def.Namespace || len(standalone.Images) != len(def.Images) {
		t.Errorf("standalone = %v (ns %q), want the default's parts plus ../crds %v (ns %q)", got, standalone.Namespace, want, def.Namespace)
	}
}

// TestCRDs checks the generated CRDs: names, versions, printer columns and
// that every schema is structural (what the API server requires).
func TestCRDs(t *testing.T) {
	objs := loadManifests(t)
	crds := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, c := range findAll[*apiextensionsv1.CustomResourceDefinition](objs) {
		crds[c.Name] = c
		for _, v := range c.Spec.Versions {
			var internal apiextensions.JSONSchemaProps
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
				t.Fatalf("%s %s: %v", c.Name, v.Name, err)
			}
			s, err := structuralschema.NewStructural(&internal)
			if err != nil {
				t.Fatalf("%s %s: %v", c.Name, v.Name, err)
			}
			if errs := structuralschema.ValidateStructural(nil, s); len(errs) > 0 {
				t.Errorf("%s %s schema is not structural: %v", c.Name, v.Name, errs.ToAggregate())
			}
			if v.Subresources == nil || v.Subresources.Status == nil {
				t.Errorf("%s %s has no status subresource", c.Name, v.Name)
			}
		}
	}
	np := crds["nodepools.apps.openyurt.io"]
	ps := crds["poolservices.network.openyurt.io"]
	if np == nil || ps == nil || len(crds) != 2 {
		t.Fatalf("want the nodepools and poolservices CRDs, got %v", mapsKeys(crds))
	}
	if np.Spec.Scope != apiextensionsv1.ClusterScoped || !slices.Equal(np.Spec.Names.ShortNames, []string{"np"}) {
		t.Errorf("NodePool scope %s shortNames %v", np.Spec.Scope, np.Spec.Names.ShortNames)
	}
	var npVersions []string
	for _, v := range np.Spec.Versions {
		npVersions = append(npVersions, v.Name+servedStorage(v))
	}
	if !slices.Equal(npVersions, []string{"v1beta1 served", "v1beta2 served storage"}) {
		t.Errorf("NodePool versions %v, want v1beta1 served and v1beta2 served+storage", npVersions)
	}
	if ps.Spec.Scope != apiextensionsv1.NamespaceScoped || !slices.Equal(ps.Spec.Names.ShortNames, []string{"ps"}) ||
		len(ps.Spec.Versions) != 1 || ps.Spec.Versions[0].Name != "v1alpha1" {
		t.Fatalf("PoolService CRD %+v", ps.Spec)
	}
	wantColumns := map[string]string{
		"Service":         `.metadata.labels.openyurt\.io/service-name`,
		"NodePool":        `.metadata.labels.openyurt\.io/pool-name`,
		"LoadBalancer ID": `.status.aggregateToAnnotations.` + strings.ReplaceAll(apis.AnnotationLoadBalancerID, ".", `\.`),
		"External-IP":     `.status.loadBalancer.ingress[*].ip`,
		"Ready":           `.status.conditions[?(@.type=="` + apis.ConditionReady + `")].status`,
		"Age":             `.metadata.creationTimestamp`,
	}
	var names []string
	for _, col := range ps.Spec.Versions[0].AdditionalPrinterColumns {
		names = append(names, col.Name)
		if wantColumns[col.Name] != col.JSONPath {
			t.Errorf("column %q path %q, want %q", col.Name, col.JSONPath, wantColumns[col.Name])
		}
	}
	if !slices.Equal(names, []string{"Service", "NodePool", "LoadBalancer ID", "External-IP", "Ready", "Age"}) {
		t.Errorf("PoolService columns %v", names)
	}
}

func servedStorage(v apiextensionsv1.CustomResourceDefinitionVersion) string {
	s := ""
	if v.Served {
		s += " served"
	}
	if v.Storage {
		s += " storage"
	}
	return s
}

func mapsKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestExamples checks the walkthrough objects against the well-known
// strings and the emulator's default inventory.
func TestExamples(t *testing.T) {
	objs := loadManifests(t)
	pools := map[string]*v1beta2.NodePool{}
	for _, np := range findAll[*v1beta2.NodePool](objs) {
		pools[np.Name] = np
	}
	want := map[string][3]string{
		"np-hefei":   {"cn-hefei-cmcc-2", "n-hefei", "vsw-hefei-1,vsw-hefei-2"},
		"np-chengdu": {"cn-chengdu-telecom-4", "n-chengdu", "vsw-chengdu-1"},
	}
	if len(pools) != len(want) {
		t.Fatalf("pools %v, want np-hefei and np-chengdu", mapsKeys(pools))
	}
	for name, w := range want {
		a := pools[name].Annotations
		got := [3]string{a[apis.AnnotationPoolRegionID], a[apis.AnnotationPoolNetworkID], a[apis.AnnotationPoolVSwitchIDs]}
		if got != w || pools[name].Labels["k8s-svc"] != "cube" {
			t.Errorf("%s: annotations %v labels %v, want %v and k8s-svc=cube", name, got, pools[name].Labels, w)
		}
	}
	svcs := findAll[*corev1.Service](objs)
	if len(svcs) != 2 {
		t.Fatalf("want cube-svc.yaml and cube-svc-user-managed.yaml, got %v", mapsKeys(svcs))
	}
	for key, s := range svcs {
		if s.Name != "cube-svc" || s.Spec.Type != corev1.ServiceTypeLoadBalancer || s.Spec.LoadBalancerClass == nil ||
			*s.Spec.LoadBalancerClass != apis.LoadBalancerClassELB || s.Annotations[apis.AnnotationNodePoolSelector] != "k8s-svc=cube" {
			t.Errorf("%s: %+v is not the walkthrough's cube-svc", key, s)
		}
		userManaged := s.Annotations[apis.AnnotationManagedByUser] == "true"
		if userManaged != strings.Contains(key, "user-managed") {
			t.Errorf("%s: managed-by-user annotation %v", key, userManaged)
		}
	}
	ds := findOne[*appsv1.DaemonSet](t, objs, "examples/")
	if ds.Name != "cube" || ds.Spec.Template.Labels["app"] != "cube" {
		t.Errorf("DaemonSet %s labels %v", ds.Name, ds.Spec.Template.Labels)
	}
	secret := findOne[*corev1.Secret](t, objs, "examples/")
	if secret.Name != "edge-controller-manager-cloud-config" || secret.StringData["cloud-config.yaml"] == "" {
		t.Fatalf("Secret %s keys %v", secret.Name, mapsKeys(secret.StringData))
	}
	// The example's file is what the manager's --cloud-config reads.
	path := filepath.Join(t.TempDir(), "cloud-config.yaml")
	if err := os.WriteFile(path, []byte(secret.StringData["cloud-config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ens.LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AccessKeyID != "emulator-ak" || cfg.AccessKeySecret != "emulator-secret" || cfg.Region != "cn-hefei-cmcc-2" || cfg.Scheme != "HTTP" || cfg.Endpoint == "" {
		t.Errorf("example cloud config loads as %v", cfg)
	}
}
