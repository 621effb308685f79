package main

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/manager"
)

// chartCase is one value set: what helm must render from it (kinds and the
// case's own checks on top of checkCommon), or the error it must refuse it with.
type chartCase struct {
	name      string
	release   string // default edge-controller-manager
	namespace string // default edge-controller-manager
	values    string // a values file
	set       []string
	kinds     map[string]int
	check     func(r *result)
	wantErr   string // substring of helm template's error
}

// fullRelease is what the chart renders by default (with --include-crds).
var fullRelease = map[string]int{
	"CustomResourceDefinition": 2, "ServiceAccount": 1, "Secret": 1,
	"ClusterRole": 1, "ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1,
	"Service": 1, "Deployment": 1, "PodDisruptionBudget": 1,
}

// kinds is fullRelease with some counts changed (0 removes the kind).
func kinds(changes map[string]int) map[string]int {
	out := maps.Clone(fullRelease)
	for k, n := range changes {
		if n == 0 {
			delete(out, k)
		} else {
			out[k] = n
		}
	}
	return out
}

const credentials = `
cloudConfig:
  accessKeyID: ak-1
  accessKeySecret: sk-1
`

func cases() []chartCase {
	return []chartCase{
		{
			name: "defaults",
			// The README's helm install line.
			set:   []string{"clusterID=prod-1", "cloudConfig.accessKeyID=ak-1", "cloudConfig.accessKeySecret=sk-1"},
			kinds: fullRelease,
			check: checkDefaults,
		},
		{
			name:   "existing Secret",
			values: "clusterID: edge-1\ncloudConfig:\n  existingSecret: ens-credentials\n  key: ens.yaml\n  accessKeyID: ignored\n",
			kinds:  kinds(map[string]int{"Secret": 0}),
			check: func(r *result) {
				r.wantVolumeSecret("ens-credentials")
				if r.opts.CloudConfig != "/etc/edge-controller-manager/ens.yaml" {
					r.errorf("--cloud-config %q, want the key ens.yaml in the mount", r.opts.CloudConfig)
				}
			},
		},
		{
			name: "created Secret with every field",
			values: `clusterID: emu
cloudConfig:
  key: config.yaml
  accessKeyID: emulator-ak
  accessKeySecret: emulator-secret
  securityToken: sts-token
  region: cn-hefei-cmcc-2
  endpoint: ens-emulator.edge-controller-manager.svc:18443
  scheme: HTTP
  insecureSkipVerify: true
`,
			kinds: fullRelease,
			check: func(r *result) {
				r.wantVolumeSecret("edge-controller-manager-cloud-config")
				want := ens.ClientConfig{AccessKeyID: "emulator-ak", AccessKeySecret: "emulator-secret", SecurityToken: "sts-token",
					Region: "cn-hefei-cmcc-2", Endpoint: "ens-emulator.edge-controller-manager.svc:18443", Scheme: "HTTP", InsecureSkipVerify: true}
				r.wantCloudConfig(want)
			},
		},
		{
			name: "ServiceMonitor and PrometheusRule",
			values: "clusterID: prod-1\n" + credentials + `
metrics:
  port: 9443
  service:
    port: 9090
  serviceMonitor:
    enabled: true
    namespace: monitoring
    labels: {release: prom}
    interval: 15s
    scrapeTimeout: 10s
    metricRelabelings:
      - action: drop
        sourceLabels: [__name__]
        regex: go_gc_.*
  prometheusRule:
    enabled: true
    labels: {release: prom}
    severity: critical
    additionalRules:
      - alert: EdgeControllerManagerDown
        expr: up{job="edge-controller-manager-metrics"} == 0
        for: 10m
        labels: {severity: critical}
`,
			kinds: kinds(map[string]int{"ServiceMonitor": 1, "PrometheusRule": 1}),
			check: checkMonitoring,
		},
		{
			name:      "tuned in kube-system",
			release:   "ecm",
			namespace: "kube-system",
			values:    "clusterID: edge-prod-7\n" + credentials + tunedValues,
			kinds:     fullRelease,
			check:     checkTuned,
		},
		{
			name:   "one replica without leader election or metrics",
			values: "clusterID: solo\nreplicaCount: 1\nleaderElection: {enabled: false}\nmetrics: {enabled: false}\n" + credentials,
			kinds:  kinds(map[string]int{"Service": 0, "PodDisruptionBudget": 0}),
			check: func(r *result) {
				if r.opts.LeaderElection.Enabled || r.hasArg("leader-elect-resource-name") || r.opts.MetricsBindAddress != "0" {
					r.errorf("leader election %v (args %q) and metrics %q, want both off", r.opts.LeaderElection.Enabled, r.ctr.Args, r.opts.MetricsBindAddress)
				}
				if *r.dep.Spec.Replicas != 1 {
					r.errorf("replicas %d, want 1", *r.dep.Spec.Replicas)
				}
			},
		},
		{
			name:   "own ServiceAccount and RBAC",
			values: "clusterID: prod-1\nserviceAccount: {create: false, name: ecm-runner}\nrbac: {create: false}\n" + credentials,
			kinds: kinds(map[string]int{"ServiceAccount": 0, "ClusterRole": 0, "ClusterRoleBinding": 0,
				"Role": 0, "RoleBinding": 0}),
			check: func(r *result) {
				if r.pod.ServiceAccountName != "ecm-runner" {
					r.errorf("serviceAccountName %q, want ecm-runner", r.pod.ServiceAccountName)
				}
			},
		},

		{name: "no clusterID", values: credentials, wantErr: "clusterID is required"},
		{name: "clusterID with capitals", values: "clusterID: Prod_1\n" + credentials, wantErr: `clusterID "Prod_1" must consist of lowercase letters`},
		{name: "clusterID of 65 characters", values: "clusterID: " + strings.Repeat("a", 65) + "\n" + credentials, wantErr: "is longer than 64 characters"},
		{name: "no cloud credentials", values: "clusterID: prod-1\n", wantErr: "set cloudConfig.existingSecret"},
		{name: "replicas without leader election", values: "clusterID: prod-1\nleaderElection: {enabled: false}\n" + credentials,
			wantErr: "replicaCount > 1 needs leaderElection.enabled"},
		{name: "ServiceMonitor without metrics", values: "clusterID: prod-1\nmetrics: {enabled: false, serviceMonitor: {enabled: true}}\n" + credentials,
			wantErr: "need metrics.enabled"},
		{name: "PrometheusRule without rules", values: "clusterID: prod-1\nmetrics: {prometheusRule: {enabled: true, defaultRules: false}}\n" + credentials,
			wantErr: "needs defaultRules or additionalRules"},
		{name: "no ServiceAccount name", values: "clusterID: prod-1\nserviceAccount: {create: false}\n" + credentials,
			wantErr: "serviceAccount.name is required"},
	}
}

