package elb

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// eipReads coalesces the by-id EIP reads of concurrent syncs: one call is
// under way at a time, and the ids asked for meanwhile go together in the
// next (ENS takes 50 ids a call). Under load, when the action's budget is
// what syncs wait for, many syncs share one call; alone, a sync waits for
// nothing but its own call. Every read starts after it was asked for, so
// it is as fresh as a read of the sync's own.
type eipReads struct {
	turn chan struct{} // held by the batch whose call is under way

	mu   sync.Mutex
	next *eipBatch // collecting ids; nil when none
}

type eipBatch struct {
	ids   map[string]bool
	done  chan struct{}
	found map[string]cloud.EIP
	err   error
}

func newEIPReads() *eipReads { return &eipReads{turn: make(chan struct{}, 1)} }

// eipBatchTimeout bounds one batch's call (it runs on its own context, so
// that no sync's cancellation fails the others' reads).
const eipBatchTimeout = time.Minute

// byID returns the EIPs of ids that exist (a nil r reads them alone).
func (r *eipReads) byID(ctx context.Context, api cloud.Cloud, ids []string) ([]cloud.EIP, error) {
	if r == nil {
		return api.ListEIPs(ctx, cloud.EIPFilter{AllocationIDs: ids})
	}
	r.mu.Lock()
	b := r.next
	if b == nil {
		b = &eipBatch{ids: map[string]bool{}, done: make(chan struct{})}
		r.next = b
		go r.run(ctx, api, b)
	}
	for _, id := range ids {
		b.ids[id] = true
	}
	r.mu.Unlock()
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if b.err != nil {
		return nil, b.err
	}
	var out []cloud.EIP
	for _, id := range ids {
		if e, ok := b.found[id]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// run waits for the call before it, closes the batch and reads it, at the
// priority of the sync that opened it.
func (r *eipReads) run(opener context.Context, api cloud.Cloud, b *eipBatch) {
	r.turn <- struct{}{}
	defer func() { <-r.turn }()
	r.mu.Lock()
	if r.next == b {
		r.next = nil
	}
	ids := slices.Sorted(maps.Keys(b.ids))
	r.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.WithoutCancel(opener), eipBatchTimeout)
	defer cancel()
	eips, err := api.ListEIPs(ctx, cloud.EIPFilter{AllocationIDs: ids})
	b.found, b.err = make(map[string]cloud.EIP, len(eips)), err
	for _, e := range eips {
		b.found[e.AllocationID] = e
	}
	klog.FromContext(opener).V(5).Info("EIPs read by id", "ids", len(ids), "found", len(eips), "err", err)
	close(b.done)
}

// eipByID reads one EIP through the shared by-id reads; nil when ENS does
// not show it.
func (c *Controller) eipByID(ctx context.Context, id string) (*cloud.EIP, error) {
	found, err := c.eipReads.byID(ctx, c.cloud, []string{id})
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return &found[0], nil
}
