//go:build benchscale

package benchscale

import (
	"context"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
	networklisters "github.com/edge-lb/edge-controller-manager/pkg/generated/listers/network/v1alpha1"
)

// poolServiceWatch follows the benchmark's PoolServices and notes when each
// last became Ready and Synced, as the watch delivered it.
type poolServiceWatch struct {
	lister networklisters.PoolServiceLister

	mu      sync.Mutex
	readyAt map[string]time.Time // zero while not ready
}

func watchPoolServices(ctx context.Context, t *testing.T, yurt versioned.Interface) *poolServiceWatch {
	ctx, cancel := context.WithCancel(ctx)
	f := externalversions.NewSharedInformerFactoryWithOptions(yurt, 0, externalversions.WithNamespace(namespace))
	inf := f.Network().V1alpha1().PoolServices()
	w := &poolServiceWatch{lister: inf.Lister(), readyAt: map[string]time.Time{}}
	note := func(obj any) {
		ps, ok := obj.(*v1alpha1.PoolService)
		if !ok {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		switch {
		case !converged(ps):
			w.readyAt[ps.Name] = time.Time{}
		case w.readyAt[ps.Name].IsZero():
			w.readyAt[ps.Name] = time.Now()
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: note, UpdateFunc: func(_, cur any) { note(cur) },
		DeleteFunc: func(obj any) {
			if ps, ok := obj.(*v1alpha1.PoolService); ok {
				w.mu.Lock()
				delete(w.readyAt, ps.Name)
				w.mu.Unlock()
			}
		},
	}); err != nil {
		t.Fatal(err)
	}
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	t.Cleanup(func() { cancel(); f.Shutdown() })
	return w
}

// converged: Ready and Synced, not being deleted.
func converged(ps *v1alpha1.PoolService) bool {
	return ps.DeletionTimestamp == nil && meta.IsStatusConditionTrue(ps.Status.Conditions, apis.ConditionReady) &&
		meta.IsStatusConditionTrue(ps.Status.Conditions, apis.ConditionSynced)
}

// state counts the PoolServices and the ready ones, and when the last of
// the ready ones became ready.
func (w *poolServiceWatch) state() (total, ready int, last time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, at := range w.readyAt {
		total++
		if !at.IsZero() {
			ready++
			last = maxTime(last, at)
		}
	}
	return total, ready, last
}

// waitReady waits until want PoolServices exist and every one is ready,
// logging progress, and returns when the last became ready.
func (w *poolServiceWatch) waitReady(ctx context.Context, e *env, want int, timeout time.Duration) time.Time {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	lastLog := time.Now()
	for {
		total, ready, last := w.state()
		if total == want && ready == want {
			return last
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d PoolServices ready (%d exist) after %v", ready, want, total, timeout)
		}
		if time.Since(lastLog) > 30*time.Second {
			lastLog = time.Now()
			e.logf("%d of %d PoolServices ready (%d exist), %d ENS calls so far", ready, want, total, len(e.proxy.Calls()))
		}
		select {
		case <-ctx.Done():
			e.t.Fatal(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// list returns every PoolService of the benchmark.
func (w *poolServiceWatch) list(t *testing.T) []*v1alpha1.PoolService {
	t.Helper()
	pss, err := w.lister.PoolServices(namespace).List(labels.Everything())
	if err != nil {
		t.Fatal(err)
	}
	return pss
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
