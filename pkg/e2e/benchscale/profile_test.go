package benchscale

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProfileFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		check   func(Profile) bool
		wantErr string
	}{
		{"full is the default", nil, func(p Profile) bool {
			return p.Name == ProfileFull && p.PoolServices() == 1000 && p.Nodes() == 100 && p.RestartPoolServices == 20000 &&
				p.RestartServices() == 1000 && p.RestartEndpoints == 50000 && p.RTT == 30*time.Millisecond && p.Moves() == 300 &&
				p.ResyncPeriod() == 200*time.Second && p.ResyncGap() == 200*time.Millisecond
		}, ""},
		{"small", map[string]string{"BENCH_SCALE_PROFILE": "small"}, func(p Profile) bool {
			return p.Name == ProfileSmall && p.PoolServices() == 20 && p.RestartServices() == 125 && p.Moves() == 50 &&
				p.ResyncPeriod() == 8*time.Second && p.ResyncGap() == 400*time.Millisecond
		}, ""},
		{"overrides", map[string]string{"BENCH_SCALE_PROFILE": "small", "BENCH_SCALE_POOLS": "3", "BENCH_SCALE_RTT": "5ms",
			"BENCH_SCALE_LIMIT_SCALE": "2.5", "BENCH_SCALE_RESTART_POOLSERVICES": "301", "BENCH_SCALE_OUT": "/tmp/x.json"}, func(p Profile) bool {
			return p.Pools == 3 && p.RTT == 5*time.Millisecond && p.LimitScale == 2.5 && p.RestartServices() == 101 && p.Out == "/tmp/x.json"
		}, ""},
		{"unknown profile", map[string]string{"BENCH_SCALE_PROFILE": "huge"}, nil, `"huge"`},
		{"bad number", map[string]string{"BENCH_SCALE_POOLS": "many"}, nil, "BENCH_SCALE_POOLS"},
		{"too many Services for the node ports", map[string]string{"BENCH_SCALE_POOLS": "1"}, nil, "node-port range"},
		{"restart smaller than the converge", map[string]string{"BENCH_SCALE_RESTART_POOLSERVICES": "10"}, nil, "fewer"},
		{"one node per pool", map[string]string{"BENCH_SCALE_NODES": "1"}, nil, "nodes per pool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ProfileFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(p) {
				t.Errorf("ProfileFromEnv = %+v (period %v, gap %v), %v", p, p.ResyncPeriod(), p.ResyncGap(), err)
			}
		})
	}
}

// TestDeploymentMemoryLimit: the bench gives the manager the soft memory
// limit of the container the Deployment runs it in.
func TestDeploymentMemoryLimit(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "manifests", "deploy", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	limits := strings.SplitN(string(raw), "limits:", 2)
	if len(limits) != 2 {
		t.Fatal("deployment.yaml has no resources.limits")
	}
	want := fmt.Sprintf("memory: %dMi", DeploymentMemoryLimit>>20)
	if first := strings.SplitN(limits[1], "securityContext:", 2)[0]; !strings.Contains(first, want) {
		t.Errorf("deployment.yaml limits %q lack %q", strings.TrimSpace(first), want)
	}
}
