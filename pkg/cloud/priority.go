package cloud

import "context"

// Priority orders the calls that wait for one action's rate budget: a
// waiting call of a more urgent priority goes first, calls of one priority
// go in turn. It never makes a call faster than the budget; it decides who
// spends it. Lower values are more urgent.
type Priority uint8

const (
	// PriorityUrgent is work somebody is waiting for now: an event on a
	// resource that serves traffic (an endpoint moved, a port edited).
	PriorityUrgent Priority = iota
	// PriorityProgress is the next step of work already under way (an ELB
	// created, its listeners still to come): finishing what was started
	// first brings every resource into service soonest.
	PriorityProgress
	// PriorityNormal is new work; calls without a priority have it.
	PriorityNormal
	// PriorityBackground is work nobody waits for: drift repair.
	PriorityBackground

	// NumPriorities is the number of priorities.
	NumPriorities = int(PriorityBackground) + 1
)

var priorityNames = [NumPriorities]string{"urgent", "progress", "normal", "background"}

func (p Priority) String() string {
	if int(p) < NumPriorities {
		return priorityNames[p]
	}
	return "unknown"
}

type priorityKey struct{}

// WithPriority returns ctx whose cloud calls wait with priority p.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityOf is the priority of ctx's calls: PriorityNormal unless set.
func PriorityOf(ctx context.Context) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok && int(p) < NumPriorities {
		return p
	}
	return PriorityNormal
}
