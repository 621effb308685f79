package elbmodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

type listenerKey struct {
	port     int
	protocol string
}

func keyOf(l cloud.Listener) listenerKey {
	return listenerKey{l.Port, strings.ToUpper(l.Protocol)}
}

// listenerDiff is the listener part of a plan, by action type, as
// diffListeners builds it.
type listenerDiff struct {
	del, create, update, start []Action
	waits                      []*NotNow
	wait                       *NotNow // the waits joined
	conflicts                  []string
	want                       map[listenerKey]cloud.Listener
	taken                      map[listenerKey]bool // wanted keys not to create now: kept, or still being removed
}

// diffListeners plans listener changes. A listener is ours when its
// Description is d.Name; others are never touched unless they clash with a
// wanted listener and ForceOverride is set (then they are replaced). ENS
// creates listeners Stopped, so every create is followed by a start in the
// same plan, and deletes only stopped ones (see retire). An update is
// planned for a running listener too: ENS may take it as it is, and the
// apply step stops the listener only when ENS refuses.
func diffListeners(d Desired, actual []cloud.Listener) (listenerDiff, error) {
	ld := listenerDiff{want: make(map[listenerKey]cloud.Listener, len(d.Listeners)), taken: map[listenerKey]bool{}}
	for _, l := range d.Listeners {
		ld.want[keyOf(l)] = l
	}
	for _, l := range actual {
		w, wanted := ld.want[keyOf(l)]
		switch {
		case l.Description != d.Name:
			ld.foreign(d, l)
		case !wanted || l.BackendPort != w.BackendPort:
			ld.retire(l)
		default:
			ld.keep(l, w)
		}
	}
	if len(ld.conflicts) > 0 {
		return listenerDiff{}, &InputError{Reason: apis.EventListenerConflict, Field: "spec.ports",
			Message: fmt.Sprintf("listener(s) %s on the ELB are not this Service's; set %s: \"true\" to take them over",
				strings.Join(ld.conflicts, ", "), apis.AnnotationForceOverrideListeners)}
	}
	for _, w := range d.Listeners {
		if !ld.taken[keyOf(w)] {
			ld.create = append(ld.create, Action{Type: CreateListener, Listener: w})
			ld.start = append(ld.start, Action{Type: StartListener, Listener: w})
		}
	}
	ld.wait = JoinWaits(ld.waits...)
	return ld, nil
}

// foreign: a listener not ours is replaced only when it clashes with a
// wanted one and ForceOverride is set, and never when a live PoolService
// of this cluster owns it (two forcing Services would flap).
func (ld *listenerDiff) foreign(d Desired, l cloud.Listener) {
	if !clashes(l, d.Listeners) {
		return
	}
	if !d.ForceOverride || slices.Contains(d.Protected, l.Description) {
		ld.conflicts = append(ld.conflicts, fmt.Sprintf("%s:%d (description %q)", l.Protocol, l.Port, l.Description))
		return
	}
	ld.retire(l)
}

// retire plans a listener's removal (see retire). ENS keeps a deleted
// port releasing for a while, so a listener replaced on the same key is
// created by a later plan, not refused in this one.
func (ld *listenerDiff) retire(l cloud.Listener) {
	acts, wait := retire(l)
	ld.del = append(ld.del, acts...)
	if wait != nil {
		ld.waits = append(ld.waits, wait)
	}
	if _, replaced := ld.want[keyOf(l)]; replaced || wait != nil {
		ld.taken[keyOf(l)] = true
		if wait == nil {
			ld.waits = append(ld.waits, Waitf("listener %s:%d is replaced once its port is free", l.Protocol, l.Port))
		}
	}
}

// keep: our listener on a wanted key is started when stopped and updated
// when its attributes differ; one changing state is waited for (ENS
// refuses to set it meanwhile).
func (ld *listenerDiff) keep(l, w cloud.Listener) {
	ld.taken[keyOf(l)] = true
	switch listenerState(l) {
	case cloud.ListenerRunning:
	case cloud.ListenerStopped:
		ld.start = append(ld.start, Action{Type: StartListener, Listener: w})
	default:
		ld.waits = append(ld.waits, Waitf("listener %s:%d is %s", l.Protocol, l.Port, l.Status))
		return
	}
	if !sameAttributes(l, w) {
		w.Status = listenerState(l) // what apply needs to know if ENS refuses
		ld.update = append(ld.update, Action{Type: UpdateListener, Listener: w})
	}
}

// retire plans the removal of a listener. ENS deletes only a stopped
// listener, so a running one is stopped, and deleted by a later plan once
// it reads Stopped (a delete right after the stop would be refused while
// it is Stopping); one changing state is waited for. A listener read
// without its status (not ours: only its summary is read) is stopped and
// deleted at once; stopping a stopped one changes nothing, and a delete
// refused while it stops is repeated by the next plan.
func retire(l cloud.Listener) ([]Action, *NotNow) {
	if l.Status == "" {
		return []Action{{Type: StopListener, Listener: l}, {Type: DeleteListener, Listener: l}}, nil
	}
	switch listenerState(l) {
	case cloud.ListenerStopped:
		return []Action{{Type: DeleteListener, Listener: l}}, nil
	case cloud.ListenerRunning:
		return []Action{{Type: StopListener, Listener: l}}, Waitf("listener %s:%d is stopped to be deleted", l.Protocol, l.Port)
	}
	return nil, Waitf("listener %s:%d to delete is %s", l.Protocol, l.Port, l.Status)
}

// listenerState is a listener's status in its canonical form; a listener
// read without a status counts as running.
func listenerState(l cloud.Listener) string {
	for _, s := range []string{cloud.ListenerRunning, cloud.ListenerStopped} {
		if strings.EqualFold(l.Status, s) {
			return s
		}
	}
	if l.Status == "" {
		return cloud.ListenerRunning
	}
	return l.Status
}

// clashes reports whether a listener occupies a port a wanted listener
// needs: same port and protocol, or same port with an HTTP(S) listener on
// either side (ENS forbids TCP/UDP next to HTTP/HTTPS on one port).
func clashes(l cloud.Listener, wanted []cloud.Listener) bool {
	for _, w := range wanted {
		if w.Port != l.Port {
			continue
		}
		if keyOf(w) == keyOf(l) || strings.HasPrefix(strings.ToUpper(l.Protocol), "HTTP") {
			return true
		}
	}
	return false
}

// sameAttributes compares the attributes UpdateListener can set.
func sameAttributes(a, b cloud.Listener) bool {
	return a.Scheduler == b.Scheduler &&
		a.PersistenceTimeout == b.PersistenceTimeout &&
		a.EstablishedTimeout == b.EstablishedTimeout &&
		a.HealthyThreshold == b.HealthyThreshold &&
		a.UnhealthyThreshold == b.UnhealthyThreshold &&
		a.HealthCheckInterval == b.HealthCheckInterval &&
		a.HealthCheckConnectTimeout == b.HealthCheckConnectTimeout
}
