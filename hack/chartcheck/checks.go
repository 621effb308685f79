package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/manager"
)

// result is one case's rendered release and what the checks found.
type result struct {
	c    chartCase
	ref  *reference
	objs []object
	errs []string

	dep  *appsv1.Deployment
	pod  corev1.PodSpec
	ctr  corev1.Container
	opts *manager.Options // the container's args, parsed by the manager's own flags
	// cloudConfig is the chart's Secret's file as the manager loads it (nil
	// with an existing Secret).
	cloudConfig *ens.ClientConfig
}

func (r *result) errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// one returns the single rendered object of a kind, or nil after an error.
func one[T any](r *result, kind string) T {
	var zero T
	all := ofKind[T](r.objs, kind)
	if len(all) != 1 {
		r.errorf("want one %s, got %d", kind, len(all))
		return zero
	}
	return all[0]
}

// parseManagerArgs parses args with the manager's flag set as the pod
// would, POD_NAMESPACE being the pod's namespace.
func parseManagerArgs(args []string, podNamespace string) (*manager.Options, error) {
	old, had := os.LookupEnv(manager.PodNamespaceEnv)
	os.Setenv(manager.PodNamespaceEnv, podNamespace)
	o := manager.NewOptions()
	if had {
		os.Setenv(manager.PodNamespaceEnv, old)
	} else {
		os.Unsetenv(manager.PodNamespaceEnv)
	}
	fs := pflag.NewFlagSet("edge-controller-manager", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("positional arguments %v", fs.Args())
	}
	return o, nil
}

// subset reports whether every label of sel is in labels.
func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

