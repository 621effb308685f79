//go:build benchscale

package benchscale

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/scale"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// phase 1: the manager starts on an empty cluster (its first resync pass
// has nothing to enqueue), then every Service is created at once; the
// converge ends when every PoolService is Ready and Synced and the cloud
// has come to rest.
func (e *env) converge(ctx context.Context, r *Report) {
	p := e.p
	n := p.PoolServices()
	e.startManager(ctx, "manager-1", e.managerArgs(p.ResyncPeriod()))
	ready := time.Now()
	time.Sleep(time.Second) // the first pass, of no keys, is over
	e.passBase = int(e.metric(resyncEnqueued, nil))
	e.resetCalls()

	start := time.Now()
	if err := e.createServices(ctx, 0, p.Services, func(i int) *discoveryv1.EndpointSlice {
		if i == probe {
			return endpointSlice(i, probeNodes(make([]int, p.Pools)))
		}
		return endpointSlice(i, allNodes(p))
	}); err != nil {
		e.t.Fatal(err)
	}
	e.logf("%d Services created in %s; converging %d PoolServices", p.Services, since(start), n)
	// Passes are counted from here on: the second pass must see them all.
	if err := framework.WaitFor(ctx, p.ResyncPeriod(), 50*time.Millisecond, func() (bool, string) {
		total, _, _ := e.ps.state()
		return total == n, fmt.Sprintf("%d of %d PoolServices exist", total, n)
	}); err != nil || time.Now().After(ready.Add(p.ResyncPeriod()-time.Second)) {
		e.t.Fatalf("the PoolServices did not all exist before the second resync pass began (%v); the pass windows would be wrong", err)
	}
	readyAt := e.ps.waitReady(ctx, e, n, 45*time.Minute)
	// What is still in transition then says when it will have settled.
	inv, err := e.emu.Inventory()
	if err != nil {
		e.t.Fatal(err)
	}
	end := maxTime(readyAt, settlesAt(inv))
	if inv, err = e.emu.WaitCloudSettled(ctx, time.Minute); err != nil {
		e.t.Fatalf("cloud not settled: %v", err)
	}
	throttled := e.throttled()
	calls := e.proxy.CallsBetween(start, end)

	c := &r.Converge
	c.PoolServices = n
	c.Seconds = end.Sub(start).Seconds()
	var per []scale.ActionBound
	c.Minimal, c.BoundSeconds, per = ConvergeBound(p)
	c.Calls = phaseCalls(calls, throttled, e.apiWrites(start, end), c.Minimal)
	c.BoundByAction = actionBounds(per, c.Calls.Calls)
	c.Ratio = ratio(c.Seconds, c.BoundSeconds)
	e.logf("converged in %.1fs (bound %.1fs, ratio %.2f): %d ENS calls, %d mutating", c.Seconds, c.BoundSeconds, c.Ratio,
		len(calls), c.Mutating)
	e.probeELBs = e.checkConverged(inv)
}

// settlesAt is when the last transition still under way in inv ends
// (zero: none is): an ELB becoming Active, a listener or an EIP settling.
func settlesAt(inv ensemulator.Inventory) time.Time {
	var t time.Time
	now := time.Now()
	for _, lb := range inv.LoadBalancers {
		if lb.Status == "Creating" && lb.ActiveAt != nil {
			t = maxTime(t, *lb.ActiveAt)
		}
		for _, l := range lb.Listeners {
			if l.SettleAt != nil {
				t = maxTime(t, *l.SettleAt)
			}
		}
	}
	for _, eip := range inv.EIPs {
		if eip.SettleAt != nil {
			t = maxTime(t, *eip.SettleAt)
		}
	}
	if t.Before(now.Add(-time.Hour)) {
		return time.Time{}
	}
	return t
}

