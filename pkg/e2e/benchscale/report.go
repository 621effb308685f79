package benchscale

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/scale"
)

// Report is scale.json: issue 9's figures at the top level (names as in
// the issue), each phase's detail below them, and the targets.
type Report struct {
	Profile string `json:"profile"`
	// Commit is what the binaries were built from (git describe --dirty:
	// a dirty tree builds what it holds).
	Commit              string    `json:"commit"`
	Started             time.Time `json:"started"`
	WallSeconds         float64   `json:"wall_seconds"`
	RTTSeconds          float64   `json:"rtt_seconds"`
	LimitScale          float64   `json:"limit_scale"` // phase 4's; phases 1-3 run at the documented limits (1)
	Services            int       `json:"services"`
	Pools               int       `json:"pools"`
	NodesPerPool        int       `json:"nodes_per_pool"`
	PoolServices        int       `json:"poolservices"`
	ResyncPeriodSeconds float64   `json:"resync_period_seconds"`
	ResyncRate          float64   `json:"resync_rate"`

	ConvergeSeconds              float64 `json:"converge_seconds"`
	ConvergeBoundSeconds         float64 `json:"converge_bound_seconds"`
	ConvergeRatio                float64 `json:"converge_ratio"`
	NoopReadsPerPoolService      float64 `json:"noop_reads_per_poolservice"`
	NoopWrites                   int     `json:"noop_writes"`
	EndpointToBackendP50Seconds  float64 `json:"endpoint_to_backend_p50_seconds"`
	EndpointToBackendP99Seconds  float64 `json:"endpoint_to_backend_p99_seconds"`
	AdoptSeconds                 float64 `json:"adopt_seconds"`
	AdoptBoundSeconds            float64 `json:"adopt_bound_seconds"`
	AdoptRatio                   float64 `json:"adopt_ratio"`
	AdoptCreates                 int     `json:"adopt_creates"`
	Duplicates                   int     `json:"duplicates"`
	RSSMiB                       float64 `json:"rss_mib"`
	RestartPoolServices          int     `json:"restart_poolservices"`
	RestartEndpoints             int     `json:"restart_endpoints"`
	EndpointToBackendMaxSeconds  float64 `json:"endpoint_to_backend_max_seconds"`
	EndpointToBackendMovesTotal  int     `json:"endpoint_to_backend_moves"`
	EndpointToBackendMovesMissed int     `json:"endpoint_to_backend_moves_unreflected"`

	Converge ConvergePhase `json:"converge"`
	Noop     NoopPhase     `json:"noop"`
	Moves    MovesPhase    `json:"moves"`
	Restart  RestartPhase  `json:"restart"`
	Targets  []Target      `json:"targets"`
}

// Calls are one phase's calls: ENS calls by action (from the call proxy),
// the workload's minimal calls where there is a bound, ENS's throttling
// answers by action, and the manager's API writes by "verb resource".
type Calls struct {
	Calls     map[string]int `json:"calls"`
	Minimal   map[string]int `json:"minimal,omitempty"`
	Throttled map[string]int `json:"throttled"`
	// Errors are the handled calls ENS answered with an error, by
	// "action code".
	Errors    map[string]int `json:"errors,omitempty"`
	Reads     int            `json:"reads"`
	Mutating  int            `json:"mutating"`
	APIWrites map[string]int `json:"api_writes"`
}

// ActionBound is one action's share of a bound.
type ActionBound struct {
	Action        string  `json:"action"`
	MinimalCalls  int     `json:"minimal_calls"`
	Calls         int     `json:"calls"`
	RatePerSecond float64 `json:"rate_per_second"`
	BoundSeconds  float64 `json:"bound_seconds"`
}

// ConvergePhase is phase 1.
type ConvergePhase struct {
	PoolServices  int           `json:"poolservices"`
	Seconds       float64       `json:"seconds"`
	BoundSeconds  float64       `json:"bound_seconds"`
	Ratio         float64       `json:"ratio"`
	BoundByAction []ActionBound `json:"bound_by_action"`
	Calls
}

// NoopPhase is phase 2: one resync pass over every PoolService.
type NoopPhase struct {
	PoolServices        int     `json:"poolservices"`
	Pass                int     `json:"pass"`
	Seconds             float64 `json:"seconds"`
	ReadsPerPoolService float64 `json:"reads_per_poolservice"`
	ELBsRead            int     `json:"elbs_read"`
	Writes              int     `json:"writes"`
	Calls
}

// MovesPhase is phase 3.
type MovesPhase struct {
	Moves           int     `json:"moves"`
	RatePerSecond   float64 `json:"rate_per_second"`
	DurationSeconds float64 `json:"duration_seconds"`
	Reflected       int     `json:"reflected"`
	P50Seconds      float64 `json:"p50_seconds"`
	P99Seconds      float64 `json:"p99_seconds"`
	MaxSeconds      float64 `json:"max_seconds"`
	// Received*: to the arrival of that backend call instead of its answer.
	ReceivedP50Seconds float64 `json:"received_p50_seconds"`
	ReceivedP99Seconds float64 `json:"received_p99_seconds"`
	// ResyncEnqueued is how many keys the resync enqueued meanwhile.
	ResyncEnqueued int `json:"resync_enqueued"`
	Calls
}

