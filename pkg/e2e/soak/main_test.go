//go:build soak

package soak

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Flags; SOAK_SEED, SOAK_DURATION and SOAK_QUIESCE_TIMEOUT are their defaults.
var (
	flagSeed     = flag.String("seed", envOr("SOAK_SEED", "1"), "seed of the workload, the faults and the chaos timeline")
	flagDuration = flag.String("duration", envOr("SOAK_DURATION", "10m"), "how long the workload runs (before quiesce)")
	flagQuiesce  = flag.Duration("quiesce-timeout", envDuration("SOAK_QUIESCE_TIMEOUT", 4*time.Minute),
		"how long quiesce waits for the oracle to be satisfied")
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envDuration(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil {
		return d
	}
	return def
}

// running is the env of the run, for the signal handler.
var (
	runningMu sync.Mutex
	running   *env
)

func TestMain(m *testing.M) {
	flag.Parse()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "soak: %v: stopping everything\n", sig)
		runningMu.Lock()
		if running != nil {
			running.stop(context.Background(), true)
		}
		os.Exit(1)
	}()
	os.Exit(m.Run())
}

// TestSoak is the soak: set up, run the workload and the chaos for the
// duration, quiesce, judge, and print the line.
func TestSoak(t *testing.T) {
	seed, err := strconv.ParseUint(*flagSeed, 10, 64)
	if err != nil {
		t.Fatalf("seed %q: %v", *flagSeed, err)
	}
	duration, err := time.ParseDuration(*flagDuration)
	if err != nil {
		t.Fatalf("duration %q: %v", *flagDuration, err)
	}
	ctx := context.Background()
	e := newEnv(t, seed)
	failed := true
	defer func() { e.stop(ctx, failed) }()
	t0 := time.Now()
	if err := e.start(ctx); err != nil {
		t.Fatalf("setup after %s: %v\n%s", time.Since(t0).Round(time.Millisecond), err, e.tails(40))
	}
	opLog, err := os.Create(e.path("ops.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer opLog.Close()
	w := newWorkload(e, seed, opLog)
	if err := e.timed("nodes, pools and the user's ELBs created", func() error { return e.createUniverse(ctx, w.model) }); err != nil {
		t.Fatal(err)
	}
	e.logf("setup done in %s (dir %s); running the workload for %s", time.Since(t0).Round(time.Millisecond), e.dir, duration)
	c := e.runChaosAndWorkload(ctx, w, duration, opLog)
	report, err := e.quiesce(ctx, *flagQuiesce)
	if err != nil {
		t.Fatalf("quiesce: %v\n%s", err, e.tails(40))
	}
	failed = !report.Clean()
	e.finish(ctx, t, w, c, report, *flagDuration, t0)
}

func newEnv(t *testing.T, seed uint64) *env {
	dir, err := os.MkdirTemp("", "ecm-soak-")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, seed: seed, ledger: newLedger(), deadELBs: map[string]string{}, logf: func(format string, args ...any) {
		fmt.Printf("soak: "+format+"\n", args...)
	}}
	runningMu.Lock()
	running = e
	runningMu.Unlock()
	return e
}

// runChaosAndWorkload runs both for d and waits for them (and for any
// replica being started) to finish.
func (e *env) runChaosAndWorkload(ctx context.Context, w *workload, d time.Duration, log *os.File) *chaos {
	c := newChaos(e, e.seed, log)
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	e.workloadEnd = start.Add(d)
	var wg sync.WaitGroup
	wg.Go(func() { w.run(runCtx, start) })
	wg.Go(func() { c.run(runCtx, start, d) })
	wg.Wait()
	c.addCalls()
	c.replace.Wait()
	e.logf("workload and chaos done after %s", time.Since(start).Round(100*time.Millisecond))
	return c
}

// finish prints the violations and log tails on failure, stops everything,
// then prints the line the soak ends with, and fails the test when a count
// is not zero.
func (e *env) finish(ctx context.Context, t *testing.T, w *workload, c *chaos, r Report, duration string, t0 time.Time) {
	faults, mutatingFaults, err := injectedFaults(e.emu.LogPath)
	if err != nil {
		t.Errorf("counting injected faults: %v", err)
	}
	kills, restarts := c.counts()
	c.mu.Lock()
	mutating, ctrlMutating, authWindows := c.mutating, c.ctrlMutating, c.authWindows
	c.mu.Unlock()
	e.logf("injected %d faults, %d of them into the %d mutating ENS calls made under chaos (%.0f%%); %d fault periods with NoPermission",
		faults, mutatingFaults, mutating, 100*float64(mutatingFaults)/float64(max(mutating, 1)), authWindows)
	recorded := 0
	for _, call := range e.rec.Calls() {
		if call.AccessKeyID == controllerKeyID {
			recorded++
		}
	}
	u := e.ledger.snapshot()
	e.logf("judged %d mutating calls of the managers (the emulator counted %d under chaos); the user's ledger: %d ELBs, %d EIPs, %d listeners by hand, %d foreign backends",
		recorded, ctrlMutating, len(u.LoadBalancers), len(u.EIPs), len(u.Listeners), len(u.Backends))
	if recorded < ctrlMutating {
		// Some calls went around the recorder: the foreign-mutation
		// check would be blind to them.
		fmt.Printf("soak: the call recorder saw %d mutating calls of the managers, the emulator %d\n", recorded, ctrlMutating)
		t.Fail()
	}
	j := r.Judged
	e.logf("judged %d managed and %d user-managed PoolServices (%d naming no ELB yet), %d ELB names and %d EIP names of ours",
		j.Managed, j.UserNamed+j.UserUnnamed, j.UserUnnamed, j.OurELBs, j.OurEIPs)
	e.logf("op sequence digest %s over the first %d ops, %s over all %d (%d failed; log %s); backend layouts %v; total %s",
		w.prefix, digestOps, w.digest.String(), w.ops, w.errors, e.path("ops.log"), r.BackendForms, time.Since(t0).Round(time.Second))
	if faults == 0 && time.Since(t0) > time.Minute {
		// A soak without faults proves little: the emulator log format or
		// the fault API changed.
		fmt.Printf("soak: no injected fault found in %s\n", e.emu.LogPath)
		t.Fail()
	}
	if !r.Clean() {
		fmt.Printf("soak violations (seed %d):\n%s%s\n", e.seed, r.Details(), e.tails(60))
		t.Fail()
	}
	e.stop(ctx, !r.Clean())
	fmt.Printf("soak %s (the line's foreign-releases counts both)\n", r.ForeignBreakdown())
	fmt.Printf("soak seed=%d duration=%s ops=%d faults=%d leader-kills=%d emulator-restarts=%d %s\n",
		e.seed, duration, w.ops, faults, kills, restarts, r.Summary())
}
