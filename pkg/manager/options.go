package manager

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

// Defaults of the manager's flags.
const (
	DefaultLeaseName      = "edge-controller-manager"
	DefaultLeaseNamespace = "edge-controller-manager"
	// PodNamespaceEnv names the downward-API variable holding the pod's
	// namespace; it is the default lease namespace when set.
	PodNamespaceEnv = "POD_NAMESPACE"
	// MaxClusterIDLength bounds --cluster-id: it is part of every cloud
	// resource name (k8s/svc/ns/pool/cluster), which ENS limits in length.
	MaxClusterIDLength = 64
)

var clusterIDPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// LeaderElectionOptions configure leader election on a coordination Lease.
type LeaderElectionOptions struct {
	Enabled           bool
	LeaseDuration     time.Duration
	RenewDeadline     time.Duration
	RetryPeriod       time.Duration
	ResourceNamespace string
	ResourceName      string
}

// Options are the manager's command-line settings.
type Options struct {
	Kubeconfig string
	Master     string
	ClusterID  string
	// Controllers is the --controllers list: "*", "name" or "-name".
	Controllers           []string
	PoolServiceSetWorkers int
	ELBWorkers            int
	LeaderElection        LeaderElectionOptions
	// MetricsBindAddress and HealthProbeBindAddress are host:port; "0"
	// switches the server off.
	MetricsBindAddress string
	// MemoryLimitRatio is the share of the container's memory limit (its
	// cgroup's) set as the Go soft memory limit; 0 sets none. GOMEMLIMIT,
	// when set, wins. The rest of the limit holds what the runtime does not
	// count: the binary's resident code (45 MiB at 20,000 PoolServices).
	MemoryLimitRatio float64
	// Profiling serves net/http/pprof under /debug/pprof/ on the metrics
	// address.
	Profiling              bool
	HealthProbeBindAddress string
	CloudConfig            string
	// KubeAPIQPS and KubeAPIBurst bound the manager's requests to the API
	// server.
	KubeAPIQPS   float32
	KubeAPIBurst int
	// CloudAPILimits override the client's per-action budgets (the
	// documented per-AccessKey limits); CloudQPS/CloudBurst, when QPS > 0,
	// cap all actions together on top.
	CloudAPILimits    map[string]ens.Limit
	CloudQPS          float64
	CloudBurst        int
	CloudTimeout      time.Duration
	ResyncPeriod      time.Duration
	GCOrphans         bool
	OrphanGracePeriod time.Duration
	// ELBResyncRate caps the PoolServices per second the periodic ELB
	// resync looks at; ELBListenerRecheck is how long unchanged listeners
	// go without a full read (0: the controller's defaults).
	ELBResyncRate      float64
	ELBListenerRecheck time.Duration
	// DryRun plans and reports without changing anything (see --dry-run).
	DryRun bool
	// AdoptExisting adopts ELBs and EIPs named by our scheme that another
	// controller made (see --adopt-existing).
	AdoptExisting bool
}

// NewOptions returns Options with every default set.
func NewOptions() *Options {
	ns := os.Getenv(PodNamespaceEnv)
	if ns == "" {
		ns = DefaultLeaseNamespace
	}
	return &Options{
		Controllers:           []string{"*"},
		PoolServiceSetWorkers: 2,
		ELBWorkers:            16,
		KubeAPIQPS:            100,
		KubeAPIBurst:          200,
		LeaderElection: LeaderElectionOptions{
			Enabled:           true,
			LeaseDuration:     15 * time.Second,
			RenewDeadline:     10 * time.Second,
			RetryPeriod:       2 * time.Second,
			ResourceNamespace: ns,
			ResourceName:      DefaultLeaseName,
		},
		MetricsBindAddress:     ":8080",
		HealthProbeBindAddress: ":8081",
		CloudTimeout:           30 * time.Second,
		ResyncPeriod:           10 * time.Minute,
		GCOrphans:              true,
		OrphanGracePeriod:      10 * time.Minute,
		MemoryLimitRatio:       0.8,
	}
}

