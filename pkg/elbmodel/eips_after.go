package elbmodel

import "github.com/edge-lb/edge-controller-manager/pkg/cloud"

// EIPChanges are what running a plan did to EIPs.
type EIPChanges struct {
	// Associated is, per allocation id, the ELB an EIP action just bound it
	// to ("" when it unbound it).
	Associated map[string]string
	// Released are the EIPs just released.
	Released map[string]bool
	// Created is the EIP the plan created, as read back after it was bound
	// (nil when there is none or the read failed).
	Created *cloud.EIP
}

// Associate notes that an EIP was bound to lbID ("" for unbound).
func (ch *EIPChanges) Associate(id, lbID string) {
	if ch.Associated == nil {
		ch.Associated = map[string]string{}
	}
	ch.Associated[id] = lbID
}

// Release notes that an EIP was released.
func (ch *EIPChanges) Release(id string) {
	if ch.Released == nil {
		ch.Released = map[string]bool{}
	}
	ch.Released[id] = true
}

// EIPsAfter are the EIPs read before the plan ran, as the plan left them:
// so that a status written in the same sync shows what it just did.
func EIPsAfter(before []cloud.EIP, ch EIPChanges) []cloud.EIP {
	out := make([]cloud.EIP, 0, len(before)+1)
	for _, e := range before {
		if ch.Released[e.AllocationID] {
			continue
		}
		if lbID, ok := ch.Associated[e.AllocationID]; ok {
			e.AssociatedInstanceID = lbID
		}
		out = append(out, e)
	}
	if e := ch.Created; e != nil && !ch.Released[e.AllocationID] {
		if lbID, ok := ch.Associated[e.AllocationID]; ok {
			e := *e
			e.AssociatedInstanceID = lbID
			out = append(out, e)
		}
	}
	return out
}