func containerPort(c corev1.Container, name string) (int32, bool) {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// checkCommon holds for every successful render: the kinds the case
// expects, names and labels, and everything that ties the objects together
// (selectors, ports, the Secret and the mount, RBAC and its subjects).
func (r *result) checkCommon() {
	got := map[string]int{}
	for _, o := range r.objs {
		got[o.Kind]++
	}
	if !maps.Equal(got, r.c.kinds) {
		r.errorf("kinds %v, want %v", got, r.c.kinds)
	}
	for _, o := range r.objs {
		if o.Kind == "CustomResourceDefinition" {
			continue // crds/ is copied as is
		}
		if o.Labels["app.kubernetes.io/managed-by"] != "Helm" || o.Labels["app.kubernetes.io/instance"] != r.c.release {
			r.errorf("%s labels %v lack managed-by Helm and instance %s", o, o.Labels, r.c.release)
		}
		clusterScoped := o.Kind == "ClusterRole" || o.Kind == "ClusterRoleBinding"
		switch {
		case clusterScoped && o.Namespace != "":
			r.errorf("%s is cluster-scoped but has a namespace", o)
		case !clusterScoped && o.Kind != "ServiceMonitor" && o.Kind != "PrometheusRule" && o.Namespace != r.c.namespace:
			r.errorf("%s is not in the release namespace %s", o, r.c.namespace)
		}
	}
	r.dep = one[*appsv1.Deployment](r, "Deployment")
	if r.dep == nil {
		return
	}
	r.pod = r.dep.Spec.Template.Spec
	if len(r.pod.Containers) != 1 {
		r.errorf("want one container, got %d", len(r.pod.Containers))
		return
	}
	r.ctr = r.pod.Containers[0]
	if sel := r.dep.Spec.Selector; sel == nil || !subset(sel.MatchLabels, r.dep.Spec.Template.Labels) {
		r.errorf("Deployment selector %v does not select its pods %v", sel, r.dep.Spec.Template.Labels)
	}
	opts, err := parseManagerArgs(r.ctr.Args, r.c.namespace)
	if err != nil {
		r.errorf("the manager rejects the args %q: %v", r.ctr.Args, err)
		return
	}
	r.opts = opts
	if err := opts.Validate(); err != nil {
		r.errorf("the manager's Validate rejects the args: %v", err)
	}
	// Else the kubelet kills a replica handing off before it releases the Lease.
	if g := r.pod.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= manager.DrainTimeout {
		r.errorf("terminationGracePeriodSeconds %s is not longer than the manager's hand-off (%s)", fmtPtr(g), manager.DrainTimeout)
	}
	r.checkEnvAndProbes()
	r.checkCloudConfig()
	r.checkRBAC()
	r.checkMetrics()
	if pdbs := ofKind[*policyv1.PodDisruptionBudget](r.objs, "PodDisruptionBudget"); len(pdbs) == 1 {
		p := pdbs[0]
		if p.Spec.Selector == nil || !maps.Equal(p.Spec.Selector.MatchLabels, r.dep.Spec.Selector.MatchLabels) {
			r.errorf("PodDisruptionBudget selector %v is not the Deployment's", p.Spec.Selector)
		}
		if p.Spec.MinAvailable == nil || r.dep.Spec.Replicas == nil || p.Spec.MinAvailable.IntValue() >= int(*r.dep.Spec.Replicas) {
			r.errorf("PodDisruptionBudget minAvailable %v leaves no replica to disrupt of %v", p.Spec.MinAvailable, r.dep.Spec.Replicas)
		}
	}
	r.checkCRDs()
}

func (r *result) checkEnvAndProbes() {
	var podNS bool
	for _, e := range r.ctr.Env {
		if e.Name == manager.PodNamespaceEnv {
			podNS = e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace"
		}
	}
	if !podNS {
		r.errorf("%s is not the pod's namespace", manager.PodNamespaceEnv)
	}
	health, ok := containerPort(r.ctr, "health")
	if !ok || r.opts.HealthProbeBindAddress != ":"+strconv.Itoa(int(health)) {
		r.errorf("--health-probe-bind-address %q is not the health port %d", r.opts.HealthProbeBindAddress, health)
	}
	for kind, p := range map[string]*corev1.Probe{"/healthz": r.ctr.LivenessProbe, "/readyz": r.ctr.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != kind || p.HTTPGet.Port != intstr.FromString("health") {
			r.errorf("probe %s: %+v is not a GET on the health port", kind, p)
		}
	}
}

// checkCloudConfig follows --cloud-config to its read-only mount, the
// volume to its Secret, and a Secret the chart renders to the file the
// manager loads.
func (r *result) checkCloudConfig() {
	path := r.opts.CloudConfig
	var mount *corev1.VolumeMount
	for i, m := range r.ctr.VolumeMounts {
		if m.MountPath == filepath.Dir(path) {
			mount = &r.ctr.VolumeMounts[i]
		}
	}
	if mount == nil || !mount.ReadOnly || mount.SubPath != "" {
		r.errorf("--cloud-config %q is not in a read-only whole-volume mount: %+v", path, mount)
		return
	}
	var secretName string
	for _, v := range r.pod.Volumes {
		if v.Name == mount.Name && v.Secret != nil {
			secretName = v.Secret.SecretName
		}
	}
	if secretName == "" {
		r.errorf("volume %s is not a Secret", mount.Name)
		return
	}
	secrets := ofKind[*corev1.Secret](r.objs, "Secret")
	if len(secrets) == 0 {
		return // an existing Secret: the case checks its name
	}
	if len(secrets) != 1 || secrets[0].Name != secretName {
		r.errorf("the chart renders Secrets %v, the pod mounts %s", secrets, secretName)
		return
	}
	data, ok := secrets[0].Data[filepath.Base(path)]
	if !ok {
		r.errorf("Secret %s has no key %s", secretName, filepath.Base(path))
		return
	}
	f := filepath.Join(r.ref.tmp, r.c.name+".cloud-config.yaml")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		r.errorf("%v", err)
		return
	}
	cfg, err := ens.LoadConfigFile(f)
	if err != nil {
		r.errorf("the manager cannot load the chart's cloud config: %v", err)
		return
	}
	cfg.ConfigFile = ""
	r.cloudConfig = &cfg
}

// checkRBAC compares the chart's rules with manifests/rbac and follows the
// bindings to the Deployment's ServiceAccount.
func (r *result) checkRBAC() {
	sa := r.pod.ServiceAccountName
	if sas := ofKind[*corev1.ServiceAccount](r.objs, "ServiceAccount"); len(sas) > 0 && (len(sas) != 1 || sas[0].Name != sa) {
		r.errorf("the chart renders ServiceAccounts %v, the pod runs as %s", sas, sa)
	}
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: r.c.namespace}}
	if crs := ofKind[*rbacv1.ClusterRole](r.objs, "ClusterRole"); len(crs) == 1 {
		if d := diffRules(crs[0].Rules, r.ref.rbac.ClusterRole.Rules); d != "" {
			r.errorf("ClusterRole differs from manifests/rbac: %s", d)
		}
		crb := one[*rbacv1.ClusterRoleBinding](r, "ClusterRoleBinding")
		if crb != nil && (crb.RoleRef.Kind != "ClusterRole" || crb.RoleRef.Name != crs[0].Name || !slices.Equal(crb.Subjects, subject)) {
			r.errorf("ClusterRoleBinding %s binds %v to %v, want %s to %v", crb.Name, crb.RoleRef, crb.Subjects, crs[0].Name, subject)
		}
	}
	if roles := ofKind[*rbacv1.Role](r.objs, "Role"); len(roles) == 1 {
		role := roles[0]
		if d := diffRules(role.Rules, r.ref.rbac.Role.Rules); d != "" {
			r.errorf("Role differs from manifests/rbac: %s", d)
		}
		// The Lease and the ownership records live in the lease namespace.
		if le := r.opts.LeaderElection; role.Namespace != le.ResourceNamespace {
			r.errorf("Role in %s, the manager's lease namespace is %s", role.Namespace, le.ResourceNamespace)
		}
		rb := one[*rbacv1.RoleBinding](r, "RoleBinding")
		if rb != nil && (rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != role.Name || !slices.Equal(rb.Subjects, subject)) {
			r.errorf("RoleBinding %s binds %v to %v, want %s to %v", rb.Name, rb.RoleRef, rb.Subjects, role.Name, subject)
		}
	}
}

