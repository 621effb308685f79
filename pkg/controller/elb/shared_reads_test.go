package elb

import (
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// sharedHarness is the walkthrough with n more Services over both pools
// (2n+2 PoolServices), converged.
func sharedHarness(t *testing.T, n int) (*harness, []string) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	keys := []string{hefeiKey, chengduKey}
	for i := range n {
		name := fmt.Sprintf("svc-%02d", i)
		h.create(newService(name, corev1.ServiceExternalTrafficPolicyCluster, nil,
			corev1.ServicePort{Name: "p", Port: 80, Protocol: corev1.ProtocolTCP, NodePort: int32(31000 + i)}))
		for pool := range pools {
			h.create(newPoolService(name, pool, nil))
			keys = append(keys, "default/"+name+"-"+pool)
		}
	}
	h.converge(keys...)
	return h, keys
}

// resyncAll syncs every key as the periodic resync asks for it.
func (h *harness) resyncAll(keys []string) {
	h.t.Helper()
	for _, key := range keys {
		h.c.resyncing.add(key)
	}
	h.converge(keys...)
}

// TestResyncReadsAreShared: a resync of converged PoolServices reads one
// ELB attribute each; the instances and each region's EIPs are read once
// for all, and listeners whose summary is unchanged are not read again.
func TestResyncReadsAreShared(t *testing.T) {
	h, keys := sharedHarness(t, 10)
	h.emu.ResetCalls()
	h.resyncAll(keys)
	calls, n := h.emu.Calls(), len(keys)
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Fatalf("resync of converged PoolServices made %d mutating calls: %v", m, calls)
	}
	want := map[string]int{"DescribeLoadBalancerAttribute": n, "DescribeInstances": 1, "DescribeEnsEipAddresses": len(pools)}
	if d := cmpCalls(want, calls); d != "" {
		t.Errorf("resync of %d PoolServices: %s", n, d)
	}
	t.Logf("resync reads: %d for %d PoolServices (%.2f each): %v", totalCalls(calls), n, float64(totalCalls(calls))/float64(n), calls)

	// An event-driven sync reads fresh, by itself.
	h.emu.ResetCalls()
	h.converge(hefeiKey)
	if c := h.emu.Calls(); c["DescribeLoadBalancerTCPListenerAttribute"] != 1 || c["DescribeEnsEipAddresses"] != 1 || c["DescribeInstances"] != 1 {
		t.Errorf("an event's sync did not read its own listener, EIPs and instances: %v", c)
	}
}

func cmpCalls(want, got map[string]int) string {
	var diff []string
	for action, n := range want {
		if got[action] != n {
			diff = append(diff, fmt.Sprintf("%s %d, want %d", action, got[action], n))
		}
	}
	for action, n := range got {
		if _, ok := want[action]; !ok && n > 0 {
			diff = append(diff, fmt.Sprintf("%s %d, want none", action, n))
		}
	}
	slices.Sort(diff)
	return fmt.Sprint(diff)[1 : len(fmt.Sprint(diff))-1]
}

