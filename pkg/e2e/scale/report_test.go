//go:build scale

package scale

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// phase is what one phase measured.
type phase struct {
	seconds   float64
	bound     float64 // 0: no bound
	perAction []ActionBound
	minimal   map[string]int
	calls     map[string]int
	throttled map[string]int
	mutating  int
	apiWrites int
	wait      map[string]float64 // client-side bucket wait by action
}

func (p phase) total() int { return sum(p.calls) }

func (p phase) reads() map[string]int {
	out := map[string]int{}
	for a, n := range p.calls {
		if isRead(a) {
			out[a] = n
		}
	}
	return out
}

func (p phase) ratio() float64 {
	if p.bound == 0 {
		return 0
	}
	return p.seconds / p.bound
}

// resync is one resync period's worth of calls.
type resync struct {
	phase
	poolServices int
	elbsRead     int // distinct ELBs a read named
}

func (r resync) readsPerPoolService() float64 {
	return float64(sum(r.reads())) / float64(r.poolServices)
}

type report struct {
	s        settings
	started  time.Time
	converge phase
	noop     resync
	moving   resync
	deletion phase
	idle     Latencies
	duringC  Latencies
	duringR  Latencies
	// convergePasses is how many resync periods began during the converge.
	convergePasses int
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func diff(after, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// print writes the readable summary.
func (r *report) print(out io.Writer) {
	s := r.s
	fmt.Fprintf(out, "\nscale: %d Services × %d pools = %d PoolServices (+ the probe's %d), %d nodes per pool, TCP+UDP; RTT %v; "+
		"documented ENS limits (scale 1), client per-action buckets; realistic transitions; resync period %v; %d elb workers\n\n",
		s.services, s.pools, s.services*s.pools, s.pools, s.nodes, s.rtt, s.resync, s.elbWorkers)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tmeasured\tbound\tratio\tcalls\tmutating\tthrottled\tAPI writes\t")
	for _, row := range []struct {
		name string
		p    phase
	}{{"cold converge", r.converge}, {"delete all", r.deletion}} {
		fmt.Fprintf(tw, "%s\t%.1fs\t%.1fs\t%.2f\t%d\t%d\t%d\t%d\t\n", row.name, row.p.seconds, row.p.bound, row.p.ratio(),
			row.p.total(), row.p.mutating, sum(row.p.throttled), row.p.apiWrites)
	}
	for _, row := range []struct {
		name, target string
		r            resync
	}{{"no-op resync", "≤ 1.10", r.noop}, {"resync + moves", "-", r.moving}} {
		fmt.Fprintf(tw, "%s\t%.2f reads/PS\t%s\t\t%d\t%d\t%d\t%d\t\n", row.name, row.r.readsPerPoolService(), row.target,
			row.r.total(), row.r.mutating, sum(row.r.throttled), row.r.apiWrites)
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\nresync passes begun during the converge: %d; ELBs read in the no-op period: %d of %d\n",
		r.convergePasses, r.noop.elbsRead, r.noop.poolServices)

	fmt.Fprintln(out, "\nendpoint move (Local policy, one Service), EndpointSlice write → every ELB of it has the new backends:")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "while\tmoves\tp50\tp99\tmax\t")
	for _, row := range []struct {
		name string
		l    Latencies
	}{{"idle", r.idle}, {"converging", r.duringC}, {"resyncing", r.duringR}} {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", row.name, row.l.N, secs(row.l.P50), secs(row.l.P99), secs(row.l.Max))
	}
	_ = tw.Flush()

	for _, row := range []struct {
		name string
		p    phase
	}{{"cold converge", r.converge}, {"delete all", r.deletion}} {
		fmt.Fprintf(out, "\n%s, calls by action (bound: that action's calls at its limit, round trip and what must follow):\n", row.name)
		printActions(out, row.p)
	}
	fmt.Fprintln(out, "\nno-op resync, reads by action over one period:")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "action\tcalls\tper PS\twith moves\t")
	reads, moving := r.noop.reads(), r.moving.reads()
	for _, a := range sortedUnion(reads, moving) {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%d\t\n", a, reads[a], float64(reads[a])/float64(r.noop.poolServices), moving[a])
	}
	_ = tw.Flush()
}