// checkConverged asserts the cloud the PoolServices say they have: each
// names an Active ELB in its pool's region with a Running TCP and UDP
// listener on the Service's node ports, exactly the expected backends
// (the pool's instances; the probe's one endpoint node) and one InUse EIP;
// the account holds nothing else. It returns the probe's ELB by pool.
func (e *env) checkConverged(inv ensemulator.Inventory) map[int]string {
	p := e.p
	pss := e.ps.list(e.t)
	if want := p.PoolServices(); len(pss) != want || len(inv.LoadBalancers) != want || len(inv.EIPs) != want {
		e.t.Errorf("%d PoolServices, %d ELBs, %d EIPs; want %d each", len(pss), len(inv.LoadBalancers), len(inv.EIPs), want)
	}
	probeELBs := map[int]string{}
	bad := 0
	for _, ps := range pss {
		svc, pool, err := serviceAndPool(ps)
		if err == nil {
			err = checkELB(p, inv, ps, svc, pool, func() []string {
				if svc == probe {
					return []string{instanceID(pool, 0)}
				}
				return instancesOfPool(p, pool)
			}())
		}
		if err != nil {
			if bad++; bad <= 10 {
				e.t.Errorf("PoolService %s: %v", ps.Name, err)
			}
			continue
		}
		if svc == probe {
			probeELBs[pool] = ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]
		}
	}
	if bad > 10 {
		e.t.Errorf("... and %d more PoolServices", bad-10)
	}
	if len(probeELBs) != p.Pools {
		e.t.Fatalf("the probe has %d converged ELBs, want one per pool (%d)", len(probeELBs), p.Pools)
	}
	return probeELBs
}

// serviceAndPool parses a PoolService's Service index and pool index.
func serviceAndPool(ps *v1alpha1.PoolService) (svc, pool int, err error) {
	name, poolLabel := ps.Labels[apis.LabelServiceName], ps.Labels[apis.LabelPoolName]
	if _, err := fmt.Sscanf(poolLabel, "np-%d", &pool); err != nil {
		return 0, 0, fmt.Errorf("pool label %q", poolLabel)
	}
	if name == serviceName(probe) {
		return probe, pool, nil
	}
	if _, err := fmt.Sscanf(name, "svc-%d", &svc); err != nil {
		return 0, 0, fmt.Errorf("service label %q", name)
	}
	return svc, pool, nil
}

func checkELB(p Profile, inv ensemulator.Inventory, ps *v1alpha1.PoolService, svc, pool int, wantBackends []string) error {
	id := ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]
	lb := inv.LoadBalancer(id)
	if lb == nil || lb.Status != "Active" || lb.RegionID != regionID(pool) {
		return fmt.Errorf("ELB %q is %+v, want an Active ELB in %s", id, lb, regionID(pool))
	}
	var listeners []string
	for _, l := range lb.Listeners {
		listeners = append(listeners, fmt.Sprintf("%s/%d->%d %s", l.Protocol, l.Port, l.BackendServerPort, l.Status))
	}
	slices.Sort(listeners)
	tcp, udp := nodePorts(svc)
	if want := []string{fmt.Sprintf("TCP/%d->%d Running", tcpPort, tcp), fmt.Sprintf("UDP/%d->%d Running", udpPort, udp)}; !slices.Equal(listeners, want) {
		return fmt.Errorf("ELB %s listeners %v, want %v", id, listeners, want)
	}
	if got := backendsOf(lb); !slices.Equal(got, sortedIDs(wantBackends)) {
		return fmt.Errorf("ELB %s backends %v, want %v", id, got, wantBackends)
	}
	if eip := inv.EIPOn(id); eip == nil || eip.Status != "InUse" {
		return fmt.Errorf("ELB %s has EIP %+v, want one InUse", id, eip)
	}
	return nil
}

func backendsOf(lb *ensemulator.LoadBalancer) []string {
	var out []string
	for _, b := range lb.Backends {
		out = append(out, b.ServerID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// phaseCalls sums one phase's calls. Like the emulator's counters, calls
// counts every call ENS handled, errors included, but not the ones its
// rate limits refused: those are throttled (the emulator's own count over
// the phase).
func phaseCalls(calls []framework.Call, throttled, apiWrites, minimal map[string]int) Calls {
	handled := func(c framework.Call) bool { return !strings.HasPrefix(c.Code, "Throttling") }
	c := Calls{Calls: framework.CountCalls(calls, handled), Minimal: minimal, Throttled: throttled, APIWrites: apiWrites,
		Errors: map[string]int{}}
	for _, call := range calls {
		switch {
		case !handled(call):
		case framework.IsRead(call.Action):
			c.Reads++
		default:
			c.Mutating++
		}
		if !call.OK() && handled(call) {
			c.Errors[call.Action+" "+call.Code]++
		}
	}
	return c
}

func ratio(measured, bound float64) float64 {
	if bound <= 0 {
		return 0
	}
	return measured / bound
}

func itoa(n int) string { return strconv.Itoa(n) }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}
