package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// errLeadershipLost is returned when the lease could not be renewed: the
// process must exit so that no two replicas act at once.
var errLeadershipLost = errors.New("leader election lost")

// newIdentity returns a lease holder identity unique to this process.
func newIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return host + "_" + string(uuid.NewUUID())
}

// leaderElected holds what runLeaderElected needs besides the options.
type leaderElected struct {
	opts     LeaderElectionOptions
	client   kubernetes.Interface
	identity string
	// watchdog backs /healthz; it may be nil.
	watchdog *leaderelection.HealthzAdaptor
	// onLeading, when set, is told when this replica starts (true) and
	// stops (false) leading.
	onLeading func(bool)
}

// run runs fn only while this replica holds the Lease. When ctx is done
// it lets fn return first and then releases the lease, so the next leader
// starts at once and never overlaps with fn. It returns nil after ctx is
// done and errLeadershipLost when the lease could not be renewed.
func (l *leaderElected) run(ctx context.Context, fn func(ctx context.Context)) error {
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, l.opts.ResourceNamespace, l.opts.ResourceName,
		l.client.CoreV1(), l.client.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: l.identity})
	if err != nil {
		return fmt.Errorf("creating the leader election lock: %w", err)
	}
	// The elector's own context ends only once fn has returned, so that
	// ReleaseOnCancel never releases the lease under running workers.
	electorCtx, stopElector := context.WithCancel(context.WithoutCancel(ctx))
	defer stopElector()
	t := &term{fnDone: make(chan struct{})}
	stopWatch := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.leading {
			stopElector()
		}
	})
	defer stopWatch()

	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		Name:            l.opts.ResourceName,
		LeaseDuration:   l.opts.LeaseDuration,
		RenewDeadline:   l.opts.RenewDeadline,
		RetryPeriod:     l.opts.RetryPeriod,
		ReleaseOnCancel: true,
		WatchDog:        l.watchdog,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(leadCtx context.Context) {
				defer close(t.fnDone)
				defer stopElector()
				l.lead(ctx, leadCtx, t, fn)
			},
			OnStoppedLeading: func() {},
			OnNewLeader: func(identity string) {
				klog.FromContext(ctx).Info("Leader observed", "lease", l.lease(), "leader", identity)
			},
		},
	})
	if err != nil {
		return fmt.Errorf("creating the leader elector: %w", err)
	}
	if l.watchdog != nil {
		l.watchdog.SetLeaderElection(elector)
	}
	elector.Run(electorCtx)

	if t.isLeading() {
		<-t.fnDone
	}
	if ctx.Err() != nil {
		klog.FromContext(ctx).Info("Leader election stopped", "lease", l.lease())
		return nil
	}
	return errLeadershipLost
}

// term is one run's leadership state, shared by run, its ctx watcher and the
// elector's callback.
type term struct {
	mu      sync.Mutex
	leading bool
	// fnDone is closed when OnStartedLeading returns.
	fnDone chan struct{}
}

func (t *term) isLeading() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.leading
}

// lead runs fn for as long as this replica leads and ctx is not done. It
// does not start fn when ctx ended before leadership was won: the ctx
// watcher has then already stopped, or is about to stop, the elector.
func (l *leaderElected) lead(ctx, leadCtx context.Context, t *term, fn func(ctx context.Context)) {
	t.mu.Lock()
	if ctx.Err() != nil {
		t.mu.Unlock()
		return
	}
	t.leading = true
	t.mu.Unlock()
	klog.FromContext(ctx).Info("Started leading", "lease", l.lease(), "identity", l.identity)
	l.notify(true)
	defer l.notify(false)
	runCtx, cancel := context.WithCancel(leadCtx)
	defer context.AfterFunc(ctx, cancel)()
	defer cancel()
	fn(runCtx)
}

// lease names the Lease in logs.
func (l *leaderElected) lease() string { return l.opts.ResourceNamespace + "/" + l.opts.ResourceName }

func (l *leaderElected) notify(leading bool) {
	if l.onLeading != nil {
		l.onLeading(leading)
	}
}
