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
		lb.Releasing = slices.DeleteFunc(lb.Releasing, func(r ReleasingPort) bool { return !now.Before(r.Until) })
		s.transitions += len(lb.Releasing)
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

// checkListenerStopped refuses a change that real ENS takes only on a
// stopped listener (delete; set, under Config.SetRequiresStoppedListener).
func checkListenerStopped(lb *LoadBalancer, l *Listener) *apiError {
	if aerr := checkListenerSettled(lb, l); aerr != nil {
		return aerr
	}
	if l.Status == listenerStop {
		return nil
	}
	return newError(CodeIncorrectListenerStatus, "The listener %s/%d of %s is %s; stop it first.",
		l.Protocol, l.Port, lb.ID, l.Status)
}

// releasePort keeps a deleted listener's port releasing for the
// configured delay. Callers hold mu.
func (e *Emulator) releasePort(lb *LoadBalancer, l Listener, now time.Time) {
	if d := e.cfg.ListenerReleaseDelay; d > 0 {
		lb.Releasing = append(lb.Releasing, ReleasingPort{Port: l.Port, Protocol: l.Protocol, Until: now.Add(d)})
		e.store.transitions++
	}
}

// Realistic delays: how long real ENS shows each transition. They are the
// order of magnitude Terraform's alicloud provider polls for (seconds), not
// measurements, which no public source gives. The emulator binary, and so
// the e2e suite, the demo, the soak and the benchmarks, run with them; the
// Config zero value settles at once, for unit tests that ask for it.
const (
	RealisticActiveDelay             = 3 * time.Second
	RealisticListenerTransitionDelay = time.Second
	RealisticEIPTransitionDelay      = 2 * time.Second
	RealisticListenerReleaseDelay    = 3 * time.Second
)

// Realistic gives cfg real ENS's timing and its stricter listener rule:
// every delay is the realistic one times scale (1 outside unit tests, a
// fraction inside them, which cannot wait seconds per step), and
// Set…ListenerAttribute needs a stopped listener.
func Realistic(cfg *Config, scale float64) {
	scaled := func(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }
	cfg.ActiveDelay = scaled(RealisticActiveDelay)
	cfg.ListenerTransitionDelay = scaled(RealisticListenerTransitionDelay)
	cfg.EIPTransitionDelay = scaled(RealisticEIPTransitionDelay)
	cfg.ListenerReleaseDelay = scaled(RealisticListenerReleaseDelay)
	cfg.SetRequiresStoppedListener = true
}

// Settled reports whether nothing is in transition now: no ELB Creating,
// no listener or EIP changing state, no port releasing, nothing created
// but not yet visible. Tests wait for it to judge the state the cloud comes
// to rest in.
func (e *Emulator) Settled() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	e.store.settle(now)
	if e.store.transitions > 0 {
		return false
	}
	for _, lb := range e.store.lbs {
		if (lb.ActiveAt != nil && now.Before(*lb.ActiveAt)) || (lb.VisibleAt != nil && now.Before(*lb.VisibleAt)) {
			return false
		}
	}
	for _, eip := range e.store.eips {
		if eip.VisibleAt != nil && now.Before(*eip.VisibleAt) {
			return false
		}
	}
	return true
}
