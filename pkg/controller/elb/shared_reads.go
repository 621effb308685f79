package elb

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// Reads that scale. ENS limits every action per second, so a resync that
// read the instances, the EIPs and every listener of each ELB would spend
// four or more calls per PoolService. What many PoolServices need alike is
// read once and shared:
//   - the ENS instances of all this cluster's nodes (DescribeInstances by
//     ids, a hundred per page), refreshed at most once per shareFor;
//   - the EIPs of a region (DescribeEnsEipAddresses, paged), when the
//     region has enough PoolServices to be worth the pages;
//   - the full attributes and status of an ELB's listeners, kept while the
//     ELB's own summary (one DescribeLoadBalancerAttribute each sync) shows
//     them unchanged, until listenerRecheck.
//
// A shared read is never used for what this controller just changed: an
// EIP or listener mutation makes the next sync of that name or ELB read it
// again by itself. Releases never rest on a shared read either: they go by
// the ownership record and a targeted read (delete.go).

// snapshot is one shared list read.
type snapshot[T any] struct {
	mu     sync.Mutex // held while refreshing, so one sync reads for all
	items  []T
	readAt time.Time
	seq    uint64 // sharedReads.seq when the read began
	pages  int    // calls the last refresh took
}

// fresh reports whether the snapshot was read within maxAge and began
// after the change numbered since.
func (s *snapshot[T]) fresh(now time.Time, since uint64, maxAge time.Duration) bool {
	return s.seq != 0 && now.Sub(s.readAt) < maxAge && s.seq > since
}

// listenerRead is the full state of an ELB's listeners as last read for
// one owner. It is kept for every ELB, so it is kept small: the summary
// only as far as a change to it matters (ports and owner), and one slice
// per ELB rather than a map (most ELBs have one owner).
type listenerRead struct {
	owner   string
	summary []listenerSummary // as DescribeLoadBalancerAttribute listed them
	full    []cloud.Listener
	readAt  time.Time
	seq     uint64
}

// listenerSummary is what a changed summary is told by: ports and owner.
type listenerSummary struct {
	port, backendPort     int
	protocol, description string
}

func summarize(ls []cloud.Listener) []listenerSummary {
	out := make([]listenerSummary, len(ls))
	for i, l := range ls {
		out[i] = summaryOf(l)
	}
	return out
}

func summaryOf(l cloud.Listener) listenerSummary {
	return listenerSummary{port: l.Port, backendPort: l.BackendPort, protocol: l.Protocol, description: l.Description}
}

// summarizes reports whether s is the summary of l.
func (s listenerSummary) summarizes(l cloud.Listener) bool { return s == summaryOf(l) }

// sharedReads holds the shared reads of one controller.
type sharedReads struct {
	clock           clock.PassiveClock
	shareFor        time.Duration // how long a shared list read serves
	listenerRecheck time.Duration // how long unchanged listeners are not re-read

	mu sync.Mutex
	// seq orders our changes and the reads: a read counts for a key only
	// when it began after the key's last change (clocks may not tell).
	seq       uint64
	instances *snapshot[cloud.Instance]
	// instanceIndex is instances.items by id, built once per refresh
	// (guarded by instances.mu).
	instanceIndex map[string]cloud.Instance
	eips          map[string]*snapshot[cloud.EIP] // by region
	changed       map[string]uint64               // cloud name or ELB id → seq of our last change to it
	listeners     map[string][]listenerRead       // by ELB id, one per owner (listener Description)
}

func newSharedReads(clk clock.PassiveClock, shareFor, listenerRecheck time.Duration) *sharedReads {
	return &sharedReads{clock: clk, shareFor: shareFor, listenerRecheck: listenerRecheck,
		instances: &snapshot[cloud.Instance]{}, eips: map[string]*snapshot[cloud.EIP]{},
		changed: map[string]uint64{}, listeners: map[string][]listenerRead{}}
}

// noteChange records that this controller just changed the EIPs of a
// cloud name or the listeners of an ELB: shared reads from before no
// longer count for it.
func (s *sharedReads) noteChange(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.changed[key] = s.seq
	delete(s.listeners, key)
}