// checkDefaults: the defaults are the manager's own flag defaults and the
// Kustomize install's Deployment, under the same names.
func checkDefaults(r *result) {
	if r.opts.ClusterID != "prod-1" {
		r.errorf("--cluster-id %q, want prod-1", r.opts.ClusterID)
	}
	got := *r.opts
	got.ClusterID, got.CloudConfig = "", ""
	want := *manager.NewOptions()
	want.LeaderElection.ResourceNamespace = r.c.namespace // POD_NAMESPACE
	if d := cmp.Diff(&want, &got); d != "" {
		r.errorf("default args differ from the manager's defaults (-manager +chart):\n%s", d)
	}
	kust := *r.ref.deployOpts
	got.CloudConfig, kust.ClusterID = r.opts.CloudConfig, ""
	if d := cmp.Diff(&kust, &got); d != "" {
		r.errorf("default args differ from manifests/deploy's (-kustomize +chart):\n%s", d)
	}
	kd := r.ref.deployment
	kpod, kc := kd.Spec.Template.Spec, kd.Spec.Template.Spec.Containers[0]
	for what, pair := range map[string][2]any{
		"replicas":                  {kd.Spec.Replicas, r.dep.Spec.Replicas},
		"pod securityContext":       {kpod.SecurityContext, r.pod.SecurityContext},
		"container securityContext": {kc.SecurityContext, r.ctr.SecurityContext},
		"resources":                 {kc.Resources, r.ctr.Resources},
		"livenessProbe":             {kc.LivenessProbe, r.ctr.LivenessProbe},
		"readinessProbe":            {kc.ReadinessProbe, r.ctr.ReadinessProbe},
		"ports":                     {kc.Ports, r.ctr.Ports},
		"volume mounts":             {kc.VolumeMounts, r.ctr.VolumeMounts},
		"volumes":                   {kpod.Volumes, r.pod.Volumes},
		"image":                     {r.ref.image, r.ctr.Image},
	} {
		if !equality.Semantic.DeepEqual(pair[0], pair[1]) {
			r.errorf("default %s differs from the Kustomize install's:\n%s", what, cmp.Diff(pair[0], pair[1]))
		}
	}
	// A release named like the chart gets manifests/'s names.
	names := map[string]string{"Deployment": r.dep.Name}
	for _, o := range r.objs {
		names[o.Kind] = o.Name
	}
	wantNames := map[string]string{
		"Deployment": kd.Name, "ServiceAccount": kpod.ServiceAccountName,
		"ClusterRole": r.ref.rbac.ClusterRole.Name, "Role": r.ref.rbac.Role.Name,
		"Secret": r.pod.Volumes[0].Secret.SecretName,
	}
	for kind, want := range wantNames {
		if names[kind] != want {
			r.errorf("%s is named %q, the Kustomize install's %q", kind, names[kind], want)
		}
	}
	r.wantCloudConfig(ens.ClientConfig{AccessKeyID: "ak-1", AccessKeySecret: "sk-1"})
	pdb := ofKind[*policyv1.PodDisruptionBudget](r.objs, "PodDisruptionBudget")[0]
	if pdb.Spec.MinAvailable.IntValue() != 1 {
		r.errorf("PodDisruptionBudget minAvailable %v, want 1", pdb.Spec.MinAvailable)
	}
}

