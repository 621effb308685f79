package manager

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/util/workqueue"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/worker"
)

// blockingSync is a controller whose one sync starts, sees its context
// cancelled, and then keeps going until released (a write in flight).
type blockingSync struct {
	started, cancelled, release chan struct{}
	finished                    atomic.Bool
	// syncedQueued: a key still queued was synced after stopping.
	syncedQueued atomic.Bool
}

func newBlockingSync() *blockingSync {
	return &blockingSync{started: make(chan struct{}), cancelled: make(chan struct{}), release: make(chan struct{})}
}

// initFunc runs the sync through the controllers' worker loop, stopping as
// they do: return when ctx is done and shut the queue down.
func (b *blockingSync) initFunc() InitFunc {
	return func(context.Context, *ControllerContext) (RunFunc, error) {
		return func(ctx context.Context) error {
			q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
			defer q.ShutDown()
			q.Add("default/cube-svc")
			q.Add("default/queued") // must not be synced once stopping
			worker.Loop{Controller: "drain-test", KeyName: "service", Queue: q, Sync: b.sync}.Start(ctx, 1)
			<-ctx.Done()
			return nil
		}, nil
	}
}

func (b *blockingSync) sync(ctx context.Context, key string) (time.Duration, error) {
	if key != "default/cube-svc" {
		b.syncedQueued.Store(true)
		return 0, nil
	}
	close(b.started)
	<-ctx.Done()
	close(b.cancelled)
	<-b.release
	b.finished.Store(true)
	return 0, nil
}

// TestRunWaitsForInFlightSyncs: when the manager is stopped or loses the
// lease, Run returns (and the lease is released) only after the sync in
// progress has finished.
func TestRunWaitsForInFlightSyncs(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(cancel context.CancelFunc, failRenew *atomic.Bool)
		want error
	}{
		{"manager stopped", func(cancel context.CancelFunc, _ *atomic.Bool) { cancel() }, nil},
		{"leadership lost", func(_ context.CancelFunc, failRenew *atomic.Bool) { failRenew.Store(true) }, errLeadershipLost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kube, yurt := fakeClients("v1beta2")
			var failRenew atomic.Bool
			kube.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
				if failRenew.Load() {
					return true, nil, errors.New("etcd unavailable")
				}
				return false, nil, nil
			})
			m, err := New(testOptions(t, apis.ControllerPoolServiceSet), kube, yurt)
			if err != nil {
				t.Fatal(err)
			}
			b := newBlockingSync()
			m.initializers = map[string]InitFunc{apis.ControllerPoolServiceSet: b.initFunc()}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- m.Run(ctx) }()

			waitClosed(t, b.started, "the sync to start")
			tc.stop(cancel, &failRenew)
			waitClosed(t, b.cancelled, "the sync to see its context cancelled")
			select {
			case err := <-done:
				t.Fatalf("Run returned (%v) while a sync was in progress", err)
			case <-time.After(300 * time.Millisecond):
			}
			if h := leaseHolder(t, kube); h != m.identity {
				t.Errorf("lease holder %q while a sync was in progress, want %q", h, m.identity)
			}
			close(b.release)
			err = waitResult(t, done, "Run to return")
			if !b.finished.Load() {
				t.Error("Run returned before the sync finished")
			}
			if b.syncedQueued.Load() {
				t.Error("a key still queued was synced after the manager stopped leading")
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Run returned %v, want %v", err, tc.want)
			}
			if tc.want == nil {
				if h := leaseHolder(t, kube); h != "" {
					t.Errorf("lease not released after the drain: holder %q", h)
				}
			}
		})
	}
}

// TestRunDrainTimeout: a sync that never ends holds Run up only for the
// drain timeout.
func TestRunDrainTimeout(t *testing.T) {
	kube, yurt := fakeClients("v1beta2")
	o := testOptions(t, apis.ControllerPoolServiceSet)
	o.LeaderElection.Enabled = false
	m, err := New(o, kube, yurt)
	if err != nil {
		t.Fatal(err)
	}
	m.drainTimeout = 200 * time.Millisecond
	b := newBlockingSync()
	defer close(b.release)
	m.initializers = map[string]InitFunc{apis.ControllerPoolServiceSet: b.initFunc()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	waitClosed(t, b.started, "the sync to start")
	start := time.Now()
	cancel()
	if err := waitResult(t, done, "Run to return"); err != nil {
		t.Errorf("Run returned %v", err)
	}
	if waited := time.Since(start); waited < m.drainTimeout {
		t.Errorf("Run returned after %v, before the drain timeout %v", waited, m.drainTimeout)
	}
	if b.finished.Load() {
		t.Error("the blocked sync finished")
	}
}
