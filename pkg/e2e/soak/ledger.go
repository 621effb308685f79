package soak

import (
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ledger is the console user's memory of what they made and how they left
// it, written as each of their calls succeeds (UserLedger is its snapshot
// for the oracle). A change the user could not confirm is forgotten
// (forget*), never guessed.
type ledger struct {
	mu        sync.Mutex
	lbs       map[string]UserLB
	eips      map[string]UserEIP
	listeners map[string]UserListener // by listenerKey
	backends  map[string]UserBackend  // by lb/server/port
}

func newLedger() *ledger {
	return &ledger{lbs: map[string]UserLB{}, eips: map[string]UserEIP{}, listeners: map[string]UserListener{},
		backends: map[string]UserBackend{}}
}

func backendKey(lb, server string, port int) string {
	return lb + "/" + server + "/" + strconv.Itoa(port)
}

func (l *ledger) setLB(lb UserLB) { l.with(func() { l.lbs[lb.ID] = lb }) }

func (l *ledger) setEIP(e UserEIP) { l.with(func() { l.eips[e.ID] = e }) }

func (l *ledger) forgetEIP(id string) { l.with(func() { delete(l.eips, id) }) }

func (l *ledger) setListener(x UserListener) {
	l.with(func() { l.listeners[listenerKey(x.LB, x.Port, x.Protocol)] = x })
}

func (l *ledger) forgetListener(lb string, port int, proto string) {
	l.with(func() { delete(l.listeners, listenerKey(lb, port, proto)) })
}

func (l *ledger) hasListener(lb string, port int, proto string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.listeners[listenerKey(lb, port, proto)]
	return ok
}

func (l *ledger) setBackend(b UserBackend) {
	l.with(func() { l.backends[backendKey(b.LB, b.ServerID, b.Port)] = b })
}

// forgetBackends forgets every entry of the server on the ELB (a removal
// without a port takes them all).
func (l *ledger) forgetBackends(lb, server string) {
	l.with(func() {
		for k, b := range l.backends {
			if b.LB == lb && b.ServerID == server {
				delete(l.backends, k)
			}
		}
	})
}

// released: the user released the ELB; its listeners and backends went
// with it and an EIP bound to it came free.
func (l *ledger) released(lb string) {
	l.with(func() {
		delete(l.lbs, lb)
		for k, x := range l.listeners {
			if x.LB == lb {
				delete(l.listeners, k)
			}
		}
		for k, b := range l.backends {
			if b.LB == lb {
				delete(l.backends, k)
			}
		}
		for id, e := range l.eips {
			if e.BoundTo == lb {
				e.BoundTo = ""
				l.eips[id] = e
			}
		}
	})
}

// eipOn is the ledger's EIP bound to the ELB, "" for none.
func (l *ledger) eipOn(lb string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, e := range l.eips {
		if e.BoundTo == lb {
			return id
		}
	}
	return ""
}

func (l *ledger) with(fn func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn()
}

// snapshot is the ledger for the oracle, each list sorted.
func (l *ledger) snapshot() UserLedger {
	l.mu.Lock()
	defer l.mu.Unlock()
	var u UserLedger
	for _, x := range l.lbs {
		u.LoadBalancers = append(u.LoadBalancers, x)
	}
	for _, x := range l.eips {
		u.EIPs = append(u.EIPs, x)
	}
	for _, x := range l.listeners {
		u.Listeners = append(u.Listeners, x)
	}
	for _, x := range l.backends {
		u.Backends = append(u.Backends, x)
	}
	slices.SortFunc(u.LoadBalancers, func(a, b UserLB) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(u.EIPs, func(a, b UserEIP) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(u.Listeners, func(a, b UserListener) int {
		return strings.Compare(listenerKey(a.LB, a.Port, a.Protocol), listenerKey(b.LB, b.Port, b.Protocol))
	})
	slices.SortFunc(u.Backends, func(a, b UserBackend) int {
		return strings.Compare(backendKey(a.LB, a.ServerID, a.Port), backendKey(b.LB, b.ServerID, b.Port))
	})
	return u
}
