package manager

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

func newTestFlagSet(o *Options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.AddFlags(fs)
	return fs
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // substring; "" means valid
	}{
		{"minimal", []string{"--cluster-id=c1"}, ""},
		{"all flags", []string{"--cluster-id=ack-edge-01", "--kubeconfig=/k", "--master=https://x", "--controllers=*,-elb",
			"--poolservice-set-workers=3", "--elb-workers=8", "--leader-elect=false", "--leader-elect-lease-duration=30s",
			"--leader-elect-renew-deadline=20s", "--leader-elect-retry-period=3s", "--leader-elect-resource-namespace=kube-system",
			"--leader-elect-resource-name=ecm", "--metrics-bind-address=0", "--health-probe-bind-address=:9000",
			"--cloud-config=/etc/cc.yaml", "--cloud-api-limits=CreateLoadBalancer=5:5", "--cloud-qps=5", "--cloud-burst=7", "--resync-period=1m", "--gc-orphans",
			"--orphan-grace-period=1h", "-v=4"}, ""},
		{"cluster id 64 chars", []string{"--cluster-id=" + strings.Repeat("a", 64)}, ""},
		{"missing cluster id", nil, "--cluster-id is required"},
		{"cluster id 65 chars", []string{"--cluster-id=" + strings.Repeat("a", 65)}, "longer than 64"},
		{"cluster id with slash", []string{"--cluster-id=a/b"}, "lowercase letters"},
		{"cluster id uppercase", []string{"--cluster-id=Prod"}, "lowercase letters"},
		{"cluster id leading dash", []string{"--cluster-id=-a"}, "start and end"},
		{"cluster id trailing dash", []string{"--cluster-id=a-"}, "start and end"},
		{"cluster id with dot", []string{"--cluster-id=a.b"}, "lowercase letters"},
		{"unknown controller", []string{"--cluster-id=c", "--controllers=foo"}, `unknown controller "foo"`},
		{"unknown disabled controller", []string{"--cluster-id=c", "--controllers=*,-foo"}, `unknown controller "-foo"`},
		{"no controller", []string{"--cluster-id=c", "--controllers=-elb"}, "enables no controller"},
		{"zero workers", []string{"--cluster-id=c", "--elb-workers=0"}, "at least 1"},
		{"renew >= lease", []string{"--cluster-id=c", "--leader-elect-renew-deadline=15s"}, "lease-duration (15s) > renew-deadline (15s)"},
		{"retry >= renew", []string{"--cluster-id=c", "--leader-elect-retry-period=10s"}, "renew-deadline"},
		{"bad durations ignored without election", []string{"--cluster-id=c", "--leader-elect=false", "--leader-elect-retry-period=0"}, ""},
		{"empty lease namespace", []string{"--cluster-id=c", "--leader-elect-resource-namespace="}, "must not be empty"},
		{"no overall cap", []string{"--cluster-id=c", "--cloud-qps=0"}, ""},
		{"negative qps", []string{"--cluster-id=c", "--cloud-qps=-1"}, "--cloud-qps"},
		{"negative burst", []string{"--cluster-id=c", "--cloud-qps=5", "--cloud-burst=-1"}, "--cloud-burst"},
		{"negative resync rate", []string{"--cluster-id=c", "--elb-resync-rate=-1"}, "--elb-resync-rate"},
		{"negative listener recheck", []string{"--cluster-id=c", "--elb-listener-recheck-period=-1s"}, "--elb-listener-recheck-period"},
		{"zero resync", []string{"--cluster-id=c", "--resync-period=0"}, "--resync-period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			if err := newTestFlagSet(o).Parse(tt.args); err != nil {
				t.Fatalf("parse: %v", err)
			}
			err := o.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Fatalf("error %q is not one line", err)
			}
		})
	}
}

func TestFlagValuesLandInOptions(t *testing.T) {
	o := NewOptions()
	args := []string{"--cluster-id=c1", "--elb-workers=9", "--leader-elect-lease-duration=40s", "--cloud-burst=3", "--gc-orphans", "--orphan-grace-period=2h"}
	if err := newTestFlagSet(o).Parse(args); err != nil {
		t.Fatal(err)
	}
	if o.ClusterID != "c1" || o.ELBWorkers != 9 || o.LeaderElection.LeaseDuration != 40*time.Second ||
		o.CloudBurst != 3 || !o.GCOrphans || o.OrphanGracePeriod != 2*time.Hour {
		t.Errorf("options %+v do not reflect %v", o, args)
	}
}

