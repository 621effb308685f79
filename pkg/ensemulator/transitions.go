package ensemulator

import (
	"fmt"
	"slices"
	"time"
)

// Transitional statuses real ENS reports for a while after a change. The
// emulator shows them for Config.ListenerTransitionDelay and
// Config.EIPTransitionDelay; a controller must wait them out and look again.
const (
	listenerStarting    = "Starting"
	listenerStopping    = "Stopping"
	listenerConfiguring = "Configuring"
	eipAssociating      = "Associating"
	eipUnassociating    = "Unassociating"
)

// CodeIncorrectListenerStatus answers a change to a listener that is still
// in a transitional status.
const CodeIncorrectListenerStatus = "IncorrectListenerStatus"

// Instance statuses SetInstanceStatus accepts.
var instanceStatuses = []string{"Running", "Stopped", "Expired"}

// SetInstanceStatus changes an ENS instance's status (Running, Stopped or
// Expired). It exists for tests and demos, like SetFault: the emulator
// serves no ENS action that starts or stops instances, and the admin HTTP
// API leaves the inventory read-only. As on ENS, an instance that stops
// stays a backend of its ELBs; only new AddBackendServers calls refuse it.
func (e *Emulator) SetInstanceStatus(id, status string) error {
	if !slices.Contains(instanceStatuses, status) {
		return fmt.Errorf("instance status %q is not one of %v", status, instanceStatuses)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in := e.store.instances[id]
	if in == nil {
		return fmt.Errorf("instance %q does not exist", id)
	}
	in.Status = status
	e.persist()
	return nil
}

// settle ends the transitions that are due at now. Callers hold mu.
func (s *store) settle(now time.Time) {
	if s.transitions == 0 {
		return
	}
	s.transitions = 0
	for _, lb := range s.lbs {
		for i := range lb.Listeners {
			l := &lb.Listeners[i]
			switch {
			case l.SettleAt == nil:
			case !now.Before(*l.SettleAt):
				l.Status, l.SettleAt, l.SettleTo = l.SettleTo, nil, ""
			default:
				s.transitions++
			}
		}
	}
	for _, eip := range s.eips {
		switch {
		case eip.SettleAt == nil:
		case !now.Before(*eip.SettleAt):
			settleEIP(eip)
		default:
			s.transitions++
		}
	}
}

func settleEIP(eip *EIP) {
	if eip.SettleTo == eipAvailable {
		eip.InstanceID, eip.InstanceType = "", ""
	}
	eip.Status, eip.SettleAt, eip.SettleTo = eip.SettleTo, nil, ""
}

// moveListener sets a listener's status, through transitional for the
// configured delay when there is one. Callers hold mu.
func (e *Emulator) moveListener(l *Listener, transitional, final string, now time.Time) {
	d := e.cfg.ListenerTransitionDelay
	if d <= 0 {
		l.Status = final
		return
	}
	l.Status, l.SettleAt, l.SettleTo = transitional, ptr(now.Add(d)), final
	e.store.transitions++
}

// moveEIP is moveListener for an EIP's association.
func (e *Emulator) moveEIP(eip *EIP, transitional, final string, now time.Time) {
	d := e.cfg.EIPTransitionDelay
	if d <= 0 {
		eip.Status = final
		if final == eipAvailable {
			eip.InstanceID, eip.InstanceType = "", ""
		}
		return
	}
	eip.Status, eip.SettleAt, eip.SettleTo = transitional, ptr(now.Add(d)), final
	e.store.transitions++
}

// checkListenerSettled refuses a change to a listener in transition.
func checkListenerSettled(lb *LoadBalancer, l *Listener) *apiError {
	if l.SettleAt == nil {
		return nil
	}
	return newError(CodeIncorrectListenerStatus, "The listener %s/%d of %s is %s; try again later.",
		l.Protocol, l.Port, lb.ID, l.Status)
}
