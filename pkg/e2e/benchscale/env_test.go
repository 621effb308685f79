//go:build benchscale

package benchscale

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned"
	"github.com/edge-lb/edge-controller-manager/pkg/manager"
)

const (
	clusterID = "bench"
	managerNS = "edge-controller-manager"
	managerSA = "edge-controller-manager"
	namespace = "bench"
)

// env is one benchmark run: the local control plane (with an audit log
// of the manager's requests), the emulator behind the call proxy, and the
// manager currently measured.
type env struct {
	t      *testing.T
	p      Profile
	dir    string
	repo   string
	bin    string
	start  time.Time
	commit string
	kube   kubernetes.Interface // admin
	yurt   versioned.Interface
	audit  *framework.AuditLog
	clu    *framework.Cluster
	emu    *framework.Emulator
	proxy  *framework.CallProxy
	mgrCfg framework.ManagerConfig
	mgr    *framework.Manager
	ps     *poolServiceWatch

	// passBase is the resync counter before the workload existed; poll
	// polls it from phase 2 on; passEnd is the no-op pass's last enqueue.
	passBase, passEnd int
	poll              *counterPoll
	// probeELBs are the probe's ELB ids by pool.
	probeELBs map[int]string
	// probeWant are the probe ELBs' backends after the moves, by pool.
	probeWant map[int][]string

	stopOnce sync.Once
}

func (e *env) path(name string) string { return filepath.Join(e.dir, name) }

func (e *env) logf(format string, args ...any) {
	e.t.Helper()
	e.t.Logf("[%6.1fs] "+format, append([]any{time.Since(e.start).Seconds()}, args...)...)
}

// newEnv starts everything phase 1 needs but the manager.
func newEnv(t *testing.T, p Profile) *env {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ecm-bench-scale-")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, p: p, dir: dir, start: time.Now()}
	t.Cleanup(func() { e.stop(t.Failed()) })
	// Ctrl-C still stops the cluster, the emulator and the manager.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if sig, ok := <-sigs; ok {
			fmt.Fprintf(os.Stderr, "bench-scale: %v: stopping everything\n", sig)
			e.stop(true)
			os.Exit(1)
		}
	}()
	t.Cleanup(func() { signal.Stop(sigs) })

	if e.repo, err = framework.RepoRoot(); err != nil {
		t.Fatal(err)
	}
	e.bin = e.path("bin")
	if out, err := exec.Command("git", "-C", e.repo, "describe", "--always", "--dirty").Output(); err == nil {
		e.commit = strings.TrimSpace(string(out))
	}
	e.timed("binaries built", func() error { return framework.BuildBinaries(ctx, e.repo, e.bin) })
	e.timed("local cluster up", func() error {
		if e.audit, err = framework.NewAuditLog(e.path("audit"), framework.ServiceAccountUser(managerNS, managerSA)); err != nil {
			return err
		}
		e.clu, err = framework.StartCluster(ctx, e.repo, e.path("cluster"), e.path("local-cluster.log"), e.audit.Env()...)
		return err
	})
	e.timed("clients, CRDs, RBAC", func() error { return e.install(ctx) })
	e.timed("node pools and kwok nodes ready", func() error { return e.createPoolsAndNodes(ctx) })
	e.timed("emulator and call proxy up", func() error { return e.startEmulator(ctx) })
	e.timed("manager configured", func() error { return e.configureManager(ctx) })
	e.ps = watchPoolServices(ctx, t, e.yurt)
	return e
}

func (e *env) timed(what string, fn func() error) {
	e.t.Helper()
	t := time.Now()
	if err := fn(); err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
	e.logf("%s in %s", what, time.Since(t).Round(time.Millisecond))
}