func TestCloudAPILimitsFlag(t *testing.T) {
	o := NewOptions()
	if o.CloudAPILimits != nil || o.CloudQPS != 0 {
		t.Errorf("defaults: API limits %v, qps %v; want the documented limits and no overall cap", o.CloudAPILimits, o.CloudQPS)
	}
	fs := newTestFlagSet(o)
	args := []string{"--cluster-id=c1", "--cloud-api-limits=CreateLoadBalancer=5:5,AddBackendServers=10:20", "--cloud-api-limits", "*=50,CreateLoadBalancer=4"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	want := map[string]ens.Limit{"CreateLoadBalancer": {QPS: 4, Burst: 2}, "AddBackendServers": {QPS: 10, Burst: 20}, ens.AllActions: {QPS: 50, Burst: 25}}
	if diff := cmp.Diff(want, o.CloudAPILimits); diff != "" {
		t.Errorf("--cloud-api-limits (-want +got):\n%s", diff)
	}
	if got := fs.Lookup("cloud-api-limits").Value.String(); got != "*=50:25,AddBackendServers=10:20,CreateLoadBalancer=4:2" {
		t.Errorf("flag value shown as %q", got)
	}
}

func TestDefaultLeaseNamespace(t *testing.T) {
	t.Setenv(PodNamespaceEnv, "")
	if ns := NewOptions().LeaderElection.ResourceNamespace; ns != DefaultLeaseNamespace {
		t.Errorf("without %s: %q, want %q", PodNamespaceEnv, ns, DefaultLeaseNamespace)
	}
	t.Setenv(PodNamespaceEnv, "kube-system")
	o := NewOptions()
	if o.LeaderElection.ResourceNamespace != "kube-system" || o.LeaderElection.ResourceName != DefaultLeaseName || !o.LeaderElection.Enabled {
		t.Errorf("with %s=kube-system: %+v", PodNamespaceEnv, o.LeaderElection)
	}
}

func TestEnabledControllers(t *testing.T) {
	tests := []struct {
		flag []string
		want []string
	}{
		{[]string{"*"}, []string{"elb", "poolservice-set"}},
		{[]string{"*", "-poolservice-set"}, []string{"elb"}},
		{[]string{"-poolservice-set", "*"}, []string{"elb"}},
		{[]string{"poolservice-set"}, []string{"poolservice-set"}},
		{[]string{"elb", "poolservice-set"}, []string{"elb", "poolservice-set"}},
		{[]string{" elb "}, []string{"elb"}},
		{[]string{"elb", "-elb", "poolservice-set"}, []string{"poolservice-set"}},
	}
	for _, tt := range tests {
		o := NewOptions()
		o.Controllers = tt.flag
		got, err := o.EnabledControllers()
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("--controllers=%v: got %v, %v; want %v", tt.flag, got, err, tt.want)
		}
	}
	if got := KnownControllers(); !slices.Equal(got, []string{"elb", "poolservice-set"}) {
		t.Errorf("KnownControllers() = %v", got)
	}
}

// TestMainConfigErrors checks that a bad command line exits non-zero with
// one clear line and starts nothing.
func TestMainConfigErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "edge-controller-manager: --cluster-id is required\n"},
		{[]string{"--bogus"}, "edge-controller-manager: unknown flag: --bogus\n"},
		{[]string{"--cluster-id=c", "--elb-workers=x"}, "edge-controller-manager: invalid argument \"x\" for \"--elb-workers\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n"},
		{[]string{"--cluster-id=c", "--controllers=nope"}, "edge-controller-manager: --controllers: unknown controller \"nope\" (known: elb, poolservice-set)\n"},
		{[]string{"--cluster-id=c", "extra"}, "edge-controller-manager: unexpected arguments [\"extra\"]\n"},
		{[]string{"--cluster-id=c", "--cloud-api-limits=CreateLoadBalancer=0"}, "edge-controller-manager: invalid argument \"CreateLoadBalancer=0\" for \"--cloud-api-limits\" flag: API limit CreateLoadBalancer=0:1: qps must be positive and burst at least 1\n"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if code := Main(tt.args, &stderr); code != 2 {
			t.Errorf("Main(%v) = %d, want 2", tt.args, code)
		}
		if stderr.String() != tt.want {
			t.Errorf("Main(%v) printed %q, want %q", tt.args, stderr.String(), tt.want)
		}
	}
	var stderr bytes.Buffer
	if code := Main([]string{"--help"}, &stderr); code != 0 || !strings.Contains(stderr.String(), "--cluster-id") {
		t.Errorf("--help: code %d, output %q", code, stderr.String())
	}
}
