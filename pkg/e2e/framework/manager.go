package framework

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ManagerConfig is what every edge-controller-manager replica shares.
type ManagerConfig struct {
	Bin            string
	Kubeconfig     string // the ServiceAccount kubeconfig
	CloudConfig    string
	ClusterID      string
	LeaseNamespace string
	LogDir         string
	// ExtraArgs are appended (lease durations, -v, workers...).
	ExtraArgs []string
	// Env is added to the manager's environment (NAME=value).
	Env []string
}

// Manager is one edge-controller-manager process.
type Manager struct {
	*Process
	MetricsAddr string
	HealthAddr  string
	client      *http.Client
}

// WriteCloudConfig writes a --cloud-config file for the emulator at endpoint.
func WriteCloudConfig(path, endpoint, accessKeyID, accessKeySecret, region string) error {
	body := fmt.Sprintf("accessKeyID: %s\naccessKeySecret: %s\nregion: %s\nendpoint: %s\nscheme: HTTP\n",
		accessKeyID, accessKeySecret, region, endpoint)
	return os.WriteFile(path, []byte(body), 0o600)
}

// StartManager starts a replica named name (log LogDir/<name>.log) with
// leader election on, and waits until its informer caches are synced.
func StartManager(ctx context.Context, cfg ManagerConfig, name string) (*Manager, error) {
	metrics, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	health, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig=" + cfg.Kubeconfig, "--cluster-id=" + cfg.ClusterID, "--cloud-config=" + cfg.CloudConfig,
		"--leader-elect=true", "--leader-elect-resource-namespace=" + cfg.LeaseNamespace,
		"--metrics-bind-address=" + metrics, "--health-probe-bind-address=" + health,
	}
	m := &Manager{MetricsAddr: metrics, HealthAddr: health, client: &http.Client{Timeout: 5 * time.Second},
		Process: NewProcess(name, filepath.Join(cfg.LogDir, name+".log"), cfg.Bin, append(args, cfg.ExtraArgs...)...)}
	m.Env = cfg.Env
	if err := m.Start(); err != nil {
		return nil, err
	}
	err = WaitFor(ctx, 60*time.Second, 200*time.Millisecond, func() (bool, string) {
		if !m.Alive() {
			return false, fmt.Sprintf("%s exited: %v\n%s", name, m.ExitError(), m.Tail(30))
		}
		body, err := m.get(health, "/readyz")
		return err == nil, fmt.Sprintf("readyz: %v %s", err, body)
	})
	if err != nil {
		_ = m.Kill()
		return nil, fmt.Errorf("%s not ready: %w", name, err)
	}
	return m, nil
}

// SaveProfile writes the Go profile name (heap, goroutine, …) of a
// manager started with --profiling to path.
func (m *Manager) SaveProfile(name, path string) error {
	body, err := m.get(m.MetricsAddr, "/debug/pprof/"+name)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(body), 0o644)
}

// IsLeader reads the edge_controller_manager_leader gauge from /metrics.
func (m *Manager) IsLeader() (bool, error) {
	body, err := m.get(m.MetricsAddr, "/metrics")
	if err != nil {
		return false, err
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "edge_controller_manager_leader") && strings.HasSuffix(line, " 1") {
			return true, nil
		}
	}
	return false, sc.Err()
}

func (m *Manager) get(addr, path string) (string, error) {
	resp, err := m.client.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(raw), fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return string(raw), nil
}
