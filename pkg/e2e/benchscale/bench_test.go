//go:build benchscale

package benchscale

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBenchScale runs the phases one after another on one cluster and
// emulator and writes scale.json (BENCH_SCALE_OUT; relative to the
// repository root) and the table. It fails on a wrong end state (a
// PoolService not served as it says, a move never reflected, a create at
// the restart, a duplicate), never on a missed performance target: those
// are figures, judged in the report.
func TestBenchScale(t *testing.T) {
	p, err := ProfileFromEnv(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := newEnv(t, p)
	r := &Report{Profile: p.Name, Commit: e.commit, Started: e.start.UTC(), RTTSeconds: p.RTT.Seconds(), LimitScale: p.LimitScale,
		Services: p.Services, Pools: p.Pools, NodesPerPool: p.NodesPerPool, PoolServices: p.PoolServices(),
		ResyncPeriodSeconds: p.ResyncPeriod().Seconds(), ResyncRate: p.ResyncRate}

	e.converge(ctx, r)
	e.noopResync(ctx, r)
	e.moveEndpoints(ctx, r)
	e.poll.stop()
	if os.Getenv("BENCH_SCALE_SKIP_RESTART") != "1" {
		e.restart(ctx, r)
	}

	r.WallSeconds = time.Since(e.start).Seconds()
	r.Finish()
	r.Print(os.Stdout)
	out := p.Out
	if !filepath.IsAbs(out) {
		out = filepath.Join(e.repo, out)
	}
	if err := r.Write(out); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (run directory %s)", out, e.dir)
}
