package worker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"
)

const baseDelay = 5 * time.Millisecond

// step is one scripted answer of the fake sync.
type step struct {
	after time.Duration
	err   error
}

// call is what the fake sync saw.
type call struct {
	at       time.Time
	requeues int // the queue's failure count for the key during the sync
}

// fakeSync answers each key from its script and records every call.
type fakeSync struct {
	queue  workqueue.TypedRateLimitingInterface[string]
	script map[string][]step
	mu     sync.Mutex
	calls  map[string][]call
}

func (f *fakeSync) sync(_ context.Context, key string) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.calls[key])
	f.calls[key] = append(f.calls[key], call{at: time.Now(), requeues: f.queue.NumRequeues(key)})
	if n >= len(f.script[key]) {
		return 0, fmt.Errorf("unscripted call %d for %q", n+1, key)
	}
	return f.script[key][n].after, f.script[key][n].err
}

func (f *fakeSync) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += len(c)
	}
	return n
}

// seq keeps controller names unique per run (-count): the metrics are
// process-wide.
var seq atomic.Int32

func uniqueName(prefix string) string { return fmt.Sprintf("%s-%d", prefix, seq.Add(1)) }

func newQueue(name string) workqueue.TypedRateLimitingInterface[string] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](baseDelay, time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: name})
}

func TestLoopRetriesRequeuesAndCounts(t *testing.T) {
	controller := uniqueName("test-loop")
	boom := errors.New("boom")
	q := newQueue(controller)
	f := &fakeSync{queue: q, calls: map[string][]call{}, script: map[string][]step{
		"ns/fail": {{err: boom}, {err: boom}, {}},
		"ns/wait": {{err: boom}, {after: 40 * time.Millisecond}, {}},
		"ns/ok":   {{}},
	}}
	logger := ktesting.NewLogger(t, ktesting.NewConfig(ktesting.BufferLogs(true)))
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logger))
	defer cancel()
	defer q.ShutDown()

	Loop{Controller: controller, KeyName: "service", Queue: q, Sync: f.sync}.Start(ctx, 2)
	for _, k := range []string{"ns/fail", "ns/wait", "ns/ok"} {
		q.Add(k)
	}
	err := wait.PollUntilContextTimeout(ctx, time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return f.total() == 7 && q.Len() == 0, nil
	})
	if err != nil {
		t.Fatalf("waiting for 7 syncs: %v (saw %d)", err, f.total())
	}
	time.Sleep(100 * time.Millisecond) // any stray requeue would sync again by now
	f.mu.Lock()
	defer f.mu.Unlock()

	// Errors count up the key's failures; a requested delay and a success
	// forget them (the delay forgets before AddAfter).
	requeues := map[string][]int{}
	for k, cs := range f.calls {
		for _, c := range cs {
			requeues[k] = append(requeues[k], c.requeues)
		}
	}
	want := map[string][]int{"ns/fail": {0, 1, 2}, "ns/wait": {0, 1, 0}, "ns/ok": {0}}
	if d := cmp.Diff(want, requeues); d != "" {
		t.Errorf("failure counts seen by sync (-want +got):\n%s", d)
	}
	for _, k := range []string{"ns/fail", "ns/wait", "ns/ok"} {
		if n := q.NumRequeues(k); n != 0 {
			t.Errorf("%s: %d failures remembered after success", k, n)
		}
	}
	// Rate-limited retries back off (5ms, then 10ms); the delay is honoured.
	gaps := []struct {
		key  string
		i    int
		min  time.Duration
		what string
	}{
		{"ns/fail", 1, baseDelay, "first retry"},
		{"ns/fail", 2, 2 * baseDelay, "second retry"},
		{"ns/wait", 2, 40 * time.Millisecond, "requested delay"},
	}
	for _, g := range gaps {
		cs := f.calls[g.key]
		if got := cs[g.i].at.Sub(cs[g.i-1].at); got < g.min {
			t.Errorf("%s of %s came after %v, want >= %v", g.what, g.key, got, g.min)
		}
	}

	wantSeries := map[string]float64{ResultError: 3, ResultRequeue: 1, ResultSuccess: 3, "count": 7}
	if d := cmp.Diff(wantSeries, gather(t, controller)); d != "" {
		t.Errorf("metrics (-want +got):\n%s", d)
	}

	// Each failure is logged once with the key under KeyName.
	var failed []string
	for _, e := range logger.GetSink().(ktesting.Underlier).GetBuffer().Data() {
		if e.Type == ktesting.LogError && e.Message == "Sync failed; requeuing" && errors.Is(e.Err, boom) {
			failed = append(failed, kv(e.WithKVList, "service")+" "+kv(e.ParameterKVList, "controller"))
		}
	}
	sort.Strings(failed)
	wantFailed := []string{"ns/fail " + controller, "ns/fail " + controller, "ns/wait " + controller}
	if d := cmp.Diff(wantFailed, failed); d != "" {
		t.Errorf("error logs (-want +got):\n%s", d)
	}
}

// kv returns the value of key in a key/value list, "" if absent.
func kv(list []any, key string) string {
	for i := 0; i+1 < len(list); i += 2 {
		if list[i] == key {
			return fmt.Sprint(list[i+1])
		}
	}
	return ""
}

// gather reads the controller's series through a registry, as the manager
// serves them: syncs_total by result, and the duration histogram's "count".
func gather(t *testing.T, controller string) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	RegisterMetrics(reg)
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["controller"] != controller {
				continue
			}
			switch f.GetName() {
			case "edge_controller_manager_syncs_total":
				got[labels["result"]] = m.GetCounter().GetValue()
			case "edge_controller_manager_sync_duration_seconds":
				got["count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return got
}

// Start creates every result series at zero, so a dashboard's rate is
// defined before the first sync; no worker syncs on a shut-down queue.
func TestStartInitialisesSeriesAndStopsOnShutdown(t *testing.T) {
	controller := uniqueName("test-idle")
	q := newQueue(controller)
	q.ShutDown()
	var calls atomic.Int32
	l := Loop{Controller: controller, KeyName: "service", Queue: q,
		Sync: func(context.Context, string) (time.Duration, error) { calls.Add(1); return 0, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.Start(ctx, 1)
	if l.ProcessNextItem(ctx) {
		t.Error("ProcessNextItem on a shut-down queue returned true")
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("sync called %d times on a shut-down queue", n)
	}
	want := map[string]float64{ResultSuccess: 0, ResultError: 0, ResultRequeue: 0, "count": 0}
	if d := cmp.Diff(want, gather(t, controller)); d != "" {
		t.Errorf("metrics (-want +got):\n%s", d)
	}
}