func (e *env) install(ctx context.Context) error {
	cfg, err := e.clu.RESTConfig()
	if err != nil {
		return err
	}
	// Seeding writes tens of thousands of objects: the admin's client is
	// not what is measured, so it may be quick.
	cfg.QPS, cfg.Burst = 2000, 4000
	if e.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	if e.yurt, err = versioned.NewForConfig(cfg); err != nil {
		return err
	}
	rbac := func(f string) string { return filepath.Join(e.repo, "manifests/rbac", f) }
	for _, args := range [][]string{
		{"apply", "-k", filepath.Join(e.repo, "manifests/crds")},
		{"apply", "-f", filepath.Join(e.repo, "manifests/deploy/namespace.yaml")},
		{"apply", "-f", rbac("service_account.yaml"), "-f", rbac("cluster_role.yaml"), "-f", rbac("cluster_role_binding.yaml"),
			"-f", rbac("role.yaml"), "-f", rbac("role_binding.yaml")},
		{"create", "namespace", namespace},
		{"wait", "--for=condition=Established", "--timeout=60s", "crd/nodepools.apps.openyurt.io", "crd/poolservices.network.openyurt.io"},
	} {
		if _, err := e.clu.Kubectl(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// startEmulator runs the emulator with the pools' regions, networks and
// instances, ENS's documented limits (its default) and the round trip,
// and no state file: the emulator rewrites a state file whole after every
// change, which at a thousand ELBs would make it, not the limits, the
// bottleneck. The manager talks to it through the call proxy.
func (e *env) startEmulator(ctx context.Context) error {
	raw, err := json.Marshal(cloudInventory(e.p))
	if err != nil {
		return err
	}
	inv := e.path("inventory.json")
	if err := os.WriteFile(inv, raw, 0o644); err != nil {
		return err
	}
	if e.emu, err = framework.StartEmulator(ctx, filepath.Join(e.bin, "ens-emulator"), e.dir, "--inventory-file="+inv,
		"--state-file=", "--rate-limits=documented", "--round-trip="+e.p.RTT.String()); err != nil {
		return err
	}
	e.proxy, err = framework.StartCallProxy(e.emu.Addr)
	return err
}

// configureManager writes the cloud config (through the proxy) and the
// ServiceAccount kubeconfig. One replica without leader election: a
// restart is then the new process and its informers, not a lease expiry.
func (e *env) configureManager(ctx context.Context) error {
	cloudConfig := e.path("cloud-config.yaml")
	if err := framework.WriteCloudConfig(cloudConfig, e.proxy.Endpoint(), ensemulator.DefaultAccessKeyID,
		ensemulator.DefaultAccessKeySecret, regionID(0)); err != nil {
		return err
	}
	kubeconfig := e.path("manager.kubeconfig")
	if err := e.clu.SAKubeconfig(ctx, e.path("local-cluster.log"), managerNS, managerSA, kubeconfig); err != nil {
		return err
	}
	e.mgrCfg = framework.ManagerConfig{Bin: filepath.Join(e.bin, "edge-controller-manager"), Kubeconfig: kubeconfig,
		CloudConfig: cloudConfig, ClusterID: clusterID, LeaseNamespace: managerNS, LogDir: e.dir,
		Env: []string{"GOMEMLIMIT=" + strconv.FormatInt(softMemoryLimit(), 10)}}
	return nil
}

// softMemoryLimit is the Go soft memory limit the manager sets itself in
// the Deployment's container (manifests/deploy: limits.memory 256Mi, times
// --memory-limit-ratio): the bench's manager runs outside a container, so
// it is given as GOMEMLIMIT.
func softMemoryLimit() int64 {
	return int64(float64(DeploymentMemoryLimit) * manager.NewOptions().MemoryLimitRatio)
}

// managerArgs are the measured manager's flags beyond the framework's.
func (e *env) managerArgs(resync time.Duration, extra ...string) []string {
	args := []string{"--leader-elect=false", "--resync-period=" + resync.String(),
		"--elb-resync-rate=" + strconv.FormatFloat(e.p.ResyncRate, 'g', -1, 64), "--v=" + strconv.Itoa(e.p.Verbosity), "--profiling"}
	if e.p.ELBWorkers > 0 {
		args = append(args, "--elb-workers="+strconv.Itoa(e.p.ELBWorkers))
	}
	return append(args, extra...)
}

// startManager starts a manager named name with args and waits until its
// caches are synced.
func (e *env) startManager(ctx context.Context, name string, args []string) *framework.Manager {
	e.t.Helper()
	cfg := e.mgrCfg
	cfg.ExtraArgs = args
	m, err := framework.StartManager(ctx, cfg, name)
	if err != nil {
		e.t.Fatal(err)
	}
	e.mgr = m
	return m
}

// stop tears everything down; a failed run (or BENCH_SCALE_KEEP=1) keeps
// its directory with every log.
func (e *env) stop(failed bool) {
	e.stopOnce.Do(func() {
		if e.mgr != nil {
			_ = e.mgr.Kill()
		}
		if e.proxy != nil {
			_ = e.proxy.Close()
		}
		if e.emu != nil {
			_ = e.emu.Stop(10 * time.Second)
		}
		keep := failed || os.Getenv("BENCH_SCALE_KEEP") == "1"
		if e.clu != nil {
			if err := e.clu.Stop(context.Background(), e.path("local-cluster.log"), keep); err != nil {
				e.t.Logf("down.sh: %v", err)
			}
		}
		if keep {
			e.t.Logf("logs and state kept in %s", e.dir)
			return
		}
		_ = os.RemoveAll(e.dir)
	})
}

// metric reads one series sum of the current manager.
func (e *env) metric(name string, labels map[string]string) float64 {
	e.t.Helper()
	v, err := e.mgr.Metric(name, labels)
	if err != nil {
		e.t.Fatalf("metric %s: %v", name, err)
	}
	return v
}

// throttled reads the emulator's throttling counters since its last reset.
func (e *env) throttled() map[string]int {
	e.t.Helper()
	st, err := e.emu.Calls()
	if err != nil {
		e.t.Fatal(err)
	}
	if st.Throttled == nil {
		return map[string]int{}
	}
	return st.Throttled
}

func (e *env) resetCalls() {
	e.t.Helper()
	if err := e.emu.ResetCalls(); err != nil {
		e.t.Fatal(err)
	}
}
