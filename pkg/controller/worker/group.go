package worker

import (
	"context"
	"sync"
	"time"
)

// Group counts the running workers of every Loop started with a context
// that carries it (WithGroup). The manager waits on it after the
// controllers stop, so that neither the lease is released nor the process
// exits while a sync is still writing: the next leader would act at once.
type Group struct {
	wg sync.WaitGroup
}

type groupKey struct{}

// WithGroup returns ctx carrying g; Loop.Start registers its workers in it.
func WithGroup(ctx context.Context, g *Group) context.Context {
	return context.WithValue(ctx, groupKey{}, g)
}

func groupFrom(ctx context.Context) *Group {
	g, _ := ctx.Value(groupKey{}).(*Group)
	return g
}

// Go runs fn in a goroutine counted in ctx's Group, if it carries one:
// for periodic work besides the workers that must also finish before the
// lease is released (e.g. an orphan sweep releasing cloud resources).
func Go(ctx context.Context, fn func()) {
	g := groupFrom(ctx)
	if g == nil {
		go fn()
		return
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn()
	}()
}

// Wait blocks until every registered worker has returned, or timeout has
// passed; it reports whether they all returned. Workers return once their
// context is done and their queue is shut down, after the sync they are
// in (which sees its context done) has finished.
func (g *Group) Wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
