package elb

import (
	"sync"
	"time"
)

// drains remembers when this controller set each backend to weight 0 for
// a connection drain, per ELB. It is memory only: after a leader change a
// backend found at weight 0 is drained again from then (longer, never
// shorter, than asked).
type drains struct {
	mu    sync.Mutex
	since map[string]map[string]time.Time // ELB id → instance → start
}

// started records the drain start of ids on lbID, keeping earlier ones.
func (d *drains) started(lbID string, ids []string, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.since == nil {
		d.since = map[string]map[string]time.Time{}
	}
	if d.since[lbID] == nil {
		d.since[lbID] = map[string]time.Time{}
	}
	for _, id := range ids {
		if _, ok := d.since[lbID][id]; !ok {
			d.since[lbID][id] = now
		}
	}
}

// ended forgets the drains of ids on lbID (removed, or needed again).
func (d *drains) ended(lbID string, ids []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		delete(d.since[lbID], id)
	}
	if len(d.since[lbID]) == 0 {
		delete(d.since, lbID)
	}
}

// of is a copy of lbID's drain starts.
func (d *drains) of(lbID string) map[string]time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]time.Time, len(d.since[lbID]))
	for id, t := range d.since[lbID] {
		out[id] = t
	}
	return out
}
