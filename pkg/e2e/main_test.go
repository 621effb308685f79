//go:build e2e

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned"
)

const (
	clusterID      = "e2e-cluster"
	managerNS      = "edge-controller-manager"
	managerSA      = "edge-controller-manager"
	defaultTimeout = 60 * time.Second
)

// suite is what every test shares: one cluster, one emulator and the
// manager replicas currently running (tests may kill and add replicas).
type suite struct {
	dir      string
	repo     string
	cluster  *framework.Cluster
	kube     kubernetes.Interface
	yurt     versioned.Interface
	emu      *framework.Emulator
	mgrCfg   framework.ManagerConfig
	managers []*framework.Manager
	replicas int // names replicas uniquely

	teardownOnce sync.Once

	// audit logs every request of the manager's ServiceAccount (rbac_test.go).
	audit *framework.AuditLog
}

var s *suite

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) (code int) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ecm-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	s = &suite{dir: dir}
	t0 := time.Now()
	defer func() { code = s.teardown(ctx, code) }()
	// Ctrl-C still stops the cluster, the emulator and the managers.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "e2e: %v: stopping everything\n", sig)
		os.Exit(s.teardown(ctx, 1))
	}()
	if err := s.setup(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "e2e setup failed after %s: %v\n", time.Since(t0).Round(time.Millisecond), err)
		return 1
	}
	fmt.Printf("e2e setup done in %s (dir %s)\n", time.Since(t0).Round(time.Millisecond), dir)
	code = m.Run()
	if code == 0 {
		if err := s.checkNoLeaks(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "e2e leak check failed:", err)
			code = 1
		}
	}
	return code
}

func (s *suite) setup(ctx context.Context) error {
	var err error
	if s.repo, err = framework.RepoRoot(); err != nil {
		return err
	}
	bin := filepath.Join(s.dir, "bin")
	t := time.Now()
	if err := framework.BuildBinaries(ctx, s.repo, bin); err != nil {
		return err
	}
	fmt.Printf("e2e: binaries built in %s\n", time.Since(t).Round(time.Millisecond))
	t = time.Now()
	if s.audit, err = framework.NewAuditLog(filepath.Join(s.dir, "audit"), framework.ServiceAccountUser(managerNS, managerSA),
		framework.ServiceAccountUser(managerNS, dryRunSA)); err != nil {
		return err
	}
	s.cluster, err = framework.StartCluster(ctx, s.repo, filepath.Join(s.dir, "cluster"), s.log("local-cluster"), s.audit.Env()...)
	if err != nil {
		return err
	}
	fmt.Printf("e2e: local cluster up in %s\n", time.Since(t).Round(time.Millisecond))
	if err := s.clients(); err != nil {
		return err
	}
	if err := s.install(ctx); err != nil {
		return err
	}
	// A second AccessKey for the --dry-run manager (dryrun_test.go), so that
	// the emulator counts its calls apart.
	if s.emu, err = framework.StartEmulator(ctx, filepath.Join(bin, "ens-emulator"), s.dir,
		framework.AccessKeyArg(dryRunAccessKeyID, dryRunAccessKeySecret)); err != nil {
		return err
	}
	cloudConfig := filepath.Join(s.dir, "cloud-config.yaml")
	if err := framework.WriteCloudConfig(cloudConfig, s.emu.Endpoint(), ensemulator.DefaultAccessKeyID,
		ensemulator.DefaultAccessKeySecret, "cn-hefei-cmcc-2"); err != nil {
		return err
	}
	saKubeconfig := filepath.Join(s.dir, "manager.kubeconfig")
	if err := s.cluster.SAKubeconfig(ctx, s.log("local-cluster"), managerNS, managerSA, saKubeconfig); err != nil {
		return err
	}
	s.mgrCfg = framework.ManagerConfig{
		Bin: filepath.Join(bin, "edge-controller-manager"), Kubeconfig: saKubeconfig, CloudConfig: cloudConfig,
		ClusterID: clusterID, LeaseNamespace: managerNS, LogDir: s.dir,
		// Short leases so that a failover takes seconds, not the default 15s.
		ExtraArgs: []string{"--leader-elect-lease-duration=6s", "--leader-elect-renew-deadline=4s",
			"--leader-elect-retry-period=1s", "--v=2"},
	}
	if _, err := s.startReplica(ctx); err != nil {
		return err
	}
	_, err = s.waitLeader(ctx, 30*time.Second)
	return err
}

