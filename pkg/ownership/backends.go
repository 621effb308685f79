package ownership

import (
	"slices"
	"time"
)

// Backends is what this controller added to one user-managed ELB: the
// instances it sent in AddBackendServers. On a user ELB an instance is ours
// to remove only when it is one of this cluster's nodes or recorded here,
// and the record is what keeps that fact once the node is deleted (the
// cluster no longer knows the instance, but we still know we put it
// there). An instance is recorded before the add call (its answer may be
// lost) and forgotten after a remove succeeded.
//
// Kept apart from Record: it proves no resource of ours, so the orphan
// sweep, which walks Records, never sees it.
type Backends struct {
	LoadBalancerID string  `json:"loadBalancerId"`
	Added          []Added `json:"added,omitempty"`
}

// Added is one instance we added, and when we last sent it in an add (a
// read of the ELB from before then may not show it yet).
type Added struct {
	ServerID string    `json:"serverId"`
	Sent     time.Time `json:"sent"`
}

// Has reports whether we recorded adding the instance.
func (b Backends) Has(serverID string) bool {
	return slices.ContainsFunc(b.Added, func(a Added) bool { return a.ServerID == serverID })
}

// IDs are the recorded instances.
func (b Backends) IDs() []string {
	out := make([]string, 0, len(b.Added))
	for _, a := range b.Added {
		out = append(out, a.ServerID)
	}
	return out
}

// Add records the instances as sent at now and reports whether that
// changed the record.
func (b *Backends) Add(now time.Time, serverIDs ...string) (changed bool) {
	for _, id := range serverIDs {
		i := slices.IndexFunc(b.Added, func(a Added) bool { return a.ServerID == id })
		switch {
		case id == "":
		case i < 0:
			b.Added = append(b.Added, Added{ServerID: id, Sent: now})
			changed = true
		case !b.Added[i].Sent.Equal(now):
			b.Added[i].Sent = now
			changed = true
		}
	}
	return changed
}

// Forget drops the instances and reports whether any was recorded.
func (b *Backends) Forget(serverIDs ...string) (changed bool) {
	n := len(b.Added)
	b.Added = slices.DeleteFunc(b.Added, func(a Added) bool { return slices.Contains(serverIDs, a.ServerID) })
	return len(b.Added) != n
}

// Empty reports whether nothing is recorded.
func (b Backends) Empty() bool { return len(b.Added) == 0 }
