//go:build soak

package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned"
)

// env is everything a soak run drives: the local cluster, the emulator,
// the manager replicas and a console user with their own AccessKey.
type env struct {
	dir, repo string
	seed      uint64
	cluster   *framework.Cluster
	kube      kubernetes.Interface
	yurt      versioned.Interface
	emu       *framework.Emulator
	// rec sits between the managers and the emulator and keeps every
	// mutating call they make, for the oracle.
	rec  *framework.CallRecorder
	mgrs *framework.Replicas
	user *ens.Client
	// userELBs maps userELBDef keys to the ids of the user's ELBs now;
	// userEIPs maps them to the EIP the user made for that ELB.
	userELBs, userEIPs map[string]string
	// deadELBs are the user's ELBs the user released, by id, with their key.
	deadELBs map[string]string
	// ledger is what the user made and how they left it.
	ledger *ledger
	// workloadEnd is when the workload stops.
	workloadEnd time.Time
	logf        func(format string, args ...any)

	stopOnce sync.Once
}

// start brings everything up; on error what was started is stopped by stop.
func (e *env) start(ctx context.Context) error {
	var err error
	if e.repo, err = framework.RepoRoot(); err != nil {
		return err
	}
	bin := filepath.Join(e.dir, "bin")
	if err := e.timed("binaries built", func() error { return framework.BuildBinaries(ctx, e.repo, bin) }); err != nil {
		return err
	}
	err = e.timed("local cluster up", func() (err error) {
		// up.sh picks free ports before it binds them; on a busy machine
		// another process may take one first, so try once more elsewhere.
		for _, dir := range []string{"cluster", "cluster-retry"} {
			if e.cluster, err = framework.StartCluster(ctx, e.repo, e.path(dir), e.path("local-cluster.log")); err == nil {
				return nil
			}
			e.logf("local cluster did not come up (%v); retrying", firstLine(err))
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := e.clients(); err != nil {
		return err
	}
	if err := e.timed("CRDs and RBAC installed", func() error { return e.install(ctx) }); err != nil {
		return err
	}
	if err := e.startEmulator(ctx, bin); err != nil {
		return err
	}
	return e.timed("two manager replicas ready", func() error { return e.startManagers(ctx, bin) })
}

func (e *env) timed(what string, fn func() error) error {
	t := time.Now()
	if err := fn(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	e.logf("%s in %s", what, time.Since(t).Round(time.Millisecond))
	return nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func (e *env) path(name string) string { return filepath.Join(e.dir, name) }

func (e *env) clients() error {
	cfg, err := e.cluster.RESTConfig()
	if err != nil {
		return err
	}
	if e.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	e.yurt, err = versioned.NewForConfig(cfg)
	return err
}

// install applies the CRDs and the manager's namespace and RBAC.
func (e *env) install(ctx context.Context) error {
	rbac := func(f string) string { return filepath.Join(e.repo, "manifests/rbac", f) }
	steps := [][]string{
		{"apply", "-k", filepath.Join(e.repo, "manifests/crds")},
		{"apply", "-f", filepath.Join(e.repo, "manifests/deploy/namespace.yaml")},
		{"apply", "-f", rbac("service_account.yaml"), "-f", rbac("cluster_role.yaml"), "-f", rbac("cluster_role_binding.yaml"),
			"-f", rbac("role.yaml"), "-f", rbac("role_binding.yaml")},
		{"wait", "--for=condition=Established", "--timeout=60s", "crd/nodepools.apps.openyurt.io", "crd/poolservices.network.openyurt.io"},
	}
	for _, args := range steps {
		if _, err := e.cluster.Kubectl(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// startEmulator runs the emulator with the soak's inventory, the user's
// second AccessKey and -v=2 (every injected fault is logged, and counted).
func (e *env) startEmulator(ctx context.Context, bin string) error {
	raw, err := json.MarshalIndent(soakInventory(), "", "  ")
	if err != nil {
		return err
	}
	inv := e.path("soak-inventory.json")
	if err := os.WriteFile(inv, raw, 0o644); err != nil {
		return err
	}
	e.emu, err = framework.StartEmulator(ctx, filepath.Join(bin, "ens-emulator"), e.dir, "--inventory-file="+inv,
		"--access-key="+userKeyID+":"+userKeySecret, fmt.Sprintf("--seed=%d", e.seed), "--v=2")
	if err != nil {
		return err
	}
	e.user, err = ens.NewClient(ens.ClientConfig{AccessKeyID: userKeyID, AccessKeySecret: userKeySecret, Region: hefei.region,
		Endpoint: e.emu.Endpoint(), Scheme: "HTTP", QPS: 50, Burst: 50, Timeout: 5 * time.Second})
	return err
}

// startManagers starts two replicas at once, talking to the emulator
// through the call recorder. Short leases make a failover take seconds; a
// short orphan grace period and resync put the orphan sweep and the drift
// repair in the soak too.
func (e *env) startManagers(ctx context.Context, bin string) error {
	var err error
	if e.rec, err = framework.StartCallRecorder(e.emu.Endpoint(), e.path("ens-calls.jsonl")); err != nil {
		return err
	}
	cloudConfig := e.path("cloud-config.yaml")
	if err := framework.WriteCloudConfig(cloudConfig, e.rec.Endpoint(), controllerKeyID, ensemulator.DefaultAccessKeySecret,
		hefei.region); err != nil {
		return err
	}
	kubeconfig := e.path("manager.kubeconfig")
	if err := e.cluster.SAKubeconfig(ctx, e.path("local-cluster.log"), managerNS, managerSA, kubeconfig); err != nil {
		return err
	}
	e.mgrs = &framework.Replicas{Cfg: framework.ManagerConfig{
		Bin: filepath.Join(bin, "edge-controller-manager"), Kubeconfig: kubeconfig, CloudConfig: cloudConfig,
		ClusterID: clusterID, LeaseNamespace: managerNS, LogDir: e.dir,
		ExtraArgs: []string{"--leader-elect-lease-duration=6s", "--leader-elect-renew-deadline=4s",
			"--leader-elect-retry-period=1s", "--orphan-grace-period=20s", "--resync-period=30s", "--v=2"},
	}}
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := e.mgrs.Start(ctx); errs <- err }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			return err
		}
	}
	_, err = e.mgrs.WaitLeader(ctx, 30*time.Second)
	return err
}

// stop tears everything down; a failed run keeps its directory.
func (e *env) stop(ctx context.Context, failed bool) {
	e.stopOnce.Do(func() {
		if e.mgrs != nil {
			e.mgrs.StopAll(10 * time.Second)
		}
		if e.emu != nil {
			_ = e.emu.Stop(10 * time.Second)
		}
		if e.rec != nil {
			_ = e.rec.Close()
		}
		keep := failed || os.Getenv("SOAK_KEEP") == "1"
		if e.cluster != nil {
			if err := e.cluster.Stop(ctx, e.path("local-cluster.log"), keep); err != nil {
				e.logf("down.sh: %v", err)
			}
		} else if _, err := os.Stat(e.path("cluster")); err == nil {
			keep = true // up.sh failed half way and stopped what it started
		}
		if keep {
			e.logf("logs and state kept in %s", e.dir)
			return
		}
		_ = os.RemoveAll(e.dir)
	})
}

// tails prints the end of every manager's and the emulator's log.
func (e *env) tails(lines int) string {
	out := ""
	if e.mgrs != nil {
		for _, m := range e.mgrs.All() {
			out += fmt.Sprintf("\n===== last lines of %s =====\n%s\n", m.LogPath, m.Tail(lines))
		}
	}
	if e.emu != nil {
		out += fmt.Sprintf("\n===== last lines of %s =====\n%s\n", e.emu.LogPath, e.emu.Tail(lines/2))
	}
	return out
}
