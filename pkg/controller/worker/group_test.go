package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupWaitsForRunningSyncs: a Group waits for a worker until the sync
// it is in returns, and a stopped worker syncs no key still queued.
func TestGroupWaitsForRunningSyncs(t *testing.T) {
	controller := uniqueName("test-group")
	q := newQueue(controller)
	started, release := make(chan struct{}), make(chan struct{})
	var synced []string
	var finished atomic.Bool
	sync := func(_ context.Context, key string) (time.Duration, error) {
		synced = append(synced, key) // one worker: no race
		if key == "ns/slow" {
			close(started)
			<-release
			finished.Store(true)
		}
		return 0, nil
	}
	g := &Group{}
	ctx, cancel := context.WithCancel(WithGroup(context.Background(), g))
	q.Add("ns/slow")
	q.Add("ns/queued")
	Loop{Controller: controller, KeyName: "service", Queue: q, Sync: sync}.Start(ctx, 1)
	<-started
	cancel()
	q.ShutDown()
	if g.Wait(100 * time.Millisecond) {
		t.Fatal("Wait returned true while a sync was running")
	}
	close(release)
	if !g.Wait(5 * time.Second) {
		t.Fatal("Wait timed out after the sync finished")
	}
	if !finished.Load() {
		t.Error("Wait returned before the sync finished")
	}
	if len(synced) != 1 {
		t.Errorf("synced %v, want only ns/slow (ns/queued was still queued when stopping)", synced)
	}
}

// TestGoIsCounted: Go's goroutines are waited for like workers, and run
// uncounted without a Group.
func TestGoIsCounted(t *testing.T) {
	g := &Group{}
	release := make(chan struct{})
	var ran atomic.Int32
	Go(WithGroup(context.Background(), g), func() { <-release; ran.Add(1) })
	if g.Wait(50 * time.Millisecond) {
		t.Fatal("Wait returned true while Go's function ran")
	}
	close(release)
	if !g.Wait(5*time.Second) || ran.Load() != 1 {
		t.Fatalf("Wait did not see Go's function finish (ran %d)", ran.Load())
	}
	done := make(chan struct{})
	Go(context.Background(), func() { close(done) })
	<-done
}

// TestGroupWithoutWorkers returns at once.
func TestGroupWithoutWorkers(t *testing.T) {
	if !(&Group{}).Wait(time.Millisecond) {
		t.Error("an empty Group did not finish")
	}
}

// TestProcessNextItemAfterCancel drops a key handed out after ctx is done.
func TestProcessNextItemAfterCancel(t *testing.T) {
	q := newQueue(uniqueName("test-cancelled"))
	defer q.ShutDown()
	q.Add("ns/a")
	var calls atomic.Int32
	l := Loop{Controller: uniqueName("test-cancelled"), KeyName: "service", Queue: q,
		Sync: func(context.Context, string) (time.Duration, error) { calls.Add(1); return 0, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if l.ProcessNextItem(ctx) {
		t.Error("ProcessNextItem with a done context returned true")
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("sync called %d times after cancel", n)
	}
	if q.Len() != 0 {
		t.Errorf("queue holds %d keys", q.Len())
	}
}