// AddFlags registers the manager's flags and klog's on fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig; empty means in-cluster configuration.")
	fs.StringVar(&o.Master, "master", o.Master, "Address of the Kubernetes API server (overrides the kubeconfig).")
	fs.StringVar(&o.ClusterID, "cluster-id", o.ClusterID, "Identifier of this cluster (required): part of the name of every ELB and EIP, k8s/<svc>/<ns>/<pool>/<cluster-id>. Lowercase letters, digits and '-', at most 64 characters.")
	fs.StringSliceVar(&o.Controllers, "controllers", o.Controllers, fmt.Sprintf("Controllers to run: '*' runs all, 'foo' enables foo, '-foo' disables foo. Known: %s.", strings.Join(KnownControllers(), ", ")))
	fs.IntVar(&o.PoolServiceSetWorkers, "poolservice-set-workers", o.PoolServiceSetWorkers, "Services the poolservice-set controller syncs concurrently.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "Requests per second to the API server (status, finalizers, ownership records, Events). A PoolService takes a few writes while it is being provisioned: at thousands of them a lower rate, not ENS, bounds how fast they converge.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst of --kube-api-qps.")
	fs.IntVar(&o.ELBWorkers, "elb-workers", o.ELBWorkers, "PoolServices the elb controller syncs concurrently (a sync waiting on one ENS action's budget holds a worker, so more workers let other actions go on).")
	le := &o.LeaderElection
	fs.BoolVar(&le.Enabled, "leader-elect", le.Enabled, "Elect a leader on a coordination Lease before running the controllers (needed with more than one replica).")
	fs.DurationVar(&le.LeaseDuration, "leader-elect-lease-duration", le.LeaseDuration, "How long non-leaders wait before taking over an unrenewed lease.")
	fs.DurationVar(&le.RenewDeadline, "leader-elect-renew-deadline", le.RenewDeadline, "How long the leader retries renewing before giving up leadership.")
	fs.DurationVar(&le.RetryPeriod, "leader-elect-retry-period", le.RetryPeriod, "How long to wait between tries to acquire or renew the lease.")
	fs.StringVar(&le.ResourceNamespace, "leader-elect-resource-namespace", le.ResourceNamespace, "Namespace of the lease; the default is $POD_NAMESPACE when set.")
	fs.StringVar(&le.ResourceName, "leader-elect-resource-name", le.ResourceName, "Name of the lease.")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress, "Address the /metrics endpoint listens on; '0' switches it off.")
	fs.Float64Var(&o.MemoryLimitRatio, "memory-limit-ratio", o.MemoryLimitRatio, "Share of the container's memory limit (read from its cgroup) set as the Go soft memory limit, so that the heap is collected before the container is killed; 0 sets none. GOMEMLIMIT, when set, wins.")
	fs.BoolVar(&o.Profiling, "profiling", o.Profiling, "Serve Go profiles (net/http/pprof) under /debug/pprof/ on the metrics address.")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress, "Address the /healthz and /readyz endpoints listen on; '0' switches them off.")
	fs.StringVar(&o.CloudConfig, "cloud-config", o.CloudConfig, "Path to the ENS cloud config file (YAML/JSON: accessKeyID, accessKeySecret, securityToken, region, endpoint, scheme, insecureSkipVerify); credentials may also come from ALIBABA_CLOUD_* environment variables.")
	fs.Var(apiLimitsValue{&o.CloudAPILimits}, "cloud-api-limits", "Client-side rate limits of ENS OpenAPI actions, ACTION=QPS[:BURST] (comma list, repeatable; ACTION '*' is every action without an entry of its own; BURST defaults to half of QPS). Each action has its own budget, by default ENS's documented per-AccessKey limit (e.g. CreateLoadBalancer=5:3, AddBackendServers=10:5, CreateEipInstance=50:25), and a Throttling answer slows only that action.")
	fs.Float64Var(&o.CloudQPS, "cloud-qps", o.CloudQPS, "Cap on ENS OpenAPI calls per second of all actions together, on top of --cloud-api-limits; 0 = no such cap.")
	fs.IntVar(&o.CloudBurst, "cloud-burst", o.CloudBurst, "Burst of the --cloud-qps cap; 0 = half of --cloud-qps, rounded up.")
	fs.DurationVar(&o.CloudTimeout, "cloud-timeout", o.CloudTimeout, "Timeout of one ENS OpenAPI call.")
	fs.DurationVar(&o.ResyncPeriod, "resync-period", o.ResyncPeriod, "How often every object is resynced (and cloud state re-read) even without changes.")
	fs.BoolVar(&o.DryRun, "dry-run", o.DryRun, "Run the informers and compute every plan, and report what would change (a log line, a DryRun Event and edge_controller_manager_dry_run_planned_total per planned change) without changing it: no mutating ENS call, no write to the API server but Events. Takes no part in leader election (it never holds the Lease a running manager needs), so it can run next to one.")
	fs.BoolVar(&o.AdoptExisting, "adopt-existing", o.AdoptExisting, "Adopt the ELB and EIP named k8s/<svc>/<ns>/<pool>/<cluster-id> that another controller made (a migration): they keep their ids and addresses and are managed, and released on deletion, from then on. Per Service: the annotation "+apis.AnnotationAdoptExisting+": \"true\". Without either they are never touched. Try it with --dry-run first.")
	fs.Float64Var(&o.ELBResyncRate, "elb-resync-rate", o.ELBResyncRate, "PoolServices per second the periodic ELB resync looks at, at most (each costs about one DescribeLoadBalancerAttribute); its share of the ENS budget, so that event-driven work keeps the rest. A --resync-period it cannot fill is stretched (logged, metric edge_controller_manager_elb_resync_stretched_seconds). 0 = 5.")
	fs.DurationVar(&o.ELBListenerRecheck, "elb-listener-recheck-period", o.ELBListenerRecheck, "How long an ELB's listeners go without a full read while the ELB's summary shows them unchanged (a listener stopped or re-tuned by hand with its ports kept is repaired within it; all other drift within --resync-period). 0 = 24 resync periods.")
	fs.BoolVar(&o.GCOrphans, "gc-orphans", o.GCOrphans, "Release ELBs and EIPs named k8s/*/*/*/<cluster-id> that no PoolService owns any more, after --orphan-grace-period. Nothing with another name is ever released.")
	fs.DurationVar(&o.OrphanGracePeriod, "orphan-grace-period", o.OrphanGracePeriod, "How long an orphaned ELB or EIP must stay orphaned before --gc-orphans releases it.")

	gofs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(gofs)
	fs.AddGoFlagSet(gofs)
}

