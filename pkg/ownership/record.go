// Package ownership is the controller's durable proof of what it created in
// the cloud. ENS ELBs carry no tags and anyone can give an ELB or EIP our
// name, so the name alone proves nothing: before each create the controller
// writes the ClientToken (and the request) it is about to use, and after it
// the id ENS answered. Cleanup and the orphan sweep release only ids a
// record holds. Records live in the API server (one ConfigMap per cloud
// name, in the manager's namespace), so they survive a manager restart, a
// leader change and the deletion of the PoolService they were made for.
package ownership

import (
	"slices"
	"time"
)

// Kind is what a record entry is.
type Kind string

// Kinds of entries.
const (
	LoadBalancer Kind = "loadBalancer"
	EIP          Kind = "eip"
)

// Entry is one creation: its ClientToken, written before the create call,
// and the id ENS answered, written after it. An entry without an ID is a
// create that may or may not have happened (a crash or a lost answer in
// between); repeating the create with the same token and request finds out.
type Entry struct {
	Token string    `json:"token"`
	ID    string    `json:"id,omitempty"`
	Since time.Time `json:"since"`
	// Request is the create request as sent (JSON), so a pending create can
	// be repeated exactly even when the objects it was made from are gone.
	Request []byte `json:"request,omitempty"`
	// Releasing is set before the release call: a resource ENS no longer
	// knows is then gone by our hand, not one too new to be visible yet.
	Releasing bool `json:"releasing,omitempty"`
	// Adopted marks a resource another controller made that was adopted
	// (opted in), not created by us.
	Adopted bool `json:"adopted,omitempty"`
}

// Pending reports whether the create's answer was never recorded.
func (e Entry) Pending() bool { return e.ID == "" }

// Record is everything this controller created under one cloud name.
type Record struct {
	// Name is the ELB/EIP name, k8s/<svc>/<ns>/<pool>/<cluster-id>.
	Name          string  `json:"name"`
	LoadBalancers []Entry `json:"loadBalancers,omitempty"`
	EIPs          []Entry `json:"eips,omitempty"`
}

// Entries returns the entries of one kind.
func (r Record) Entries(k Kind) []Entry {
	if k == LoadBalancer {
		return r.LoadBalancers
	}
	return r.EIPs
}

func (r *Record) entries(k Kind) *[]Entry {
	if k == LoadBalancer {
		return &r.LoadBalancers
	}
	return &r.EIPs
}

// Owns reports whether id is one of ours.
func (r Record) Owns(k Kind, id string) bool {
	return id != "" && slices.ContainsFunc(r.Entries(k), func(e Entry) bool { return e.ID == id })
}

// IDs are the created ids of one kind.
func (r Record) IDs(k Kind) []string {
	var out []string
	for _, e := range r.Entries(k) {
		if e.ID != "" {
			out = append(out, e.ID)
		}
	}
	return out
}

// PendingEntry returns the newest entry of kind k without an id.
func (r Record) PendingEntry(k Kind) (Entry, bool) {
	es := r.Entries(k)
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Pending() {
			return es[i], true
		}
	}
	return Entry{}, false
}

// Add appends an entry.
func (r *Record) Add(k Kind, e Entry) {
	p := r.entries(k)
	*p = append(*p, e)
}

// SetID records the id the create with token answered.
func (r *Record) SetID(k Kind, token, id string) {
	es := *r.entries(k)
	for i := range es {
		if es[i].Token == token {
			// The request is kept only to repeat a create whose answer
			// was lost; at thousands of records it is most of their size.
			es[i].ID, es[i].Request = id, nil
			return
		}
	}
	r.Add(k, Entry{Token: token, ID: id, Since: time.Now().UTC()})
}

// MarkReleasing notes that the entry with this id is being released.
func (r *Record) MarkReleasing(k Kind, id string) {
	es := *r.entries(k)
	for i := range es {
		if es[i].ID == id {
			es[i].Releasing = true
		}
	}
}

// Forget drops the entries with this id (released or gone) or, for an
// empty id, the entry with this token.
func (r *Record) Forget(k Kind, id, token string) {
	p := r.entries(k)
	*p = slices.DeleteFunc(*p, func(e Entry) bool {
		return (id != "" && e.ID == id) || (id == "" && e.Token == token)
	})
}

// Empty reports whether nothing is recorded.
func (r Record) Empty() bool { return len(r.LoadBalancers) == 0 && len(r.EIPs) == 0 }

// Clone copies the record.
func (r Record) Clone() Record {
	r.LoadBalancers = slices.Clone(r.LoadBalancers)
	r.EIPs = slices.Clone(r.EIPs)
	return r
}
