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

// eipReads coalesces the EIP reads of concurrent syncs: per line (the
// by-id reads; each region's by-name reads) one call is under way at a
// time, and what is asked for meanwhile goes together in the next: ids 50
// a call (ENS's most), names as one read of the whole region when that
// costs no more pages than there are names, else a read per name. Under
// load, when DescribeEnsEipAddresses' budget is what syncs wait for, many
// syncs share one call; alone, a sync waits for nothing but its own call.
// Every read starts after it was asked for, so it is as fresh as a read of
// the sync's own. By-id calls start at least spacing apart: syncs of work
// under way ask for them at a higher priority than new PoolServices' by-name
// reads, and back to back they would take the whole budget a few ids a
// call, leaving the creates waiting on the name checks.
type eipReads struct {
	spacing  time.Duration
	lastByID time.Time // when the last by-id call started

	mu    sync.Mutex
	turns map[string]chan struct{} // a line → held by the batch whose call is under way
	next  map[string]*eipBatch     // a line → the batch collecting asks
	pages map[string]int           // a region → the pages its last whole read took
}

type eipBatch struct {
	region string // "" for the by-id line
	asks   map[string]bool
	done   chan struct{}
	found  []cloud.EIP
	err    error
}

func newEIPReads(spacing time.Duration) *eipReads {
	return &eipReads{spacing: spacing, turns: map[string]chan struct{}{}, next: map[string]*eipBatch{}, pages: map[string]int{}}
}

// eipBatchTimeout bounds one batch's calls (they run on their own context,
// so that no sync's cancellation fails the others' reads).
const eipBatchTimeout = time.Minute

const byIDLine = "\x00ids"

// byID returns the EIPs of ids that exist (a nil r reads them alone).
func (r *eipReads) byID(ctx context.Context, api cloud.Cloud, ids []string) ([]cloud.EIP, error) {
	if r == nil {
		return api.ListEIPs(ctx, cloud.EIPFilter{AllocationIDs: ids})
	}
	found, err := r.ask(ctx, api, byIDLine, "", ids)
	if err != nil {
		return nil, err
	}
	return eipsWhere(found, func(e cloud.EIP) bool { return slices.Contains(ids, e.AllocationID) }), nil
}

// named returns the EIPs named exactly name in region, sorted by id (a nil
// r, or no region, reads them alone).
func (r *eipReads) named(ctx context.Context, api cloud.Cloud, name, region string) ([]cloud.EIP, error) {
	if r == nil || region == "" {
		return readEIPsNamed(ctx, api, name, region)
	}
	found, err := r.ask(ctx, api, "region/"+region, region, []string{name})
	if err != nil {
		return nil, err
	}
	return exactlyNamed(found, name), nil
}

// ask joins the next batch of line and waits for its answer.
func (r *eipReads) ask(ctx context.Context, api cloud.Cloud, line, region string, asks []string) ([]cloud.EIP, error) {
	r.mu.Lock()
	b := r.next[line]
	if b == nil {
		b = &eipBatch{region: region, asks: map[string]bool{}, done: make(chan struct{})}
		r.next[line] = b
		if r.turns[line] == nil {
			r.turns[line] = make(chan struct{}, 1)
		}
		go r.run(ctx, api, line, b)
	}
	for _, a := range asks {
		b.asks[a] = true
	}
	r.mu.Unlock()
	select {
	case <-b.done:
		return b.found, b.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// eipsWhere are the EIPs that match, in a new slice (eips may be shared).
func eipsWhere(eips []cloud.EIP, match func(cloud.EIP) bool) []cloud.EIP {
	var out []cloud.EIP
	for _, e := range eips {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// run waits for the call before it on its line, closes the batch and
// reads it, at the priority of the sync that opened it.
func (r *eipReads) run(opener context.Context, api cloud.Cloud, line string, b *eipBatch) {
	r.mu.Lock()
	turn := r.turns[line]
	r.mu.Unlock()
	turn <- struct{}{}
	defer func() { <-turn }()
	if b.region == "" { // lastByID is the by-id line's, under its turn
		time.Sleep(time.Until(r.lastByID.Add(r.spacing)))
		r.lastByID = time.Now()
	}
	r.mu.Lock()
	if r.next[line] == b {
		delete(r.next, line)
	}
	asks := slices.Sorted(maps.Keys(b.asks))
	pages := max(1, r.pages[b.region])
	r.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.WithoutCancel(opener), eipBatchTimeout)
	defer cancel()
	switch {
	case b.region == "":
		b.found, b.err = api.ListEIPs(ctx, cloud.EIPFilter{AllocationIDs: asks})
	case len(asks) >= pages:
		b.found, b.err = api.ListEIPs(ctx, cloud.EIPFilter{RegionID: b.region})
		if b.err == nil {
			r.mu.Lock()
			r.pages[b.region] = (len(b.found) + 99) / 100
			r.mu.Unlock()
		}
	default:
		b.found, b.err = readEIPsNamedEach(ctx, api, asks, b.region)
	}
	klog.FromContext(opener).V(5).Info("EIPs read together", "line", line, "asks", len(asks), "found", len(b.found), "err", b.err)
	close(b.done)
}

// readEIPsNamedEach reads each name's EIPs in region, the names at once.
func readEIPsNamedEach(ctx context.Context, api cloud.Cloud, names []string, region string) ([]cloud.EIP, error) {
	results := make([][]cloud.EIP, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { results[i], errs[i] = readEIPsNamed(ctx, api, name, region) })
	}
	wg.Wait()
	var out []cloud.EIP
	for i := range names {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, results[i]...)
	}
	return out, nil
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