// RestartPhase is phase 4.
type RestartPhase struct {
	PoolServices int     `json:"poolservices"`
	Services     int     `json:"services"`
	Endpoints    int     `json:"endpoints"`
	LimitScale   float64 `json:"limit_scale"`
	SeedSeconds  float64 `json:"seed_seconds"`
	// First is the manager that took the seeded state over before the one
	// measured was started (it was then killed).
	First         ManagerRun    `json:"first"`
	Seconds       float64       `json:"adopt_seconds"`
	BoundSeconds  float64       `json:"adopt_bound_seconds"`
	Ratio         float64       `json:"adopt_ratio"`
	BoundByAction []ActionBound `json:"bound_by_action"`
	Creates       int           `json:"creates"`
	Duplicates    int           `json:"duplicates"`
	ELBsRead      int           `json:"elbs_read"`
	Syncs         int           `json:"syncs"`
	RSSMiB        float64       `json:"rss_mib"`
	RSSSamplesMiB []float64     `json:"rss_samples_mib"`
	HeapInuseMiB  float64       `json:"heap_inuse_mib"`
	// RSSAnonMiB and RSSFileMiB split the largest sample: the process's
	// own memory, and the pages of its binary (code, read-only data).
	RSSAnonMiB float64 `json:"rss_anon_mib"`
	RSSFileMiB float64 `json:"rss_file_mib"`
	// MemoryLimitMiB is the manager's Go soft memory limit (GOMEMLIMIT),
	// as it sets it in the Deployment's container.
	MemoryLimitMiB float64 `json:"memory_limit_mib"`
	Calls
}

// ManagerRun is a manager's first pass over a state it did not make.
type ManagerRun struct {
	Seconds   float64        `json:"seconds"`
	Calls     map[string]int `json:"calls"`
	Mutating  int            `json:"mutating"`
	APIWrites map[string]int `json:"api_writes"`
}

// Target is one row of issue 9's targets.
type Target struct {
	Figure   string  `json:"figure"`
	Measured float64 `json:"measured"`
	Target   string  `json:"target"`
	Met      bool    `json:"met"`
}

// Finish fills the top-level figures from the phases and judges the targets.
func (r *Report) Finish() {
	r.ConvergeSeconds, r.ConvergeBoundSeconds, r.ConvergeRatio = r.Converge.Seconds, r.Converge.BoundSeconds, r.Converge.Ratio
	r.NoopReadsPerPoolService, r.NoopWrites = r.Noop.ReadsPerPoolService, r.Noop.Writes
	r.EndpointToBackendP50Seconds, r.EndpointToBackendP99Seconds = r.Moves.P50Seconds, r.Moves.P99Seconds
	r.EndpointToBackendMaxSeconds = r.Moves.MaxSeconds
	r.EndpointToBackendMovesTotal, r.EndpointToBackendMovesMissed = r.Moves.Moves, r.Moves.Moves-r.Moves.Reflected
	r.AdoptSeconds, r.AdoptBoundSeconds, r.AdoptRatio = r.Restart.Seconds, r.Restart.BoundSeconds, r.Restart.Ratio
	r.AdoptCreates, r.Duplicates, r.RSSMiB = r.Restart.Creates, r.Restart.Duplicates, r.Restart.RSSMiB
	r.RestartPoolServices, r.RestartEndpoints = r.Restart.PoolServices, r.Restart.Endpoints
	r.Targets = []Target{
		{"converge_ratio", r.ConvergeRatio, "≤ 1.1", r.ConvergeRatio <= 1.1},
		{"noop_reads_per_poolservice", r.NoopReadsPerPoolService, "≤ 1.1", r.NoopReadsPerPoolService <= 1.1},
		{"noop_writes", float64(r.NoopWrites), "0", r.NoopWrites == 0},
		{"endpoint_to_backend_p99_seconds", r.EndpointToBackendP99Seconds, fmt.Sprintf("≤ 1 + rtt = %.2f", 1+r.RTTSeconds),
			r.EndpointToBackendMovesMissed == 0 && r.EndpointToBackendP99Seconds <= 1+r.RTTSeconds},
		{"rss_mib", r.RSSMiB, "≤ 256", r.RSSMiB <= 256},
		{"adopt_creates", float64(r.AdoptCreates), "0", r.AdoptCreates == 0},
		{"duplicates", float64(r.Duplicates), "0", r.Duplicates == 0},
	}
}

// Write stores the report as indented JSON.
func (r *Report) Write(path string) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

