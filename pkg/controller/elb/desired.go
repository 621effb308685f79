package elb

import "github.com/edge-lb/edge-controller-manager/pkg/elbmodel"

// wanted is what the API objects alone say about a PoolService's ELB,
// known before any cloud call.
type wanted struct {
	in      elbmodel.Inputs
	desired elbmodel.Desired // backends not filled in yet (elbmodel.NewPlan does)
	// needs are the instances the backends need, with their weights: this
	// PoolService's, and on a shared user ELB every accepted sharer's.
	needs map[string]int
}

// desired builds and validates the desired ELB, then applies the sharing
// rules (sharing.go). A problem is an *elbmodel.InputError.
func (c *Controller) desired(v poolServiceView, ann elbmodel.Annotations) (wanted, error) {
	w := wanted{in: c.inputs(v, ann)}
	var err error
	if w.desired, err = elbmodel.Build(w.in); err != nil {
		return w, err
	}
	if w.needs, err = c.backendNeeds(v, w.in, &w.desired); err != nil {
		return w, err
	}
	// A node whose instance id cannot be one is left out before the read:
	// the id is never sent to ENS, and the rest of the pool is served.
	w.desired.BadInstances = elbmodel.DropInvalidInstances(w.needs)
	return w, nil
}