// changedAt is the seq of our last change to key (0: none).
func (s *sharedReads) changedAt(key string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed[key]
}

// begin numbers a read that starts now.
func (s *sharedReads) begin() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

// instancesOf returns the instances of ids: from the shared read of every
// cluster node's instance (refreshed when stale), or by a read of just
// these ids when a shared read would not pay for itself.
func (s *sharedReads) instancesOf(ctx context.Context, api cloud.Cloud, ids []string, clusterIDs func() []string) (map[string]cloud.Instance, error) {
	if len(ids) == 0 {
		return map[string]cloud.Instance{}, nil
	}
	shared, ok, err := s.sharedInstances(ctx, api, len(ids), clusterIDs)
	if err != nil || !ok {
		if err == nil {
			return readInstances(ctx, api, ids)
		}
		return nil, err
	}
	out := make(map[string]cloud.Instance, len(ids))
	var missing []string
	for _, id := range ids {
		if in, found := shared[id]; found {
			out[id] = in
		} else {
			missing = append(missing, id) // a node newer than the read
		}
	}
	if len(missing) > 0 {
		more, err := readInstances(ctx, api, missing)
		if err != nil {
			return nil, err
		}
		maps.Copy(out, more)
	}
	return out, nil
}

// sharedInstances is the shared instance read by id, refreshed when stale
// and worth it (the cluster has at least twice the instances one sync
// needs); ok false when it is not worth it.
func (s *sharedReads) sharedInstances(ctx context.Context, api cloud.Cloud, need int, clusterIDs func() []string) (map[string]cloud.Instance, bool, error) {
	snap := s.instances
	snap.mu.Lock()
	defer snap.mu.Unlock()
	if !snap.fresh(s.clock.Now(), 0, s.shareFor) {
		all := clusterIDs()
		if len(all) < 2*need {
			return nil, false, nil
		}
		seq, readAt := s.begin(), s.clock.Now()
		list, err := api.ListInstances(ctx, cloud.InstanceFilter{IDs: all})
		if err != nil {
			return nil, false, err
		}
		snap.items, snap.readAt, snap.seq, snap.pages = list, readAt, seq, (len(all)+99)/100
		s.instanceIndex = make(map[string]cloud.Instance, len(list))
		for _, in := range list {
			s.instanceIndex[in.ID] = in
		}
	}
	return s.instanceIndex, true, nil // replaced whole on refresh, never changed
}

func readInstances(ctx context.Context, api cloud.Cloud, ids []string) (map[string]cloud.Instance, error) {
	list, err := api.ListInstances(ctx, cloud.InstanceFilter{IDs: ids})
	if err != nil {
		return nil, err
	}
	out := make(map[string]cloud.Instance, len(list))
	for _, in := range list {
		out[in.ID] = in
	}
	return out, nil
}

// eipsNamed returns the EIPs named exactly name in region, sorted by id:
// from the region's shared read when it is fresh and newer than our last
// change to name's EIPs, else by name. users is how many PoolServices of
// this controller the region has: the shared read is refreshed only when
// they outnumber twice the pages it takes.
func (s *sharedReads) eipsNamed(ctx context.Context, api cloud.Cloud, name, region string, users int) ([]cloud.EIP, error) {
	out, err := s.regionEIPsWhere(ctx, api, region, s.changedAt(name), users,
		func(e cloud.EIP) bool { return e.Name == name },
		func() ([]cloud.EIP, error) { return readEIPsNamed(ctx, api, name, region) })
	sortEIPs(out)
	return out, err
}

// eipsOn returns the EIPs bound to a user-managed ELB: from the region's
// shared read when there is a fresh one, else by a read of just those.
func (s *sharedReads) eipsOn(ctx context.Context, api cloud.Cloud, lbID, region string, users int) ([]cloud.EIP, error) {
	return s.regionEIPsWhere(ctx, api, region, 0, users,
		func(e cloud.EIP) bool { return e.AssociatedInstanceID == lbID },
		func() ([]cloud.EIP, error) { return api.ListEIPs(ctx, cloud.EIPFilter{AssociatedInstanceID: lbID}) })
}