// checkMetrics ties --metrics-bind-address, the container port, the
// Service, the ServiceMonitor and the PrometheusRule's selectors together.
func (r *result) checkMetrics() {
	port, hasPort := containerPort(r.ctr, "metrics")
	svcs := ofKind[*corev1.Service](r.objs, "Service")
	if r.opts.MetricsBindAddress == "0" {
		if hasPort || len(svcs) > 0 {
			r.errorf("metrics are off but the pod has a metrics port (%v) or Services %v", hasPort, svcs)
		}
		return
	}
	if !hasPort || r.opts.MetricsBindAddress != ":"+strconv.Itoa(int(port)) {
		r.errorf("--metrics-bind-address %q is not the metrics port %d", r.opts.MetricsBindAddress, port)
	}
	if len(svcs) != 1 {
		r.errorf("want one metrics Service, got %d", len(svcs))
		return
	}
	svc := svcs[0]
	if !subset(svc.Spec.Selector, r.dep.Spec.Template.Labels) {
		r.errorf("Service %s selector %v does not select the pods %v", svc.Name, svc.Spec.Selector, r.dep.Spec.Template.Labels)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != intstr.FromString("metrics") {
		r.errorf("Service %s ports %+v do not target the metrics port", svc.Name, svc.Spec.Ports)
		return
	}
	for _, sm := range ofKind[map[string]any](r.objs, "ServiceMonitor") {
		spec := mapAt(sm, "spec")
		sel := stringMap(mapAt(spec, "selector", "matchLabels"))
		if !subset(sel, svc.Labels) {
			r.errorf("ServiceMonitor selector %v does not select the Service's labels %v", sel, svc.Labels)
		}
		if names := mapAt(spec, "namespaceSelector")["matchNames"]; fmt.Sprint(names) != fmt.Sprint([]any{r.c.namespace}) {
			r.errorf("ServiceMonitor namespaceSelector %v, want [%s]", names, r.c.namespace)
		}
		eps, _ := spec["endpoints"].([]any)
		if len(eps) != 1 || mapOf(eps[0])["port"] != svc.Spec.Ports[0].Name || mapOf(eps[0])["path"] != "/metrics" {
			r.errorf("ServiceMonitor endpoints %v do not scrape /metrics on port %s", eps, svc.Spec.Ports[0].Name)
		}
	}
	for _, pr := range ofKind[map[string]any](r.objs, "PrometheusRule") {
		for _, rule := range ruleList(pr) {
			expr, _ := rule["expr"].(string)
			_, alert := rule["alert"].(string)
			_, record := rule["record"].(string)
			if expr == "" || alert == record {
				r.errorf("PrometheusRule rule %v needs an expr and one of alert or record", rule)
			}
		}
	}
}

// checkCRDs: a render with --include-crds carries manifests/crds' CRDs.
func (r *result) checkCRDs() {
	crds := ofKind[*apiextensionsv1.CustomResourceDefinition](r.objs, "CustomResourceDefinition")
	var names []string
	for _, c := range crds {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, r.ref.crdNames) {
		r.errorf("rendered CRDs %v, want manifests/crds' %v", names, r.ref.crdNames)
	}
}

// ruleList returns a PrometheusRule's rules over all groups.
func ruleList(pr map[string]any) []map[string]any {
	var out []map[string]any
	groups, _ := mapAt(pr, "spec")["groups"].([]any)
	for _, g := range groups {
		rules, _ := mapOf(g)["rules"].([]any)
		for _, rule := range rules {
			out = append(out, mapOf(rule))
		}
	}
	return out
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// mapAt walks nested maps; a missing step gives an empty map.
func mapAt(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = mapOf(m[p])
	}
	return m
}

func stringMap(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// hasArg reports whether the container args set a flag explicitly.
func (r *result) hasArg(flag string) bool {
	return slices.ContainsFunc(r.ctr.Args, func(a string) bool { return strings.HasPrefix(a, "--"+flag+"=") })
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}
