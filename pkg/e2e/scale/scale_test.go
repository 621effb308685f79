//go:build scale

package scale

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

const (
	convergeTimeout = 45 * time.Minute
	deleteTimeout   = 20 * time.Minute
	idleMoves       = 3
	moveGap         = time.Second
)

// TestScale runs the phases one after another on one set of controllers:
// the probe alone (and its idle moves), the cold converge of the bulk
// Services (probe moving meanwhile), one resync period without and one
// with probe moves, and the delete of everything.
func TestScale(t *testing.T) {
	s := loadSettings(t)
	e := newEnv(t, s)
	r := &report{s: s, started: time.Now()}
	limits := ensemulator.DefaultRateLimits()
	timing := workloadTiming(s.rtt)

	pr := newProbe(e)
	e.waitConverged(t, []string{probeName}, convergeTimeout)
	pr.learnELBs()
	var idle []time.Duration
	for range idleMoves {
		lat, err := pr.move(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, lat)
	}
	r.idle = Summarize(idle)
	t.Logf("probe converged; idle moves %v", idle)

	// Cold converge.
	bulk := make([]string, s.services)
	for i := range bulk {
		bulk[i] = serviceName(i)
	}
	w := Workload{PoolServices: s.services * s.pools, TCPPorts: 1, UDPPorts: 1, Backends: s.nodes}
	before := e.startPhase()
	start := time.Now()
	for i, name := range bulk {
		if _, err := e.kube.CoreV1().Services(namespace).Create(e.ctx, service(name, i, corev1.ServiceExternalTrafficPolicyCluster), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.kube.DiscoveryV1().EndpointSlices(namespace).Create(e.ctx, endpointSlice(name, allNodes(s, 0, s.nodes)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	movesDone := pr.moves(e.ctx, stop, moveGap)
	r.converge.seconds = e.waitConverged(t, append([]string{probeName}, bulk...), convergeTimeout).Sub(start).Seconds()
	close(stop)
	mr := <-movesDone
	if mr.err != nil {
		t.Fatal(mr.err)
	}
	r.duringC = Summarize(mr.samples)
	e.endPhase(&r.converge, before)
	r.converge.minimal = MinimalConvergeCalls(w)
	r.converge.bound, r.converge.perAction = Bound(r.converge.minimal, limits, s.rtt, ConvergeTails(timing))
	r.convergePasses = int(time.Since(e.runStart)/s.resync - start.Sub(e.runStart)/s.resync)
	e.checkInventory(t, pr)
	t.Logf("converged in %.1fs (bound %.1fs), %d calls", r.converge.seconds, r.converge.bound, r.converge.total())

	// One resync period untouched, then one with the probe moving.
	from := e.nextResync(time.Now())
	time.Sleep(time.Until(from))
	r.noop = e.resyncPeriod(from)
	stop = make(chan struct{})
	movesDone = pr.moves(e.ctx, stop, moveGap)
	r.moving = e.resyncPeriod(from.Add(s.resync))
	close(stop)
	if mr = <-movesDone; mr.err != nil {
		t.Fatal(mr.err)
	}
	r.duringR = Summarize(mr.samples)
	if r.noop.mutating != 0 || r.noop.apiWrites != 0 {
		t.Errorf("a no-op resync made %d mutating cloud calls and %d API writes: %v", r.noop.mutating, r.noop.apiWrites, r.noop.calls)
	}
	e.checkInventory(t, pr)

	// Delete everything.
	before = e.startPhase()
	start = time.Now()
	for _, name := range append([]string{probeName}, bulk...) {
		if err := e.kube.CoreV1().Services(namespace).Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r.deletion.seconds = e.waitDeleted(t, deleteTimeout).Sub(start).Seconds()
	e.endPhase(&r.deletion, before)
	r.deletion.minimal = MinimalDeleteCalls(Workload{PoolServices: s.poolServices()})
	r.deletion.bound, r.deletion.perAction = Bound(r.deletion.minimal, limits, s.rtt, DeleteTails(timing))

	r.print(os.Stdout)
	if err := r.write(s.out); err != nil {
		t.Fatal(err)
	}
	t.Logf("raw numbers in %s", s.out)
	for _, p := range []phase{r.converge, r.noop.phase, r.moving.phase, r.deletion} {
		if n := sum(p.throttled); n != 0 {
			t.Logf("ENS throttled %d calls: %v (the client's buckets should keep this 0)", n, p.throttled)
		}
	}
}

// startPhase zeroes the emulator's and the clientsets' counters and
// returns the client's bucket wait so far.
func (e *env) startPhase() map[string]float64 {
	e.emu.ResetCalls()
	e.apiWrites()
	return e.clientWait()
}

func (e *env) endPhase(p *phase, waitBefore map[string]float64) {
	st := e.emu.CallStats()
	p.calls, p.throttled, p.mutating = st.Calls, st.Throttled, st.MutatingCalls
	p.apiWrites = e.apiWrites()
	p.wait = diff(e.clientWait(), waitBefore)
}

// nextResync is the first moment after t, with a second to spare, one
// second before a resync pass of the elb controller begins: its passes
// begin about runStart + k×period (the first when Run has synced its
// caches), so a window from there to one period later holds one pass,
// whether the controller makes it at once or spreads it over the period.
func (e *env) nextResync(t time.Time) time.Time {
	const lead = time.Second
	k := t.Add(2*lead).Sub(e.runStart)/e.s.resync + 1
	return e.runStart.Add(k*e.s.resync - lead)
}

// resyncPeriod counts the calls from `from` to one period later.
func (e *env) resyncPeriod(from time.Time) resync {
	time.Sleep(time.Until(from))
	waitBefore := e.startPhase()
	time.Sleep(e.s.resync)
	var r resync
	r.seconds = e.s.resync.Seconds()
	e.endPhase(&r.phase, waitBefore)
	r.poolServices = e.s.poolServices()
	r.elbsRead = len(e.calls.readELBs(from, from.Add(e.s.resync)))
	return r
}

// waitConverged waits until every PoolService of the Services (one per
// pool) is Ready and Synced and the cloud has settled, and returns when.
func (e *env) waitConverged(t *testing.T, services []string, timeout time.Duration) time.Time {
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	var done time.Time
	lastLog := time.Now()
	err := wait.PollUntilContextTimeout(e.ctx, 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		pss, err := e.psLister.List(labels.Everything())
		if err != nil {
			return false, err
		}
		ready := 0
		for _, ps := range pss {
			if want[ps.Labels[apis.LabelServiceName]] && converged(ps) {
				ready++
			}
		}
		if time.Since(lastLog) > 30*time.Second {
			lastLog = time.Now()
			t.Logf("%d of %d PoolServices ready, %d cloud calls so far", ready, len(services)*e.s.pools, e.emu.CallStats().Total)
		}
		if ready != len(services)*e.s.pools || !e.emu.Settled() {
			return false, nil
		}
		done = time.Now()
		return true, nil
	})
	if err != nil {
		t.Fatalf("%d Services did not converge within %v: %v", len(services), timeout, err)
	}
	return done
}

func converged(ps *v1alpha1.PoolService) bool {
	return ps.DeletionTimestamp == nil && meta.IsStatusConditionTrue(ps.Status.Conditions, apis.ConditionReady) &&
		meta.IsStatusConditionTrue(ps.Status.Conditions, apis.ConditionSynced)
}

// waitDeleted waits until no Service and no PoolService is left, the
// emulator holds no ELB and no EIP, and the cloud has settled.
func (e *env) waitDeleted(t *testing.T, timeout time.Duration) time.Time {
	var done time.Time
	err := wait.PollUntilContextTimeout(e.ctx, 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		pss, err := e.psLister.List(labels.Everything())
		if err != nil || len(pss) > 0 {
			return false, err
		}
		if inv := e.emu.Inventory(); len(inv.LoadBalancers) > 0 || len(inv.EIPs) > 0 || !e.emu.Settled() || e.serviceCount() > 0 {
			return false, nil
		}
		done = time.Now()
		return true, nil
	})
	if err != nil {
		inv := e.emu.Inventory()
		pss, _ := e.psLister.List(labels.Everything())
		t.Fatalf("not all deleted within %v: %d PoolServices, %d Services, %d ELBs, %d EIPs left: %v", timeout, len(pss), e.serviceCount(),
			len(inv.LoadBalancers), len(inv.EIPs), err)
	}
	return done
}

// checkInventory asserts the cloud the PoolServices say they have: each
// names an Active ELB with a Running TCP and UDP listener on the Service's
// node ports, exactly the expected backends (all of the pool's instances;
// the probe's current half) and one InUse EIP; and the account holds
// nothing else.
func (e *env) checkInventory(t *testing.T, pr *probe) {
	t.Helper()
	inv := e.emu.Inventory()
	pss, err := e.psLister.List(labels.Everything())
	if err != nil {
		t.Fatal(err)
	}
	if want := e.s.poolServices(); len(pss) != want || len(inv.LoadBalancers) != want || len(inv.EIPs) != want {
		t.Errorf("%d PoolServices, %d ELBs, %d EIPs; want %d each", len(pss), len(inv.LoadBalancers), len(inv.EIPs), want)
	}
	bad := 0
	for _, ps := range pss {
		if err := e.checkELB(inv, ps, pr); err != nil {
			if bad++; bad <= 10 {
				t.Errorf("PoolService %s: %v", ps.Name, err)
			}
		}
	}
	if bad > 10 {
		t.Errorf("... and %d more PoolServices", bad-10)
	}
}

func (e *env) checkELB(inv ensemulator.Inventory, ps *v1alpha1.PoolService, pr *probe) error {
	svcName := ps.Labels[apis.LabelServiceName]
	svc, err := e.services.Services(namespace).Get(svcName)
	if err != nil {
		return err
	}
	var pool int
	if _, err := fmt.Sscanf(ps.Labels[apis.LabelPoolName], "np-%d", &pool); err != nil {
		return err
	}
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
	want := []string{fmt.Sprintf("TCP/%d->%d Running", tcpPort, svc.Spec.Ports[0].NodePort), fmt.Sprintf("UDP/%d->%d Running", udpPort, svc.Spec.Ports[1].NodePort)}
	if !slices.Equal(listeners, want) {
		return fmt.Errorf("ELB %s listeners %v, want %v", id, listeners, want)
	}
	var backends []string
	for _, b := range lb.Backends {
		backends = append(backends, b.ServerID)
	}
	slices.Sort(backends)
	wantBackends := instancesOf(pool, 0, e.s.nodes)
	if svcName == probeName {
		wantBackends = pr.wantBackends(pool)
	}
	if !slices.Equal(backends, wantBackends) {
		return fmt.Errorf("ELB %s backends %v, want %v", id, backends, wantBackends)
	}
	if eip := inv.EIPOn(id); eip == nil || eip.Status != "InUse" {
		return fmt.Errorf("ELB %s has EIP %+v, want one InUse", id, eip)
	}
	return nil
}
