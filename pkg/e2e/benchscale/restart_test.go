//go:build benchscale

package benchscale

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/scale"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// adoptTimeout bounds one manager's first pass over the restart state.
const adoptTimeout = 60 * time.Minute

// phase 4: the first manager is killed; the state grows to
// RestartPoolServices by seeding (seed_test.go), with the emulator's limits
// and the manager's budgets scaled by LimitScale; a manager takes the seeded
// state over and is killed in turn, and a fresh one is measured: until it
// has looked at every PoolService (each synced once, the queue empty) and
// every one is Ready and Synced; its creates; duplicates in the cloud; its
// RSS afterwards.
func (e *env) restart(ctx context.Context, r *Report) {
	p := e.p
	rs := &r.Restart
	rs.Services, rs.LimitScale = p.RestartServices(), p.LimitScale
	rs.PoolServices = rs.Services * p.Pools
	_ = e.mgr.Kill()
	inv, err := e.emu.WaitCloudSettled(ctx, time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}

	seedStart := time.Now()
	s := e.readTemplate(ctx, inv)
	grown, err := s.cloud(inv, p.Services, rs.Services)
	if err != nil {
		e.t.Fatal(err)
	}
	e.restartEmulator(ctx, grown)
	rs.Endpoints = e.seedAPI(ctx, s)
	rs.SeedSeconds = time.Since(seedStart).Seconds()
	e.logf("seeded %d PoolServices and %d endpoints in %.1fs", rs.PoolServices, rs.Endpoints, rs.SeedSeconds)

	args := e.managerArgs(10*time.Minute, "--cloud-api-limits="+ClientLimits(p.LimitScale))
	// The first one only takes the seeded state over (it is not measured),
	// so more workers may hurry it.
	first := e.startManager(ctx, "manager-2", append(slices.Clone(args), "--elb-workers=32"))
	start := time.Now()
	end, _ := e.waitLookedAt(ctx, first, rs.PoolServices, start)
	calls := e.proxy.CallsBetween(start, end)
	rs.First = ManagerRun{Seconds: end.Sub(start).Seconds(), Calls: framework.CountCalls(calls, nil)}
	for _, c := range calls {
		if !framework.IsRead(c.Action) {
			rs.First.Mutating++
		}
	}
	rs.First.APIWrites = e.apiWrites(start, end)
	e.logf("first manager on the seeded state: %.1fs, %d calls (%d mutating), API writes %v", rs.First.Seconds, len(calls),
		rs.First.Mutating, rs.First.APIWrites)
	_ = first.Kill()

	// The restart measured.
	e.resetCalls()
	start = time.Now()
	m := e.startManager(ctx, "manager-3", args)
	e.logf("restarted manager ready (caches synced) in %s", since(start))
	end, syncs := e.waitLookedAt(ctx, m, rs.PoolServices, start)
	calls = e.proxy.CallsBetween(start, end)
	throttled := e.throttled()
	rs.Seconds, rs.Syncs = end.Sub(start).Seconds(), syncs
	var per []scale.ActionBound
	rs.Minimal, rs.BoundSeconds, per = AdoptBound(e.elbsByRegion(rs.PoolServices), p.Nodes(), p.RTT, p.LimitScale)
	rs.Calls = phaseCalls(calls, throttled, e.apiWrites(start, end), rs.Minimal)
	rs.BoundByAction = actionBounds(per, rs.Calls.Calls)
	rs.Ratio = ratio(rs.Seconds, rs.BoundSeconds)
	read := map[string]bool{}
	for _, c := range calls {
		if strings.HasPrefix(c.Action, "Create") && c.OK() {
			rs.Creates++
		}
		if framework.IsRead(c.Action) && c.LoadBalancerID != "" {
			read[c.LoadBalancerID] = true
		}
	}
	rs.ELBsRead = len(read)
	e.logf("restart: looked at %d PoolServices in %.1fs (bound %.1fs), %d syncs, %d creates, %d ELBs read, calls %v",
		rs.PoolServices, rs.Seconds, rs.BoundSeconds, syncs, rs.Creates, rs.ELBsRead, rs.Calls.Calls)

	// Steady state afterwards: the resync runs, nothing else happens.
	for t0 := time.Now(); time.Since(t0) < p.SteadyFor || len(rs.RSSSamplesMiB) < 3; time.Sleep(max(p.SteadyFor/10, time.Second)) {
		rss, err := framework.RSSBytes(m.Pid())
		if err != nil {
			e.t.Fatal(err)
		}
		mib := float64(rss) / (1 << 20)
		rs.RSSSamplesMiB = append(rs.RSSSamplesMiB, float64(int(mib*10))/10)
		rs.RSSMiB = max(rs.RSSMiB, mib)
		// Where the memory goes: the Go heap in use and the informers' objects.
		rs.HeapInuseMiB = max(rs.HeapInuseMiB, e.metric("go_memstats_heap_inuse_bytes", nil)/(1<<20))
		if mib == rs.RSSMiB { // the most: what it is made of
			anon, errA := framework.StatusBytes(m.Pid(), "RssAnon")
			file, errF := framework.StatusBytes(m.Pid(), "RssFile")
			if errA == nil && errF == nil {
				rs.RSSAnonMiB, rs.RSSFileMiB = float64(anon)/(1<<20), float64(file)/(1<<20)
			}
		}
	}
	rs.MemoryLimitMiB = float64(softMemoryLimit()) / (1 << 20)
	// The heap profile of that steady state, for `go tool pprof`.
	if err := m.SaveProfile("heap", e.path("restart-heap.pprof")); err != nil {
		e.t.Errorf("heap profile: %v", err)
	}

	final, err := e.emu.Inventory()
	if err != nil {
		e.t.Fatal(err)
	}
	rs.Duplicates = duplicates(final)
	e.checkRestart(final, rs)
}

