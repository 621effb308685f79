package elb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// Creating: every create writes its ClientToken (and request) to the
// ownership record first and the id ENS answered after, so that what we
// created is known even when the answer is lost, the manager restarts, or
// the PoolService is deleted. A token is new for every creation: ENS
// remembers one for a while after its resource is gone and would answer a
// repeat with the released id.

// newToken is a fresh ClientToken (ENS takes at most 64 ASCII characters).
func newToken(kind string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "ecm-" + kind + "-" + hex.EncodeToString(b)
}

// freshPending reports whether a create that may have happened can still be
// repeated with its token: ENS would answer with the resource it made.
func (c *Controller) freshPending(e ownership.Entry) bool {
	return e.Pending() && c.cfg.Clock.Since(e.Since) < c.cfg.ClientTokenReuse
}

// createLoadBalancer creates the ELB under the ownership record of its name:
// a fresh pending create is repeated exactly (same token, same request),
// otherwise a new token is recorded before the call.
func (c *Controller) createLoadBalancer(ctx context.Context, req cloud.CreateLoadBalancerRequest) (string, error) {
	var id string
	err := c.recordedCreate(ctx, req.Name, ownership.LoadBalancer, &req, &req.ClientToken, func() error {
		var err error
		id, err = c.cloud.CreateLoadBalancer(ctx, req)
		return err
	}, &id)
	return id, err
}

// createEIP is createLoadBalancer for the EIP.
func (c *Controller) createEIP(ctx context.Context, req cloud.CreateEIPRequest) (string, error) {
	var id string
	err := c.recordedCreate(ctx, req.Name, ownership.EIP, &req, &req.ClientToken, func() error {
		var err error
		id, err = c.cloud.CreateEIP(ctx, req)
		return err
	}, &id)
	return id, err
}

// recordedCreate runs create with *token set from the record of name: the
// fresh pending entry's (then *req is replaced by the request stored with
// it), else a new one recorded before the call. *id is recorded after it.
func (c *Controller) recordedCreate(ctx context.Context, name string, kind ownership.Kind, req any, token *string,
	create func() error, id *string) error {
	rec, err := c.owned.Get(ctx, name)
	if err != nil {
		return err
	}
	if e, ok := rec.PendingEntry(kind); ok && c.freshPending(e) && json.Unmarshal(e.Request, req) == nil {
		*token = e.Token
	} else {
		*token = newToken(string(kind))
		raw, _ := json.Marshal(req)
		now := c.cfg.Clock.Now()
		if _, err := c.owned.Update(ctx, name, func(r *ownership.Record) {
			dropStalePending(r, kind, c.freshPending)
			r.Add(kind, ownership.Entry{Token: *token, Since: now, Request: raw})
		}); err != nil {
			return err
		}
	}
	if err := create(); err != nil {
		return err
	}
	_, err = c.owned.Update(ctx, name, func(r *ownership.Record) { r.SetID(kind, *token, *id) })
	return err
}

// dropStalePending forgets pending creates too old to repeat.
func dropStalePending(r *ownership.Record, kind ownership.Kind, fresh func(ownership.Entry) bool) {
	for _, e := range r.Entries(kind) {
		if e.Pending() && !fresh(e) {
			r.Forget(kind, "", e.Token)
		}
	}
}

// resolvePending repeats every fresh pending create of the record so its
// id becomes known (ENS answers with what the first call made, or makes it
// now: either way it is ours and recorded). Stale ones are dropped.
func (c *Controller) resolvePending(ctx context.Context, rec ownership.Record) (ownership.Record, error) {
	if c.cfg.DryRun { // a repeated create is a change
		return rec, nil
	}
	for _, kind := range []ownership.Kind{ownership.LoadBalancer, ownership.EIP} {
		for _, e := range rec.Entries(kind) {
			if !e.Pending() {
				continue
			}
			if !c.freshPending(e) {
				klog.FromContext(ctx).Info("Dropping a create too old to repeat; anything it made stays unproven and untouched",
					"name", rec.Name, "kind", kind, "token", e.Token)
				var err error
				if rec, err = c.owned.Update(ctx, rec.Name, func(r *ownership.Record) { r.Forget(kind, "", e.Token) }); err != nil {
					return rec, err
				}
				continue
			}
			id, err := c.repeatCreate(ctx, kind, e)
			if err != nil {
				return rec, err
			}
			if rec, err = c.owned.Update(ctx, rec.Name, func(r *ownership.Record) { r.SetID(kind, e.Token, id) }); err != nil {
				return rec, err
			}
		}
	}
	return rec, nil
}

func (c *Controller) repeatCreate(ctx context.Context, kind ownership.Kind, e ownership.Entry) (string, error) {
	if kind == ownership.LoadBalancer {
		var req cloud.CreateLoadBalancerRequest
		if err := json.Unmarshal(e.Request, &req); err != nil {
			return "", fmt.Errorf("pending ELB create %s: %w", e.Token, err)
		}
		req.ClientToken = e.Token
		return c.cloud.CreateLoadBalancer(ctx, req)
	}
	var req cloud.CreateEIPRequest
	if err := json.Unmarshal(e.Request, &req); err != nil {
		return "", fmt.Errorf("pending EIP create %s: %w", e.Token, err)
	}
	req.ClientToken = e.Token
	return c.cloud.CreateEIP(ctx, req)
}

func hasPending(rec ownership.Record) bool {
	_, lb := rec.PendingEntry(ownership.LoadBalancer)
	_, eip := rec.PendingEntry(ownership.EIP)
	return lb || eip
}