// Print writes the readable summary.
func (r *Report) Print(out io.Writer) {
	fmt.Fprintf(out, "\nbench-scale %s (%s): %d Services × %d pools = %d PoolServices (TCP+UDP), %d kwok nodes per pool; "+
		"manager binary, local control plane, ens-emulator with the documented limits, RTT %.0f ms; resync period %.0fs at %.0f/s\n\n",
		r.Profile, r.Commit, r.Services, r.Pools, r.PoolServices, r.NodesPerPool, r.RTTSeconds*1000, r.ResyncPeriodSeconds, r.ResyncRate)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\tmeasured\ttarget\tmet\t")
	for _, t := range r.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", t.Figure, num(t.Measured), t.Target, map[bool]string{true: "yes", false: "NO"}[t.Met])
	}
	_ = tw.Flush()

	fmt.Fprintf(out, "\n1. cold converge: %.1fs, bound %.1fs, ratio %.2f; %d ENS calls (%d mutating), %d API writes\n",
		r.Converge.Seconds, r.Converge.BoundSeconds, r.Converge.Ratio, scaleSum(r.Converge.Calls.Calls), r.Converge.Mutating, scaleSum(r.Converge.APIWrites))
	printActions(out, r.Converge.Calls, r.Converge.BoundByAction)
	fmt.Fprintf(out, "\n2. no-op resync (pass %d, %.1fs): %.2f reads per PoolService, %d of %d ELBs read, %d writes (%d mutating ENS calls, API %v)\n",
		r.Noop.Pass, r.Noop.Seconds, r.Noop.ReadsPerPoolService, r.Noop.ELBsRead, r.Noop.PoolServices, r.Noop.Writes, r.Noop.Mutating, r.Noop.APIWrites)
	printActions(out, r.Noop.Calls, nil)
	fmt.Fprintf(out, "\n3. endpoint moves at %.0f/s for %.0fs during resync (%d keys enqueued by it meanwhile): %d of %d reflected; "+
		"EndpointSlice write → backend call answered p50 %.3fs p99 %.3fs max %.3fs (arrived: p50 %.3fs p99 %.3fs); rtt %.3fs\n",
		r.Moves.RatePerSecond, r.Moves.DurationSeconds, r.Moves.ResyncEnqueued, r.Moves.Reflected, r.Moves.Moves,
		r.Moves.P50Seconds, r.Moves.P99Seconds, r.Moves.MaxSeconds, r.Moves.ReceivedP50Seconds, r.Moves.ReceivedP99Seconds, r.RTTSeconds)
	printActions(out, r.Moves.Calls, nil)
	rs := r.Restart
	fmt.Fprintf(out, "\n4. restart at %d PoolServices / %d endpoints (%d Services), limits ×%g: seeded in %.1fs; first manager's pass %.1fs (%d mutating calls); "+
		"the restarted one looked at all in %.1fs, bound %.1fs, ratio %.2f; %d creates, %d duplicates, %d ELBs read, %d syncs; RSS %.1f MiB (samples %v; at the most %.1f anonymous, %.1f the binary's pages), Go heap in use %.1f MiB, soft memory limit %.0f MiB\n",
		rs.PoolServices, rs.Endpoints, rs.Services, rs.LimitScale, rs.SeedSeconds, rs.First.Seconds, rs.First.Mutating,
		rs.Seconds, rs.BoundSeconds, rs.Ratio, rs.Creates, rs.Duplicates, rs.ELBsRead, rs.Syncs, rs.RSSMiB, rs.RSSSamplesMiB, rs.RSSAnonMiB, rs.RSSFileMiB, rs.HeapInuseMiB, rs.MemoryLimitMiB)
	printActions(out, rs.Calls, rs.BoundByAction)
}

func printActions(out io.Writer, c Calls, bounds []ActionBound) {
	byAction := map[string]ActionBound{}
	for _, b := range bounds {
		byAction[b.Action] = b
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  action\tcalls\tminimal\tlimit/s\tbound\tthrottled\t")
	keys := slices.Collect(maps.Keys(c.Calls))
	for a := range c.Minimal {
		if _, ok := c.Calls[a]; !ok {
			keys = append(keys, a)
		}
	}
	slices.Sort(keys)
	for _, a := range keys {
		minimal, rate, bound := "-", "", ""
		if n, ok := c.Minimal[a]; ok {
			minimal = fmt.Sprint(n)
		}
		if b, ok := byAction[a]; ok {
			rate, bound = fmt.Sprint(b.RatePerSecond), fmt.Sprintf("%.1fs", b.BoundSeconds)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%d\t\n", a, c.Calls[a], minimal, rate, bound, c.Throttled[a])
	}
	_ = tw.Flush()
}

// actionBounds joins scale.Bound's per-action figures with the calls made.
func actionBounds(per []scale.ActionBound, calls map[string]int) []ActionBound {
	out := make([]ActionBound, 0, len(per))
	for _, b := range per {
		out = append(out, ActionBound{Action: b.Action, MinimalCalls: b.Calls, Calls: calls[b.Action], RatePerSecond: b.Rate, BoundSeconds: b.Seconds})
	}
	return out
}

func scaleSum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func num(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprint(int64(v))
	}
	return fmt.Sprintf("%.3f", v)
}