// restartEmulator starts the emulator again on inv, with the limits scaled.
func (e *env) restartEmulator(ctx context.Context, inv ensemulator.Inventory) {
	e.t.Helper()
	raw, err := json.Marshal(inv)
	if err != nil {
		e.t.Fatal(err)
	}
	path := e.path("restart-inventory.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		e.t.Fatal(err)
	}
	if err := e.emu.Stop(10 * time.Second); err != nil {
		e.t.Fatal(err)
	}
	e.emu.SetArg("inventory-file", path)
	e.emu.SetArg("rate-limit-scale", strconv.FormatFloat(e.p.LimitScale, 'g', -1, 64))
	if err := e.emu.Restart(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// seedAPI creates the new Services' objects and returns the endpoints of
// all Services.
func (e *env) seedAPI(ctx context.Context, s *seed) int {
	p := e.p
	existing := p.Pools + (p.Services-1)*p.Nodes() // the probe's and the bulk Services'
	add := p.RestartServices() - p.Services
	rest := max(p.RestartEndpoints-existing, add)
	err := parallel(ctx, 16, add, func(n int) error {
		eps := rest / add
		if n < rest%add {
			eps++
		}
		return e.seedService(ctx, s, p.Services+n, min(eps, p.Nodes()))
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return existing + rest
}

// waitLookedAt waits until manager m has synced every PoolService once
// since it started: its elb queue held all of them when its workers began
// (the initial list), so once at least n syncs were made and the queue is
// empty with nothing in progress, each was looked at; and every
// PoolService is Ready and Synced. It returns when that was first seen and
// the syncs made.
func (e *env) waitLookedAt(ctx context.Context, m *framework.Manager, n int, start time.Time) (time.Time, int) {
	e.t.Helper()
	var syncs float64
	var state string
	lastLog := time.Now()
	err := framework.WaitFor(ctx, adoptTimeout, 200*time.Millisecond, func() (bool, string) {
		var err error
		if syncs, err = m.Metric("edge_controller_manager_syncs_total", map[string]string{"controller": apis.ControllerELB}); err != nil {
			return false, err.Error()
		}
		depth, err1 := m.Metric("workqueue_depth", map[string]string{"name": "elb"})
		busy, err2 := m.Metric("workqueue_unfinished_work_seconds", map[string]string{"name": "elb"})
		if err1 != nil || err2 != nil {
			return false, fmt.Sprint(err1, err2)
		}
		total, ready, _ := e.ps.state()
		state = fmt.Sprintf("%.0f syncs, queue %.0f, in progress %.1fs, %d of %d PoolServices ready (%d exist)", syncs, depth, busy, ready, n, total)
		if time.Since(lastLog) > 30*time.Second {
			lastLog = time.Now()
			e.logf("%s: %s after %s", m.Name, state, since(start))
		}
		return syncs >= float64(n) && depth == 0 && busy == 0 && ready == n && total == n, state
	})
	if err != nil {
		e.t.Fatalf("%s: %v", m.Name, err)
	}
	return time.Now(), int(syncs)
}

// duplicates counts the names that more than one ELB, or more than one
// EIP, carries.
func duplicates(inv ensemulator.Inventory) int {
	lbs, eips := map[string]int{}, map[string]int{}
	for _, lb := range inv.LoadBalancers {
		lbs[lb.Name]++
	}
	for _, eip := range inv.EIPs {
		eips[eip.Name]++
	}
	n := 0
	for _, m := range []map[string]int{lbs, eips} {
		for _, c := range m {
			if c > 1 {
				n++
			}
		}
	}
	return n
}

// checkRestart asserts the end state: every PoolService served, one ELB
// and one EIP each, no create, no duplicate.
func (e *env) checkRestart(inv ensemulator.Inventory, rs *RestartPhase) {
	pss := e.ps.list(e.t)
	if len(pss) != rs.PoolServices || len(inv.LoadBalancers) != rs.PoolServices || len(inv.EIPs) != rs.PoolServices {
		e.t.Errorf("after the restart: %d PoolServices, %d ELBs, %d EIPs; want %d each", len(pss), len(inv.LoadBalancers), len(inv.EIPs), rs.PoolServices)
	}
	bad := 0
	for _, ps := range pss {
		svc, pool, err := serviceAndPool(ps)
		if err == nil {
			want := instancesOfPool(e.p, pool)
			if svc == probe {
				want = e.probeWant[pool]
			}
			err = checkELB(e.p, inv, ps, svc, pool, want)
		}
		if err != nil {
			if bad++; bad <= 10 {
				e.t.Errorf("after the restart, PoolService %s: %v", ps.Name, err)
			}
		}
	}
	if bad > 10 {
		e.t.Errorf("... and %d more PoolServices", bad-10)
	}
	if rs.Creates != 0 || rs.Duplicates != 0 {
		e.t.Errorf("the restarted manager made %d creates; %d names carry more than one ELB or EIP (want 0 and 0)", rs.Creates, rs.Duplicates)
	}
}