// markReleasing records, before a release call, that it is being made.
func (c *Controller) markReleasing(ctx context.Context, name string, kind ownership.Kind, id string) error {
	if rec := c.owned.Cached(name); slices.ContainsFunc(rec.Entries(kind), func(e ownership.Entry) bool { return e.ID == id && e.Releasing }) {
		return nil
	}
	_, err := c.owned.Update(ctx, name, func(r *ownership.Record) { r.MarkReleasing(kind, id) })
	return err
}

func (c *Controller) forget(ctx context.Context, name string, kind ownership.Kind, id string) error {
	_, err := c.owned.Update(ctx, name, func(r *ownership.Record) { r.Forget(kind, id, "") })
	return err
}

// nameLocks serialises the syncs of one cloud name within the process:
// duplicate PoolServices of one Service and pool share a name, and must
// neither create two of it nor release what the other is using.
type nameLocks struct {
	mu    sync.Mutex
	locks map[string]*nameLock
}

type nameLock struct {
	sync.Mutex
	users int
}

func (l *nameLocks) lock(name string) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*nameLock{}
	}
	m := l.locks[name]
	if m == nil {
		m = &nameLock{}
		l.locks[name] = m
	}
	m.users++
	l.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		l.mu.Lock()
		if m.users--; m.users == 0 {
			delete(l.locks, name)
		}
		l.mu.Unlock()
	}
}

// Backends on a user-managed ELB: an instance is ours to take off only when
// it is one of this cluster's nodes or the backend record of the ELB says
// we added it, so the record outlives a deleted node. It is written before
// AddBackendServers (a lost answer must not lose the fact; a repeat writes
// nothing) and an instance is forgotten after its removal succeeded. A
// managed ELB is all ours and needs no record.

// addBackends records the instances on a user ELB, then adds them.
func (c *Controller) addBackends(ctx context.Context, d elbmodel.Desired, lbID string, backends []cloud.Backend) error {
	if !d.Managed {
		now := c.cfg.Clock.Now()
		if _, err := c.owned.UpdateBackends(ctx, lbID, func(r *ownership.Backends) bool {
			return r.Add(now, serverIDs(backends)...)
		}); err != nil {
			return err
		}
	}
	return c.cloud.AddBackends(ctx, lbID, backends)
}

// removeBackends removes the backends and, on a user ELB, forgets them. An
// instance the plan took as ours by the cached record alone (not a node of
// this cluster) is removed only when the API server's record still holds
// it: a cache may lag our own forget.
func (c *Controller) removeBackends(ctx context.Context, d elbmodel.Desired, lbID string, backends []cloud.Backend) error {
	if d.Managed {
		return c.cloud.RemoveBackends(ctx, lbID, backends)
	}
	backends, err := c.stillOurs(ctx, lbID, backends)
	if err != nil || len(backends) == 0 {
		return err
	}
	if err := c.cloud.RemoveBackends(ctx, lbID, backends); err != nil {
		return err
	}
	_, err = c.owned.UpdateBackends(ctx, lbID, func(r *ownership.Backends) bool { return r.Forget(serverIDs(backends)...) })
	return err
}

// stillOurs keeps the backends of this cluster's nodes and those the live
// backend record of the ELB holds.
func (c *Controller) stillOurs(ctx context.Context, lbID string, backends []cloud.Backend) ([]cloud.Backend, error) {
	nodes := c.clusterInstances()
	var rec *ownership.Backends
	out := make([]cloud.Backend, 0, len(backends))
	for _, b := range backends {
		if !nodes[b.ServerID] {
			if rec == nil {
				live, err := c.owned.GetBackends(ctx, lbID)
				if err != nil {
					return nil, err
				}
				rec = &live
			}
			if !rec.Has(b.ServerID) {
				klog.FromContext(ctx).Info("Not removing a backend no longer recorded as ours", "loadBalancer", lbID, "instance", b.ServerID)
				continue
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// addedSettle is how long after we sent an instance in an add a read of
// the ELB that lacks it proves it gone: an add still in flight, or ENS not
// showing it yet, must not lose the fact.
const addedSettle = 2 * time.Minute

// forgetAbsentBackends forgets the recorded instances a fresh read of the
// user ELB lb no longer shows, once settled: one a person took off, an add
// that failed before ENS acted, a forget whose write failed. A fact kept
// for an absent instance would make it ours to remove should someone else
// (another cluster the instance moved to) add it later. To be called after
// the read, before the plan; a failure to write is retried next sync.
func (c *Controller) forgetAbsentBackends(ctx context.Context, d elbmodel.Desired, lb *cloud.LoadBalancer) error {
	if d.Managed || lb == nil || c.cfg.DryRun {
		return nil
	}
	present := make(map[string]bool, len(lb.Backends))
	for _, b := range lb.Backends {
		present[b.ServerID] = true
	}
	settled := c.cfg.Clock.Now().Add(-addedSettle)
	absent := func(r ownership.Backends) []string {
		var out []string
		for _, a := range r.Added {
			if !present[a.ServerID] && a.Sent.Before(settled) {
				out = append(out, a.ServerID)
			}
		}
		return out
	}
	if len(absent(c.owned.CachedBackends(lb.ID))) == 0 { // the usual case: no write, no read
		return nil
	}
	_, err := c.owned.UpdateBackends(ctx, lb.ID, func(r *ownership.Backends) bool { return r.Forget(absent(*r)...) })
	return err
}

func serverIDs(backends []cloud.Backend) []string {
	out := make([]string, 0, len(backends))
	for _, b := range backends {
		out = append(out, b.ServerID)
	}
	return out
}