// TestSharedReadsRepairDriftWithinTheirAge: drift the shared reads cannot
// see (an EIP unbound by hand, a listener stopped by hand with its ports
// kept) is repaired once the read is older than its age; a change the
// controller made itself is never judged by a read from before it.
func TestSharedReadsRepairDriftWithinTheirAge(t *testing.T) {
	h, keys := sharedHarness(t, 10)
	h.resyncAll(keys) // the shared reads are fresh now
	lbID, other := h.lbsNamed(hefeiName)[0].ID, h.lbsNamed(chengName)[0].ID
	eip := h.eipsNamed(hefeiName)[0]
	if err := h.user.UnassociateEIP(h.ctx, eip.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.user.StopListener(h.ctx, other, 80, "TCP"); err != nil {
		t.Fatal(err)
	}
	h.waitSettled()

	h.resyncAll(keys)
	if e := h.eip(eip.ID); e.Status != "Available" {
		t.Fatalf("EIP %s is %s: the resync did not use the shared read", eip.ID, e.Status)
	}
	h.clock.Step(h.c.cfg.SharedReadMaxAge)
	h.resyncAll(keys)
	if e := h.eip(eip.ID); e.Status != "InUse" || e.InstanceID != lbID {
		t.Errorf("EIP after the shared read aged: %+v, want bound to %s again", e, lbID)
	}
	// The rebinding was ours: the next resync reads that name's EIPs itself
	// although the region's read is fresh.
	h.emu.ResetCalls()
	h.resyncAll([]string{hefeiKey})
	if c := h.emu.Calls(); c["DescribeEnsEipAddresses"] != 1 {
		t.Errorf("after our own EIP change the resync read %d times, want its own read: %v", c["DescribeEnsEipAddresses"], c)
	}
	// A sync of ours (the rebinding above) reads everything fresh; the
	// other pool's ELB, only resynced, keeps its listener read.
	if l := h.lb(other).Listeners[0]; l.Status != "Stopped" {
		t.Fatalf("listener %s before its recheck: the resync re-read it", l.Status)
	}
	h.clock.Step(h.c.cfg.ListenerRecheckPeriod)
	h.resyncAll(keys)
	if l := h.lb(other).Listeners[0]; l.Status != cloud.ListenerRunning {
		t.Errorf("listener after its recheck period: %s, want Running", l.Status)
	}
}

// TestResyncGap: keys spread over the period, never faster than the rate.
func TestResyncGap(t *testing.T) {
	for _, tt := range []struct {
		n      int
		period time.Duration
		rate   float64
		want   time.Duration
	}{
		{0, time.Minute, 5, 0},
		{10, time.Minute, 5, 6 * time.Second},
		{600, time.Minute, 5, 200 * time.Millisecond}, // stretched to 2 minutes
		{3000, 5 * time.Minute, 10, 100 * time.Millisecond},
	} {
		if got := resyncGap(tt.n, tt.period, tt.rate); got != tt.want {
			t.Errorf("resyncGap(%d, %v, %v) = %v, want %v", tt.n, tt.period, tt.rate, got, tt.want)
		}
	}
}

// TestResyncGoesLast: the resync's keys wait at the background level, so
// an event queued after them is synced first, at the urgent priority its
// ENS calls then carry; the resync's keys follow, marked for shared reads.
func TestResyncGoesLast(t *testing.T) {
	h, _ := sharedHarness(t, 1)
	for h.c.queue.Len() > 0 {
		key, _ := h.c.queue.Get()
		h.c.queue.Done(key)
	}
	h.c.cfg.ResyncPeriod, h.c.cfg.ResyncRate = time.Millisecond, 1e6
	h.c.resyncPass(h.ctx)
	resynced := h.c.queue.Len()
	if resynced < 2 {
		t.Fatalf("the resync queued %d keys", resynced)
	}
	h.c.enqueueAt("default/an-event", cloud.PriorityUrgent)
	var order []string
	var levels []cloud.Priority
	for h.c.queue.Len() > 0 {
		key, _ := h.c.queue.Get()
		order, levels = append(order, key), append(levels, h.c.takenAt(key))
		h.c.queue.Done(key)
	}
	if order[0] != "default/an-event" || levels[0] != cloud.PriorityUrgent {
		t.Fatalf("first synced %s at %s, want the event, urgent (order %v)", order[0], levels[0], order)
	}
	for i, key := range order[1:] {
		if levels[i+1] != cloud.PriorityBackground || !h.c.resyncing.take(key) {
			t.Errorf("resync key %s at %s, marked %v; want background, marked for shared reads", key, levels[i+1], false)
		}
	}
}

// TestResyncHoldsBackWhileItsSyncsWait: with the workers running, the
// pass keeps at most workers/4 resync keys queued or syncing; the next is
// enqueued only once one of those syncs has finished (a resync sync
// starved of budget at background priority would otherwise take one
// worker after another).
func TestResyncHoldsBackWhileItsSyncsWait(t *testing.T) {
	h, _ := sharedHarness(t, 3)
	for h.c.queue.Len() > 0 {
		key, _ := h.c.queue.Get()
		h.c.queue.Done(key)
	}
	h.c.workers.Store(4) // as Run(ctx, 4): one resync key at a time
	h.c.cfg.ResyncPeriod, h.c.cfg.ResyncRate = time.Millisecond, 1000
	all, err := h.c.poolServices.List(labels.Everything())
	if err != nil || len(all) < 3 {
		t.Fatalf("%d PoolServices, %v", len(all), err)
	}
	done := make(chan struct{})
	go func() { defer close(done); h.c.resyncPass(h.ctx) }()
	var synced []string
	for len(synced) < len(all) {
		time.Sleep(20 * time.Millisecond) // the pacer would have enqueued many by now
		if n := h.c.resyncing.open(); n != 1 || h.c.queue.Len() != 1 {
			t.Fatalf("after %d resync syncs: %d open, %d queued; want 1 and 1", len(synced), n, h.c.queue.Len())
		}
		key, _ := h.c.queue.Get()
		if !h.c.resyncing.start(key) {
			t.Fatalf("%s not marked as a resync key", key)
		}
		if h.c.resyncing.open() != 1 {
			t.Fatalf("a running resync sync does not count as open")
		}
		h.c.resyncing.finish()
		h.c.queue.Done(key)
		synced = append(synced, key)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the pass did not end after its last key")
	}
	if len(slices.Compact(slices.Sorted(slices.Values(synced)))) != len(all) {
		t.Errorf("synced %v, want each PoolService once", synced)
	}
}