func checkMonitoring(r *result) {
	if r.opts.MetricsBindAddress != ":9443" {
		r.errorf("--metrics-bind-address %q, want :9443", r.opts.MetricsBindAddress)
	}
	svc := ofKind[*corev1.Service](r.objs, "Service")[0]
	if svc.Spec.Ports[0].Port != 9090 {
		r.errorf("Service port %d, want 9090", svc.Spec.Ports[0].Port)
	}
	var sm, pr object
	for _, o := range r.objs {
		switch o.Kind {
		case "ServiceMonitor":
			sm = o
		case "PrometheusRule":
			pr = o
		}
	}
	if sm.Namespace != "monitoring" || sm.Labels["release"] != "prom" || pr.Namespace != r.c.namespace || pr.Labels["release"] != "prom" {
		r.errorf("ServiceMonitor %s labels %v, PrometheusRule %s labels %v: want monitoring/ and the release namespace, both release=prom",
			sm, sm.Labels, pr, pr.Labels)
	}
	ep := mapOf(mapAt(sm.Value.(map[string]any), "spec")["endpoints"].([]any)[0])
	relabel, _ := ep["metricRelabelings"].([]any)
	if ep["interval"] != "15s" || ep["scrapeTimeout"] != "10s" || len(relabel) != 1 || mapOf(relabel[0])["regex"] != "go_gc_.*" {
		r.errorf("ServiceMonitor endpoint %v, want interval 15s, scrapeTimeout 10s and the drop of go_gc_.*", ep)
	}
	// The default alerts select this release's series only.
	sel := `{namespace="edge-controller-manager", job="edge-controller-manager-metrics"`
	var alerts []string
	for _, rule := range ruleList(pr.Value.(map[string]any)) {
		name, _ := rule["alert"].(string)
		alerts = append(alerts, name)
		if name == "EdgeControllerManagerDown" {
			continue
		}
		if expr, _ := rule["expr"].(string); !strings.Contains(expr, sel) {
			r.errorf("alert %s expr %q does not select %s}", name, expr, sel)
		}
		if sev := mapOf(rule["labels"])["severity"]; sev != "critical" {
			r.errorf("alert %s severity %v, want critical", name, sev)
		}
	}
	want := []string{"EdgeControllerManagerNoLeader", "EdgeControllerManagerSyncErrors", "EdgeControllerManagerENSThrottled",
		"EdgeControllerManagerELBResyncStretched", "EdgeControllerManagerDown"}
	if !slices.Equal(alerts, want) {
		r.errorf("alerts %v, want %v", alerts, want)
	}
}

