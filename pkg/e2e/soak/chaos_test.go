//go:build soak

package soak

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// chaos injects what goes wrong while the workload runs: a new random set
// of ENS faults every few seconds (every mutating action fails 10–25 % of
// the time, half of them after acting, with latency; now and then a few
// actions are refused with NoPermission for one fault period, as while a
// RAM policy is being fixed), the leader killed every ~30 s and the
// emulator killed and restarted from its state file every ~60 s. Its
// timeline is drawn from the seed up front.
type chaos struct {
	env  *env
	seed uint64
	rng  *rand.Rand
	log  io.Writer

	mu       sync.Mutex
	faults   map[string]ensemulator.Fault // the current set, re-applied after a restart
	kills    int
	restarts int
	// authWindows counts the fault periods with NoPermission faults.
	authWindows int
	// mutating counts the mutating ENS calls under chaos (the emulator's
	// counters start again at every restart), ctrlMutating those with the
	// controller's key.
	mutating, ctrlMutating int
	replace                sync.WaitGroup // replicas being started after a kill
}

type event struct {
	at   time.Duration
	kind string // "faults", "faults+auth", "kill-leader", "restart-emulator"
}

const faultPeriod = 8 * time.Second

// Auth windows: about one fault period in authEvery, at least one in a run
// that has room for it, never in the first authStart nor in the last
// authQuiet of the run (an auth error is retried after 30 s, which should
// not stretch a short run's quiesce).
const (
	authEvery = 5
	authStart = 20 * time.Second
	authQuiet = 40 * time.Second
)

func newChaos(e *env, seed uint64, log io.Writer) *chaos {
	return &chaos{env: e, seed: seed, rng: rand.New(rand.NewPCG(seed, 0xc4a05)), log: log}
}

// timeline is every event of a run of length d, in order.
func (c *chaos) timeline(d time.Duration) []event {
	var out []event
	auth, lastRoom := 0, -1
	for at := time.Duration(0); at < d; at += faultPeriod {
		kind := "faults"
		if room := at >= authStart && at+faultPeriod <= d-authQuiet; room {
			lastRoom = len(out)
			if c.rng.IntN(authEvery) == 0 {
				kind = "faults+auth"
				auth++
			}
		}
		out = append(out, event{at, kind})
	}
	if auth == 0 && lastRoom >= 0 {
		out[lastRoom].kind = "faults+auth"
	}
	for at := c.jitter(30*time.Second, 5*time.Second); at < d; at += c.jitter(30*time.Second, 5*time.Second) {
		out = append(out, event{at, "kill-leader"})
	}
	for at := c.jitter(40*time.Second, 8*time.Second); at < d; at += c.jitter(60*time.Second, 15*time.Second) {
		out = append(out, event{at, "restart-emulator"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

func (c *chaos) jitter(base, spread time.Duration) time.Duration {
	return base - spread + time.Duration(c.rng.Int64N(int64(2*spread)))
}

// run plays the timeline until ctx ends.
func (c *chaos) run(ctx context.Context, start time.Time, d time.Duration) {
	for _, ev := range c.timeline(d) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(ev.at))):
		}
		err := c.do(ctx, ev.kind)
		fmt.Fprintf(c.log, "chaos +%.1fs %s: %v\n", time.Since(start).Seconds(), ev.kind, errOrOK(err))
	}
}

func (c *chaos) do(ctx context.Context, kind string) error {
	switch kind {
	case "faults", "faults+auth":
		c.mu.Lock()
		c.faults = c.drawFaults()
		if kind == "faults+auth" {
			c.authWindows++
			for _, a := range c.authActions() {
				c.faults[a] = ensemulator.Fault{Rate: 1, Code: codeNoPermission}
			}
		}
		f := c.faults
		c.mu.Unlock()
		return c.env.emu.SetFaults(f)
	case "kill-leader":
		return c.killLeader(ctx)
	default:
		return c.restartEmulator(ctx)
	}
}

// codeNoPermission is ENS's answer to a call the RAM policy does not allow.
const codeNoPermission = "NoPermission"

// authActions are 1–3 actions to refuse with NoPermission: mostly
// mutating ones, sometimes a read everything needs.
func (c *chaos) authActions() []string {
	all := ensemulator.Actions()
	var out []string
	for range 1 + c.rng.IntN(3) {
		a := all[c.rng.IntN(len(all))]
		if strings.HasPrefix(a, "Describe") && c.rng.IntN(3) != 0 {
			continue // reads less often
		}
		out = append(out, a)
	}
	return out
}

