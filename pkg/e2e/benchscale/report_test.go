package benchscale

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportFields: scale.json has every figure issue 9 names, at the top
// level and under those names, and the targets are judged from them.
func TestReportFields(t *testing.T) {
	r := &Report{Profile: "small", RTTSeconds: 0.03, LimitScale: 10,
		Converge: ConvergePhase{Seconds: 22, BoundSeconds: 20, Ratio: 1.1},
		Noop:     NoopPhase{ReadsPerPoolService: 1.2, Writes: 0},
		Moves:    MovesPhase{Moves: 10, Reflected: 10, P50Seconds: 0.2, P99Seconds: 1.5},
		Restart:  RestartPhase{Seconds: 9, BoundSeconds: 6, Creates: 0, Duplicates: 0, RSSMiB: 80},
	}
	r.Finish()
	path := filepath.Join(t.TempDir(), "out", "scale.json")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"profile", "limit_scale", "rtt_seconds", "converge_seconds", "converge_bound_seconds", "converge_ratio",
		"noop_reads_per_poolservice", "noop_writes", "endpoint_to_backend_p50_seconds", "endpoint_to_backend_p99_seconds",
		"adopt_seconds", "adopt_bound_seconds", "adopt_creates", "duplicates", "rss_mib"} {
		if _, ok := top[f]; !ok {
			t.Errorf("scale.json has no %q", f)
		}
	}
	for _, phase := range []string{"converge", "noop", "moves", "restart"} {
		p, _ := top[phase].(map[string]any)
		if _, ok := p["calls"]; !ok {
			t.Errorf("phase %s has no per-action calls", phase)
		}
	}
	met := map[string]bool{}
	for _, tg := range r.Targets {
		met[tg.Figure] = tg.Met
	}
	want := map[string]bool{"converge_ratio": true, "noop_reads_per_poolservice": false, "noop_writes": true,
		"endpoint_to_backend_p99_seconds": false, "rss_mib": true, "adopt_creates": true, "duplicates": true}
	for f, w := range want {
		if met[f] != w {
			t.Errorf("target %s met = %v, want %v", f, met[f], w)
		}
	}
	var out bytes.Buffer
	r.Print(&out)
	if !strings.Contains(out.String(), "endpoint_to_backend_p99_seconds") || !strings.Contains(out.String(), "NO") {
		t.Errorf("the table does not show the missed target:\n%s", out.String())
	}
}