func printActions(out io.Writer, p phase) {
	bounds := map[string]ActionBound{}
	for _, b := range p.perAction {
		bounds[b.Action] = b
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "action\tcalls\tminimal\tlimit/s\tbound\tbucket wait (sum)\tthrottled\t")
	for _, a := range sortedUnion(p.calls, p.minimal) {
		min, limit, bound := "-", "", ""
		if b, ok := bounds[a]; ok {
			min, limit, bound = fmt.Sprint(b.Calls), fmt.Sprint(b.Rate), fmt.Sprintf("%.1fs", b.Seconds)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%.1fs\t%d\t\n", a, p.calls[a], min, limit, bound, p.wait[a], p.throttled[a])
	}
	_ = tw.Flush()
}

func sortedUnion[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// write stores the raw numbers, one "name value" a line.
func (r *report) write(path string) error {
	var b strings.Builder
	s := r.s
	line := func(name string, v any) { fmt.Fprintf(&b, "%s %v\n", name, v) }
	fmt.Fprintf(&b, "# make bench-scale %s\n", r.started.UTC().Format(time.RFC3339))
	line("services", s.services)
	line("pools", s.pools)
	line("nodes_per_pool", s.nodes)
	line("poolservices", s.services*s.pools)
	line("probe_poolservices", s.pools)
	line("rtt_seconds", s.rtt.Seconds())
	line("resync_period_seconds", s.resync.Seconds())
	line("elb_workers", s.elbWorkers)
	for _, ph := range []struct {
		name string
		p    phase
	}{{"converge", r.converge}, {"delete", r.deletion}} {
		p := ph.p
		line(ph.name+"_seconds", fmt.Sprintf("%.3f", p.seconds))
		line(ph.name+"_bound_seconds", fmt.Sprintf("%.3f", p.bound))
		line(ph.name+"_ratio", fmt.Sprintf("%.3f", p.ratio()))
		line(ph.name+"_calls", p.total())
		line(ph.name+"_mutating", p.mutating)
		line(ph.name+"_throttled", sum(p.throttled))
		line(ph.name+"_api_writes", p.apiWrites)
		for _, a := range slices.Sorted(maps.Keys(p.calls)) {
			line(ph.name+"_calls."+a, p.calls[a])
		}
		for _, a := range slices.Sorted(maps.Keys(p.minimal)) {
			line(ph.name+"_minimal."+a, p.minimal[a])
		}
		for _, a := range slices.Sorted(maps.Keys(p.throttled)) {
			line(ph.name+"_throttled."+a, p.throttled[a])
		}
		for _, a := range slices.Sorted(maps.Keys(p.wait)) {
			line(ph.name+"_client_wait_seconds."+a, fmt.Sprintf("%.3f", p.wait[a]))
		}
	}
	line("converge_resync_passes", r.convergePasses)
	for _, rs := range []struct {
		name string
		r    resync
	}{{"noop", r.noop}, {"resync_moving", r.moving}} {
		line(rs.name+"_reads", sum(rs.r.reads()))
		line(rs.name+"_reads_per_poolservice", fmt.Sprintf("%.3f", rs.r.readsPerPoolService()))
		line(rs.name+"_mutating", rs.r.mutating)
		line(rs.name+"_writes", rs.r.apiWrites)
		line(rs.name+"_throttled", sum(rs.r.throttled))
		line(rs.name+"_elbs_read", rs.r.elbsRead)
		for _, a := range slices.Sorted(maps.Keys(rs.r.calls)) {
			line(rs.name+"_calls."+a, rs.r.calls[a])
		}
	}
	for _, l := range []struct {
		name string
		l    Latencies
	}{{"idle", r.idle}, {"converge", r.duringC}, {"resync", r.duringR}} {
		line("endpoint_to_backend_"+l.name+"_moves", l.l.N)
		line("endpoint_to_backend_"+l.name+"_p50_seconds", fmt.Sprintf("%.3f", l.l.P50.Seconds()))
		line("endpoint_to_backend_"+l.name+"_p99_seconds", fmt.Sprintf("%.3f", l.l.P99.Seconds()))
		line("endpoint_to_backend_"+l.name+"_max_seconds", fmt.Sprintf("%.3f", l.l.Max.Seconds()))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