// regionEIPsWhere is the EIPs of the region's shared read that match, or
// what alone reads when there is no usable shared read (see regionEIPs).
func (s *sharedReads) regionEIPsWhere(ctx context.Context, api cloud.Cloud, region string, since uint64, users int,
	match func(cloud.EIP) bool, alone func() ([]cloud.EIP, error)) ([]cloud.EIP, error) {
	shared, ok, err := s.regionEIPs(ctx, api, region, since, users)
	if err != nil {
		return nil, err
	}
	if !ok {
		return alone()
	}
	return eipsWhere(shared, match), nil
}

// regionEIPs is the region's shared EIP read if it is fresh and newer than
// since, refreshing it when it is stale and worth it; ok false otherwise
// (then the caller reads what it needs alone).
func (s *sharedReads) regionEIPs(ctx context.Context, api cloud.Cloud, region string, since uint64, users int) ([]cloud.EIP, bool, error) {
	if region == "" {
		return nil, false, nil
	}
	s.mu.Lock()
	snap := s.eips[region]
	if snap == nil {
		snap = &snapshot[cloud.EIP]{}
		s.eips[region] = snap
	}
	s.mu.Unlock()
	snap.mu.Lock()
	defer snap.mu.Unlock()
	now := s.clock.Now()
	switch {
	case snap.fresh(now, since, s.shareFor):
	case snap.fresh(now, 0, s.shareFor): // fresh, but older than our change
		return nil, false, nil
	case users < 2*max(snap.pages, 1):
		return nil, false, nil
	default:
		seq := s.begin()
		list, err := api.ListEIPs(ctx, cloud.EIPFilter{RegionID: region})
		if err != nil {
			return nil, false, err
		}
		snap.items, snap.readAt, snap.seq, snap.pages = list, now, seq, (len(list)+99)/100
	}
	return snap.items, true, nil
}

func readEIPsNamed(ctx context.Context, api cloud.Cloud, name, region string) ([]cloud.EIP, error) {
	eips, err := api.ListEIPs(ctx, cloud.EIPFilter{Name: name, RegionID: region})
	if err != nil {
		return nil, err
	}
	return exactlyNamed(eips, name), nil
}

// exactlyNamed are the EIPs named name (ENS may match names loosely),
// sorted by id.
func exactlyNamed(eips []cloud.EIP, name string) []cloud.EIP {
	out := eipsWhere(eips, func(e cloud.EIP) bool { return e.Name == name })
	sortEIPs(out)
	return out
}

func sortEIPs(eips []cloud.EIP) {
	slices.SortFunc(eips, func(a, b cloud.EIP) int { return strings.Compare(a.AllocationID, b.AllocationID) })
}

// cachedListeners returns the full listeners last read for owner on lb
// when lb's summary is unchanged since, every one was settled, nothing of
// ours changed them and listenerRecheck has not passed; else nil.
func (s *sharedReads) cachedListeners(lb *cloud.LoadBalancer, owner string) []cloud.Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.listeners[lb.ID], func(r listenerRead) bool { return r.owner == owner })
	if i < 0 {
		return nil
	}
	r := s.listeners[lb.ID][i]
	if s.clock.Since(r.readAt) >= s.listenerRecheck || !slices.EqualFunc(r.summary, lb.Listeners, listenerSummary.summarizes) {
		return nil
	}
	return slices.Clone(r.full)
}

// keepListeners stores a full read of lb's listeners for owner, if all are
// settled (a listener changing state is read again until it is not) and
// nothing of ours changed them since the read.
func (s *sharedReads) keepListeners(lbID, owner string, summary, full []cloud.Listener, seq uint64, readAt time.Time) {
	for _, l := range full {
		if l.Description == owner && l.Status != cloud.ListenerRunning && l.Status != cloud.ListenerStopped {
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq <= s.changed[lbID] {
		return
	}
	r := listenerRead{owner: owner, summary: summarize(summary), full: slices.Clone(full), readAt: readAt, seq: seq}
	reads := s.listeners[lbID]
	if i := slices.IndexFunc(reads, func(r listenerRead) bool { return r.owner == owner }); i >= 0 {
		reads[i] = r
		return
	}
	s.listeners[lbID] = append(slices.Clip(reads), r)
}