const tunedValues = `
replicaCount: 3
dryRun: true
adoptExisting: true
image:
  registry: registry.example.com/edge
  repository: ecm
  tag: v0.2.0
  pullPolicy: IfNotPresent
  pullSecrets: [{name: regcred}]
log: {level: 4}
controllers: "-poolservice-set,*"
workers: {poolServiceSet: 8, elb: 16}
leaderElection: {resourceName: ecm-leader, leaseDuration: 30s, renewDeadline: 20s, retryPeriod: 4s}
resyncPeriod: 30m
elb: {resyncRate: 2.5, listenerRecheckPeriod: 6h}
cloud:
  apiLimits: {CreateLoadBalancer: "5:3", "*": 20}
  qps: 50
  burst: 10
  timeout: 45s
orphans: {gc: false, gracePeriod: 1h}
extraArgs: ["--cloud-timeout=1m"]
extraEnv: [{name: HTTPS_PROXY, value: "http://proxy.example.com:3128"}]
resources:
  requests: {cpu: 200m, memory: 128Mi}
  limits: {cpu: null, memory: 512Mi} # null drops the default cpu limit (Helm merges maps)
nodeSelector: {node-role.kubernetes.io/control-plane: ""}
tolerations:
  - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions: [{key: kubernetes.io/os, operator: In, values: [linux]}]
topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway,
     labelSelector: {matchLabels: {app.kubernetes.io/instance: ecm}}}
priorityClassName: system-cluster-critical
podAnnotations: {example.com/owner: edge-team}
podLabels: {team: edge}
podDisruptionBudget: {minAvailable: 2}
terminationGracePeriodSeconds: 60
`

