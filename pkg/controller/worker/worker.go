// Package worker is the queue-draining loop shared by the controllers: the
// sample-controller worker (Get, sync, then AddRateLimited, AddAfter or
// Forget, then Done) plus per-controller sync metrics.
package worker

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// SyncFunc reconciles the object behind one queue key. A positive
// requeueAfter asks for another look at the key after that delay; an error
// retries it with the queue's rate limiter.
type SyncFunc func(ctx context.Context, key string) (requeueAfter time.Duration, err error)

// Loop drains one controller's queue. Build it when the workers start so
// it uses the queue the controller holds then.
type Loop struct {
	// Controller names the controller in logs and in the "controller"
	// label of the sync metrics.
	Controller string
	// KeyName is the log key under which the queue key is logged
	// ("service", "poolService").
	KeyName string
	Queue   workqueue.TypedRateLimitingInterface[string]
	Sync    SyncFunc
}

// Start runs workers goroutines until ctx is done and returns at once.
// The caller shuts the queue down when ctx is done; that ends the workers'
// blocking Get (wait.Until would otherwise re-enter the loop every second).
// When ctx carries a Group (WithGroup), the workers are counted in it until
// they have returned.
func (l Loop) Start(ctx context.Context, workers int) {
	initMetrics(l.Controller)
	for range workers {
		Go(ctx, func() { wait.UntilWithContext(ctx, l.runWorker, time.Second) })
	}
}

func (l Loop) runWorker(ctx context.Context) {
	for l.ProcessNextItem(ctx) {
	}
}

// ProcessNextItem syncs one key. It blocks until a key is ready and
// returns false once the queue is shut down or ctx is done. A shut-down
// queue still hands out what it holds; once ctx is done those keys are
// dropped unsynced (the next leader lists everything anew), so stopping
// waits only for the syncs already running.
func (l Loop) ProcessNextItem(ctx context.Context) bool {
	key, shutdown := l.Queue.Get()
	if shutdown {
		return false
	}
	defer l.Queue.Done(key)
	if ctx.Err() != nil {
		return false
	}

	logger := klog.LoggerWithValues(klog.FromContext(ctx), l.KeyName, key)
	start := time.Now()
	after, err := l.Sync(klog.NewContext(ctx, logger), key)
	syncDuration.WithLabelValues(l.Controller).Observe(time.Since(start).Seconds())
	switch {
	case err != nil:
		// The error is handled by retrying, so it is logged here rather
		// than through utilruntime.HandleError (which also throttles).
		logger.Error(err, "Sync failed; requeuing", "controller", l.Controller)
		syncsTotal.WithLabelValues(l.Controller, ResultError).Inc()
		l.Queue.AddRateLimited(key)
	case after > 0:
		// Waiting on something is progress, not failure: reset the
		// backoff before the delayed look.
		syncsTotal.WithLabelValues(l.Controller, ResultRequeue).Inc()
		l.Queue.Forget(key)
		l.Queue.AddAfter(key, after)
	default:
		syncsTotal.WithLabelValues(l.Controller, ResultSuccess).Inc()
		l.Queue.Forget(key)
	}
	return true
}
