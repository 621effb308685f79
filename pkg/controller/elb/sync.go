package elb

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// A PoolService's way through one sync, top to bottom:
//
//	load (view.go) → desired (desired.go) → read (read.go) →
//	plan (plan.go) → apply (apply.go) → status (status.go)
//
// and, when it should have no ELB, cleanup (delete.go) instead.

// sync brings one PoolService's ELB in line. A positive duration asks to be
// looked at again after it (transitional cloud state, or verifying a plan
// just applied); an error is retried with rate limiting.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	ctx = cloud.WithPriority(ctx, c.takenAt(key))
	resync := c.resyncing.start(key)
	if resync {
		defer c.resyncing.finish()
	}
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	cached, err := c.poolServices.PoolServices(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v := c.load(cached.DeepCopy())
	v.resync = resync
	if !isELBClass(v.ps) && !hasFinalizer(v.ps) {
		return 0, nil
	}
	if why := v.notExposed(); why != "" {
		klog.FromContext(ctx).V(2).Info("PoolService not exposed; cleaning up", "why", why)
		return c.cleanup(ctx, v, why)
	}
	return c.ensure(ctx, v)
}

// ensure makes the PoolService's ELB what its Service asks for: it decides
// once (the plan, a pure function of what was read), acts once, and
// reports from what it saw and did.
func (c *Controller) ensure(ctx context.Context, v poolServiceView) (time.Duration, error) {
	if wait := c.creations.due(keyOf(v.ps), time.Now()); wait > 0 { // an event before the first look
		klog.FromContext(ctx).V(4).Info("New ELB not due to be Active yet; looking then", "after", wait)
		return wait, nil
	}
	ann, err := elbmodel.ParseAnnotations(v.svc.Annotations)
	if err != nil {
		return c.inputError(ctx, v, err)
	}
	defer c.names.lock(v.cloudName(c.cfg.ClusterID))()
	if ann.ManagedByUser {
		if err := c.releaseManagedLeftovers(ctx, v); err != nil {
			return c.readError(ctx, v, err)
		}
		if elbmodel.UserLoadBalancerID(v.ps) == "" {
			return 0, c.waitForLoadBalancerID(ctx, v)
		}
	}
	want, err := c.desired(v, ann)
	if err != nil {
		return c.inputError(ctx, v, err)
	}
	seen, err := c.read(ctx, v, want)
	var creating time.Duration // a new ELB of ours not Active yet: when it should be
	if lb := seen.Actual.LoadBalancer; lb != nil {
		creating = c.creations.seen(lb.ID, lb.Status == cloud.LoadBalancerActive, time.Now())
	}
	if err == nil {
		err = c.forgetAbsentBackends(ctx, want.desired, seen.Actual.LoadBalancer)
	}
	if err != nil {
		return c.readError(ctx, v, err)
	}
	plan, err := c.plan(ctx, want, seen)
	if err != nil {
		return c.inputError(ctx, v, err)
	}
	if !plan.Empty() || seen.Actual.LoadBalancer != nil {
		if err := c.ensureFinalizer(ctx, v); err != nil {
			return 0, err
		}
	}
	done, err := c.apply(ctx, v, plan)
	if err != nil {
		return c.cloudError(ctx, v, err)
	}
	if err := c.reportSynced(ctx, v, want, seen.Actual, plan, done); err != nil {
		return 0, err
	}
	if c.cfg.DryRun { // nothing changes by itself: the next event or resync plans again
		return 0, nil
	}
	expect := creating // a new ELB of ours still Creating: when it should be Active
	if done.steps > 0 {
		expect = done.firstLook // this run created one: when new ELBs lately became Active
	}
	progressed := done.steps > 0 && !done.completes(plan) // a plan applied in full needs no look to go on
	after := c.lookAgain(keyOf(v.ps), progressed, elbmodel.JoinWaits(plan.Wait, done.wait), expect)
	klog.FromContext(ctx).V(4).Info("Looking again", "after", after, "expect", expect, "steps", done.steps)
	return after, nil
}

// lookAgain is the one rule for when a PoolService is synced again: soon
// after progress (to verify it and go on), with a backoff that grows while
// it only waits, and not at all once nothing is left to do. expect, when
// set, is when the cloud should have moved on (creations.go): the look
// after progress is no sooner, and a plain wait takes it in place of the
// backoff (the look still counts in the backoff).
func (c *Controller) lookAgain(key string, progressed bool, wait *elbmodel.NotNow, expect time.Duration) time.Duration {
	switch {
	case progressed:
		c.waitBackoff.Forget(key)
		return max(c.cfg.RequeueDelay, expect)
	case expect > 0:
		c.waitBackoff.When(key)
		return expect
	case wait != nil && wait.Timed(): // e.g. a connection drain that ends then
		return wait.After
	case wait != nil:
		if b := c.waitBackoff.When(key); wait.After == 0 || b < wait.After {
			return b
		}
		return wait.After
	}
	c.waitBackoff.Forget(key)
	c.authBackoff.Forget(key)
	return 0
}

// readError: a step that cannot be taken yet waits with backoff; a name
// someone else's resource holds is the user's to fix (reported like bad
// input); anything else is a cloud error.
func (c *Controller) readError(ctx context.Context, v poolServiceView, err error) (time.Duration, error) {
	if n := elbmodel.AsNotNow(err); n != nil {
		return c.lookAgain(keyOf(v.ps), false, n, 0), nil
	}
	if elbmodel.AsInputError(err) != nil {
		return c.inputError(ctx, v, err)
	}
	return c.cloudError(ctx, v, err)
}