// checkTuned: every value reaches the flag or field it names.
func checkTuned(r *result) {
	o := r.opts
	enabled, _ := o.EnabledControllers()
	le := o.LeaderElection
	type flags struct {
		Controllers                  []string
		PoolServiceSetWorkers, ELB   int
		Lease, LeaseNamespace        string
		LeaseDur, Renew, Retry       time.Duration
		Resync, Recheck, Timeout, Gc time.Duration
		ResyncRate, QPS              float64
		Burst                        int
		GCOrphans, DryRun, Adopt     bool
		APILimits                    map[string]ens.Limit
	}
	got := flags{enabled, o.PoolServiceSetWorkers, o.ELBWorkers, le.ResourceName, le.ResourceNamespace,
		le.LeaseDuration, le.RenewDeadline, le.RetryPeriod, o.ResyncPeriod, o.ELBListenerRecheck, o.CloudTimeout,
		o.OrphanGracePeriod, o.ELBResyncRate, o.CloudQPS, o.CloudBurst, o.GCOrphans, o.DryRun, o.AdoptExisting, o.CloudAPILimits}
	want := flags{[]string{"elb"}, 8, 16, "ecm-leader", "kube-system",
		30 * time.Second, 20 * time.Second, 4 * time.Second, 30 * time.Minute, 6 * time.Hour, time.Minute,
		time.Hour, 2.5, 50, 10, false, true, true, map[string]ens.Limit{"CreateLoadBalancer": {QPS: 5, Burst: 3}, "*": {QPS: 20, Burst: 10}}}
	if d := cmp.Diff(want, got); d != "" {
		r.errorf("flags (-want +got):\n%s", d)
	}
	if !slices.Contains(r.ctr.Args, "--v=4") {
		r.errorf("args %q lack --v=4", r.ctr.Args)
	}
	if r.dep.Name != "ecm-edge-controller-manager" || *r.dep.Spec.Replicas != 3 {
		r.errorf("Deployment %s with %d replicas, want ecm-edge-controller-manager with 3", r.dep.Name, *r.dep.Spec.Replicas)
	}
	if r.ctr.Image != "registry.example.com/edge/ecm:v0.2.0" || r.ctr.ImagePullPolicy != corev1.PullIfNotPresent ||
		!slices.Equal(r.pod.ImagePullSecrets, []corev1.LocalObjectReference{{Name: "regcred"}}) {
		r.errorf("image %s (%s, secrets %v), want registry.example.com/edge/ecm:v0.2.0 IfNotPresent with regcred",
			r.ctr.Image, r.ctr.ImagePullPolicy, r.pod.ImagePullSecrets)
	}
	wantRes := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
	}
	if !equality.Semantic.DeepEqual(r.ctr.Resources, wantRes) {
		r.errorf("resources %v, want %v", r.ctr.Resources, wantRes)
	}
	wantPod := corev1.PodSpec{
		NodeSelector: map[string]string{"node-role.kubernetes.io/control-plane": ""},
		Tolerations:  []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
				{Key: "kubernetes.io/os", Operator: corev1.NodeSelectorOpIn, Values: []string{"linux"}}}}}}}},
		PriorityClassName: "system-cluster-critical",
	}
	gotPod := corev1.PodSpec{NodeSelector: r.pod.NodeSelector, Tolerations: r.pod.Tolerations, Affinity: r.pod.Affinity,
		PriorityClassName: r.pod.PriorityClassName}
	if d := cmp.Diff(wantPod, gotPod); d != "" {
		r.errorf("scheduling (-want +got):\n%s", d)
	}
	if len(r.pod.TopologySpreadConstraints) != 1 || r.pod.TopologySpreadConstraints[0].TopologyKey != "topology.kubernetes.io/zone" {
		r.errorf("topologySpreadConstraints %v", r.pod.TopologySpreadConstraints)
	}
	tmpl := r.dep.Spec.Template
	if tmpl.Labels["team"] != "edge" || tmpl.Annotations["example.com/owner"] != "edge-team" || *r.pod.TerminationGracePeriodSeconds != 60 {
		r.errorf("pod labels %v annotations %v grace %d", tmpl.Labels, tmpl.Annotations, *r.pod.TerminationGracePeriodSeconds)
	}
	if !slices.Contains(r.ctr.Env, corev1.EnvVar{Name: "HTTPS_PROXY", Value: "http://proxy.example.com:3128"}) {
		r.errorf("env %v lacks HTTPS_PROXY", r.ctr.Env)
	}
	if pdb := ofKind[*policyv1.PodDisruptionBudget](r.objs, "PodDisruptionBudget")[0]; pdb.Spec.MinAvailable.IntValue() != 2 {
		r.errorf("PodDisruptionBudget minAvailable %v, want 2", pdb.Spec.MinAvailable)
	}
	for _, role := range ofKind[*rbacv1.Role](r.objs, "Role") {
		if role.Name != "ecm-edge-controller-manager-leader-election" {
			r.errorf("Role %s", role.Name)
		}
	}
}

func (r *result) wantVolumeSecret(name string) {
	for _, v := range r.pod.Volumes {
		if v.Secret != nil && v.Secret.SecretName == name {
			return
		}
	}
	r.errorf("no volume from Secret %s in %v", name, r.pod.Volumes)
}

func (r *result) wantCloudConfig(want ens.ClientConfig) {
	if r.cloudConfig == nil {
		r.errorf("the chart rendered no cloud config Secret")
		return
	}
	if d := cmp.Diff(want, *r.cloudConfig); d != "" {
		r.errorf("cloud config as the manager loads it (-want +got):\n%s", d)
	}
}