// drawFaults: every mutating action fails 10–25 % of the time with a
// service-side code, or one that sounds like auth but is transient (a
// nonce seen twice, a timestamp out of the window), half of the actions
// after acting ("applied, then error"; never the transient auth codes,
// which ENS answers before acting), with some latency; creates may also
// stay invisible for a while; reads fail 5 % of the time.
func (c *chaos) drawFaults() map[string]ensemulator.Fault {
	codes := []string{ensemulator.CodeThrottling, ensemulator.CodeServiceUnavailable, ensemulator.CodeInternalError,
		ensemulator.CodeThrottling, ensemulator.CodeServiceUnavailable, ensemulator.CodeInternalError,
		ensemulator.CodeSignatureNonceUsed, ensemulator.CodeTimestampExpired}
	latencies := []time.Duration{0, 20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond}
	out := map[string]ensemulator.Fault{ensemulator.AllActions: {Rate: 0.05, Code: ensemulator.CodeServiceUnavailable,
		Latency: latencies[c.rng.IntN(2)]}}
	for _, a := range ensemulator.Actions() {
		if strings.HasPrefix(a, "Describe") {
			continue
		}
		f := ensemulator.Fault{Rate: 0.10 + 0.15*c.rng.Float64(), Applied: c.rng.IntN(2) == 0,
			Code: codes[c.rng.IntN(len(codes))], Latency: latencies[c.rng.IntN(len(latencies))]}
		if f.Code == ensemulator.CodeSignatureNonceUsed || f.Code == ensemulator.CodeTimestampExpired {
			f.Applied = false
		}
		if strings.HasPrefix(a, "Create") && c.rng.IntN(3) == 0 {
			f.Visibility = time.Duration(1+c.rng.IntN(3)) * time.Second
		}
		out[a] = f
	}
	return out
}

// killLeader SIGKILLs the leader and starts a replacement a moment later,
// so that for a while only one replica runs.
func (c *chaos) killLeader(ctx context.Context) error {
	leader, err := c.env.mgrs.WaitLeader(ctx, 15*time.Second)
	if err != nil {
		return err
	}
	if err := leader.Kill(); err != nil {
		return err
	}
	c.mu.Lock()
	c.kills++
	c.mu.Unlock()
	delay := time.Duration(1+c.rng.IntN(3)) * time.Second
	c.replace.Go(func() {
		time.Sleep(delay)
		if err := c.env.mgrs.Ensure(context.WithoutCancel(ctx), 2); err != nil {
			fmt.Fprintf(c.log, "chaos: starting a replacement replica: %v\n", err)
		}
	})
	fmt.Fprintf(c.log, "chaos: killed leader %s (pid %d)\n", leader.Name, leader.Pid())
	return nil
}

// restartEmulator kills the emulator and starts it again from its state
// file (with a new id seed), then puts the faults back.
func (c *chaos) restartEmulator(ctx context.Context) error {
	c.addCalls()
	if err := c.env.emu.Kill(); err != nil {
		return err
	}
	c.mu.Lock()
	c.restarts++
	n := c.restarts
	f := c.faults
	c.mu.Unlock()
	c.env.emu.SetArg("seed", fmt.Sprint(c.seed*1000+uint64(n)))
	if err := c.env.emu.Restart(ctx); err != nil {
		return err
	}
	return c.env.emu.SetFaults(f)
}

// addCalls adds the emulator's mutating calls since its last start.
func (c *chaos) addCalls() {
	if st, err := c.env.emu.Calls(); err == nil {
		c.mu.Lock()
		c.mutating += st.MutatingCalls
		c.ctrlMutating += st.ByAccessKey[controllerKeyID].MutatingCalls
		c.mu.Unlock()
	}
}

// injectedFaults counts the faults the emulator logged (-v=2), in all and
// on mutating actions.
func injectedFaults(logPath string) (all, mutating int, err error) {
	lines, err := framework.GrepLines(logPath, "Injected fault for")
	for _, l := range lines {
		all++
		if _, rest, ok := strings.Cut(l, `action="`); ok && !strings.HasPrefix(rest, "Describe") {
			mutating++
		}
	}
	return all, mutating, err
}

// counts are the leader kills and emulator restarts so far.
func (c *chaos) counts() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kills, c.restarts
}

func errOrOK(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
