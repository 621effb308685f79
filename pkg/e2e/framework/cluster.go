package framework

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// RepoRoot finds the module root by walking up from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "hack", "local-cluster", "up.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no repository root (with hack/local-cluster/up.sh) above the working directory")
		}
		dir = parent
	}
}

// BuildBinaries builds edge-controller-manager and ens-emulator into outDir.
func BuildBinaries(ctx context.Context, repoRoot, outDir string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", outDir+"/",
		"./cmd/edge-controller-manager", "./cmd/ens-emulator")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// Cluster is a local control plane started by hack/local-cluster/up.sh.
type Cluster struct {
	RepoRoot   string
	Dir        string // LOCAL_CLUSTER_DIR
	Kubeconfig string // admin kubeconfig
	BinDir     string // kubectl and the control plane binaries
}

// StartCluster runs up.sh with LOCAL_CLUSTER_DIR=dir (which must not
// exist or be a previous up.sh state dir) and env (e.g. AuditLog.Env);
// its stderr goes to logPath.
func StartCluster(ctx context.Context, repoRoot, dir, logPath string, env ...string) (*Cluster, error) {
	c := &Cluster{RepoRoot: repoRoot, Dir: dir}
	out, err := c.script(ctx, logPath, env, "up.sh")
	if err != nil {
		return nil, fmt.Errorf("up.sh: %w; last lines of %s:\n%s", err, logPath, TailFile(logPath, 30))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "KUBECONFIG="); ok {
			c.Kubeconfig = v
		}
	}
	if c.Kubeconfig == "" {
		return nil, fmt.Errorf("up.sh printed no KUBECONFIG= line: %q", out)
	}
	bin, err := c.script(ctx, logPath, nil, "build.sh", "--bin-dir")
	if err != nil {
		return nil, err
	}
	c.BinDir = strings.TrimSpace(string(bin))
	return c, nil
}

// Stop runs down.sh; with keepState the logs and etcd data stay.
func (c *Cluster) Stop(ctx context.Context, logPath string, keepState bool) error {
	var env []string
	if keepState {
		env = []string{"KEEP_STATE=1"}
	}
	_, err := c.script(ctx, logPath, env, "down.sh")
	return err
}

// script runs hack/local-cluster/NAME with extra environment variables
// env; stderr goes to logPath and stdout is returned.
func (c *Cluster) script(ctx context.Context, logPath string, env []string, name string, args ...string) ([]byte, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, filepath.Join(c.RepoRoot, "hack", "local-cluster", name), args...)
	cmd.Env = append(append(os.Environ(), "LOCAL_CLUSTER_DIR="+c.Dir), env...)
	cmd.Stderr = logf
	return cmd.Output()
}

// SAKubeconfig mints a kubeconfig for ServiceAccount ns/sa at out.
func (c *Cluster) SAKubeconfig(ctx context.Context, logPath, ns, sa, out string) error {
	_, err := c.script(ctx, logPath, nil, "sa-kubeconfig.sh", ns, sa, out)
	return err
}

// Kubectl runs the cluster's kubectl as the admin and returns stdout; the
// error carries stderr.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// RESTConfig is the admin client configuration.
func (c *Cluster) RESTConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}