// Validate checks the options; the error is one line meant for the user.
func (o *Options) Validate() error {
	if err := ValidateClusterID(o.ClusterID); err != nil {
		return err
	}
	if _, err := o.EnabledControllers(); err != nil {
		return err
	}
	if !(o.KubeAPIQPS > 0) || o.KubeAPIBurst < 1 {
		return errors.New("--kube-api-qps must be positive and --kube-api-burst at least 1")
	}
	if o.PoolServiceSetWorkers < 1 || o.ELBWorkers < 1 {
		return errors.New("--poolservice-set-workers and --elb-workers must be at least 1")
	}
	if err := o.LeaderElection.validate(); err != nil {
		return err
	}
	if o.CloudQPS < 0 || o.CloudBurst < 0 {
		return errors.New("--cloud-qps and --cloud-burst must not be negative")
	}
	if o.CloudTimeout <= 0 || o.ResyncPeriod <= 0 || o.OrphanGracePeriod < 0 {
		return errors.New("--cloud-timeout and --resync-period must be positive, --orphan-grace-period not negative")
	}
	if o.ELBResyncRate < 0 || o.ELBListenerRecheck < 0 {
		return errors.New("--elb-resync-rate and --elb-listener-recheck-period must not be negative")
	}
	if !(o.MemoryLimitRatio >= 0 && o.MemoryLimitRatio < 1) {
		return errors.New("--memory-limit-ratio must be at least 0 and below 1")
	}
	return nil
}

func (le *LeaderElectionOptions) validate() error {
	if !le.Enabled {
		return nil
	}
	if le.ResourceNamespace == "" || le.ResourceName == "" {
		return errors.New("--leader-elect-resource-namespace and --leader-elect-resource-name must not be empty")
	}
	if le.RetryPeriod <= 0 || le.RenewDeadline <= le.RetryPeriod || le.LeaseDuration <= le.RenewDeadline {
		return fmt.Errorf("leader election durations must satisfy lease-duration (%s) > renew-deadline (%s) > retry-period (%s) > 0",
			le.LeaseDuration, le.RenewDeadline, le.RetryPeriod)
	}
	return nil
}

// ValidateClusterID checks a cluster id: it ends up inside cloud resource
// names separated by '/', so it is a DNS-label-like string.
func ValidateClusterID(id string) error {
	switch {
	case id == "":
		return errors.New("--cluster-id is required")
	case len(id) > MaxClusterIDLength:
		return fmt.Errorf("--cluster-id %q is longer than %d characters", id, MaxClusterIDLength)
	case !clusterIDPattern.MatchString(id):
		return fmt.Errorf("--cluster-id %q must consist of lowercase letters, digits and '-', and start and end with a letter or digit", id)
	}
	return nil
}

// EnabledControllers resolves --controllers into the sorted names of the
// controllers to run, kube-controller-manager style.
func (o *Options) EnabledControllers() ([]string, error) {
	known := KnownControllers()
	all := false
	on, off := map[string]bool{}, map[string]bool{}
	for _, raw := range o.Controllers {
		name := strings.TrimSpace(raw)
		switch {
		case name == "*":
			all = true
			continue
		case strings.HasPrefix(name, "-"):
			name = name[1:]
			off[name] = true
		default:
			on[name] = true
		}
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("--controllers: unknown controller %q (known: %s)", raw, strings.Join(known, ", "))
		}
	}
	var enabled []string
	for _, name := range known {
		if !off[name] && (all || on[name]) {
			enabled = append(enabled, name)
		}
	}
	if len(enabled) == 0 {
		return nil, fmt.Errorf("--controllers %q enables no controller", strings.Join(o.Controllers, ","))
	}
	return enabled, nil
}

// apiLimitsValue is the --cloud-api-limits flag: every value is parsed
// when given (a bad one fails the command line) and merged into one map,
// a later entry for an action winning.
type apiLimitsValue struct{ limits *map[string]ens.Limit }

func (v apiLimitsValue) String() string {
	if v.limits == nil {
		return ""
	}
	return ens.FormatAPILimits(*v.limits)
}

func (v apiLimitsValue) Set(s string) error {
	parsed, err := ens.ParseAPILimits([]string{s})
	if err != nil {
		return err
	}
	if *v.limits == nil {
		*v.limits = map[string]ens.Limit{}
	}
	maps.Copy(*v.limits, parsed)
	return nil
}

func (apiLimitsValue) Type() string { return "action=qps:burst" }