// install applies the CRDs, the manager's namespace and RBAC, and the
// walkthrough's node pools with their kwok nodes.
func (s *suite) install(ctx context.Context) error {
	steps := [][]string{
		{"apply", "-k", s.path("manifests/crds")},
		{"apply", "-f", s.path("manifests/deploy/namespace.yaml")},
		{"apply", "-f", s.path("manifests/rbac/service_account.yaml"), "-f", s.path("manifests/rbac/cluster_role.yaml"),
			"-f", s.path("manifests/rbac/cluster_role_binding.yaml"), "-f", s.path("manifests/rbac/role.yaml"),
			"-f", s.path("manifests/rbac/role_binding.yaml")},
		{"wait", "--for=condition=Established", "--timeout=60s", "crd/nodepools.apps.openyurt.io",
			"crd/poolservices.network.openyurt.io"},
		{"apply", "-f", s.path("manifests/examples/nodepools.yaml")},
		{"apply", "-f", s.path("hack/demo/nodes.yaml")},
		{"wait", "--for=condition=Ready", "--timeout=60s", "node", "--all"},
	}
	for _, args := range steps {
		if _, err := s.cluster.Kubectl(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

func (s *suite) clients() error {
	cfg, err := s.cluster.RESTConfig()
	if err != nil {
		return err
	}
	if s.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	s.yurt, err = versioned.NewForConfig(cfg)
	return err
}

func (s *suite) path(rel string) string { return filepath.Join(s.repo, rel) }
func (s *suite) log(name string) string { return filepath.Join(s.dir, name+".log") }

// startReplica starts one more manager replica and records it.
func (s *suite) startReplica(ctx context.Context) (*framework.Manager, error) {
	s.replicas++
	m, err := framework.StartManager(ctx, s.mgrCfg, fmt.Sprintf("edge-controller-manager-%d", s.replicas))
	if err != nil {
		return nil, err
	}
	s.managers = append(s.managers, m)
	return m, nil
}

// waitLeader waits until exactly one running replica reports leading.
func (s *suite) waitLeader(ctx context.Context, timeout time.Duration) (*framework.Manager, error) {
	var leader *framework.Manager
	err := framework.WaitFor(ctx, timeout, 200*time.Millisecond, func() (bool, string) {
		leader = nil
		var states []string
		n := 0
		for _, m := range s.managers {
			if !m.Alive() {
				states = append(states, m.Name+"=dead")
				continue
			}
			ok, err := m.IsLeader()
			states = append(states, fmt.Sprintf("%s=leader:%v(err %v)", m.Name, ok, err))
			if ok {
				leader, n = m, n+1
			}
		}
		return n == 1, strings.Join(states, " ")
	})
	return leader, err
}

// prune forgets replicas that have exited.
func (s *suite) prune() {
	var alive []*framework.Manager
	for _, m := range s.managers {
		if m.Alive() {
			alive = append(alive, m)
		}
	}
	s.managers = alive
}

// checkNoLeaks waits until every test namespace is gone and no ELB or EIP
// named for this cluster remains in the emulator.
func (s *suite) checkNoLeaks(ctx context.Context) error {
	return framework.WaitFor(ctx, 90*time.Second, time.Second, func() (bool, string) {
		nss, err := s.kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: testNamespaceLabel})
		if err != nil {
			return false, err.Error()
		}
		inv, err := s.emu.Inventory()
		if err != nil {
			return false, err.Error()
		}
		var left []string
		for _, lb := range inv.LoadBalancers {
			if strings.HasSuffix(lb.Name, "/"+clusterID) {
				left = append(left, "ELB "+lb.Name)
			}
		}
		for _, e := range inv.EIPs {
			if strings.HasSuffix(e.Name, "/"+clusterID) {
				left = append(left, "EIP "+e.Name)
			}
		}
		return len(nss.Items) == 0 && len(left) == 0,
			fmt.Sprintf("%d test namespaces left; cloud resources left: %v", len(nss.Items), left)
	})
}

// teardown stops everything; on failure it prints the log tails and
// keeps the directory.
func (s *suite) teardown(ctx context.Context, code int) int {
	s.teardownOnce.Do(func() { code = s.doTeardown(ctx, code) })
	return code
}

func (s *suite) doTeardown(ctx context.Context, code int) int {
	if code != 0 {
		for _, m := range s.managers {
			fmt.Fprintf(os.Stderr, "\n===== last lines of %s =====\n%s\n", m.LogPath, m.Tail(60))
		}
		if s.emu != nil {
			fmt.Fprintf(os.Stderr, "\n===== last lines of %s =====\n%s\n", s.emu.LogPath, s.emu.Tail(30))
		}
	}
	for _, m := range s.managers {
		_ = m.Stop(10 * time.Second)
	}
	if s.emu != nil {
		_ = s.emu.Stop(10 * time.Second)
	}
	keep := code != 0 || os.Getenv("E2E_KEEP") == "1"
	if s.cluster != nil {
		if err := s.cluster.Stop(ctx, s.log("local-cluster"), keep); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: down.sh:", err)
			code = 1
		}
	} else if _, err := os.Stat(filepath.Join(s.dir, "cluster")); err == nil {
		// up.sh failed half way; it stops what it started itself.
		keep = true
	}
	if keep {
		fmt.Fprintf(os.Stderr, "e2e: logs and state kept in %s\n", s.dir)
	} else {
		_ = os.RemoveAll(s.dir)
	}
	return code
}
