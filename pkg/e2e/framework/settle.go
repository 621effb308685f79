package framework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// The emulator runs with real ENS's timing: a new ELB reads Creating for a
// while, a listener Starting, Stopping or Configuring, an EIP Associating or
// Unassociating, and a deleted listener's port stays releasing. A test that
// acts as the user must wait for each step to settle before the next, as a
// user's script against real ENS does (ENS refuses most changes to a
// resource in transition), and a test judging the end state must judge the
// state the cloud comes to rest in.

// Unsettled lists what in inv is still in transition, one line each. ids
// narrows it to those ELBs (with their listeners, releasing ports and the
// EIP bound to them) and EIPs; with no ids it covers the whole account.
// The inventory the emulator serves is already settled up to the moment it
// was read, so whatever still shows a transitional status is in transition.
func Unsettled(inv ensemulator.Inventory, ids ...string) []string {
	in := func(id string) bool { return len(ids) == 0 || slices.Contains(ids, id) }
	now := time.Now()
	var out []string
	for _, lb := range inv.LoadBalancers {
		if !in(lb.ID) {
			continue
		}
		if lb.Status == "Creating" {
			out = append(out, fmt.Sprintf("ELB %s is Creating", lb.ID))
		}
		if lb.VisibleAt != nil && now.Before(*lb.VisibleAt) {
			out = append(out, fmt.Sprintf("ELB %s is not visible yet", lb.ID))
		}
		for _, l := range lb.Listeners {
			if l.SettleAt != nil {
				out = append(out, fmt.Sprintf("listener %s:%d of %s is %s", l.Protocol, l.Port, lb.ID, l.Status))
			}
		}
		for _, r := range lb.Releasing {
			out = append(out, fmt.Sprintf("port %s:%d of %s is releasing", r.Protocol, r.Port, lb.ID))
		}
	}
	for _, e := range inv.EIPs {
		if !in(e.ID) && (e.InstanceID == "" || !in(e.InstanceID)) {
			continue
		}
		if e.SettleAt != nil {
			out = append(out, fmt.Sprintf("EIP %s is %s on %q", e.ID, e.Status, e.InstanceID))
		}
		if e.VisibleAt != nil && now.Before(*e.VisibleAt) {
			out = append(out, fmt.Sprintf("EIP %s is not visible yet", e.ID))
		}
	}
	return out
}

// WaitSettled polls the inventory until nothing Unsettled names is in
// transition (ids as there; none: the whole account) and returns that
// settled inventory. It only waits: whatever else changes the resources
// (the controller) may change them again right after.
func (e *Emulator) WaitSettled(ctx context.Context, timeout time.Duration, ids ...string) (ensemulator.Inventory, error) {
	var inv ensemulator.Inventory
	err := WaitFor(ctx, timeout, 100*time.Millisecond, func() (bool, string) {
		var err error
		if inv, err = e.Inventory(); err != nil {
			return false, err.Error()
		}
		left := Unsettled(inv, ids...)
		return len(left) == 0, strings.Join(left, "; ")
	})
	return inv, err
}

// WaitCloudSettled is WaitSettled for the whole account.
func (e *Emulator) WaitCloudSettled(ctx context.Context, timeout time.Duration) (ensemulator.Inventory, error) {
	return e.WaitSettled(ctx, timeout)
}
