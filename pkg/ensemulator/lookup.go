package ensemulator

// Lookups in an Inventory, for tests and tools that read the emulator's
// state (Emulator.Inventory, GET /admin/inventory, a state file) or edit a
// seed before starting it. They are linear scans: inventories are small.
//
// The single-item lookups return a pointer into inv's own slice, or nil
// when there is no such item, so that a test reading a field of a missing
// resource fails loudly and a test editing a seed edits it in place:
//
//	inv.LoadBalancer("lb-hefei-existing").Status = "InActive"

// LoadBalancer returns the ELB with the id, or nil.
func (inv Inventory) LoadBalancer(id string) *LoadBalancer {
	return firstWhere(inv.LoadBalancers, func(lb *LoadBalancer) bool { return lb.ID == id })
}

// LoadBalancersNamed returns (copies of) the ELBs named exactly name, in
// inventory order; ENS does not keep names unique.
func (inv Inventory) LoadBalancersNamed(name string) []LoadBalancer {
	return allWhere(inv.LoadBalancers, func(lb *LoadBalancer) bool { return lb.Name == name })
}

// EIP returns the EIP with the id, or nil.
func (inv Inventory) EIP(id string) *EIP {
	return firstWhere(inv.EIPs, func(e *EIP) bool { return e.ID == id })
}

// EIPsNamed returns (copies of) the EIPs named exactly name, in inventory
// order.
func (inv Inventory) EIPsNamed(name string) []EIP {
	return allWhere(inv.EIPs, func(e *EIP) bool { return e.Name == name })
}

// EIPOn returns the EIP associated with the ELB lbID, or nil. An EIP that is
// still Associating or Unassociating counts: it carries the ELB's id until
// it settles.
func (inv Inventory) EIPOn(lbID string) *EIP {
	if lbID == "" {
		return nil // an unbound EIP has InstanceID ""
	}
	return firstWhere(inv.EIPs, func(e *EIP) bool { return e.InstanceID == lbID })
}

// Instance returns the ENS instance with the id, or nil.
func (inv Inventory) Instance(id string) *Instance {
	return firstWhere(inv.Instances, func(in *Instance) bool { return in.ID == id })
}

// firstWhere points at the first item that matches, or is nil.
func firstWhere[T any](items []T, match func(*T) bool) *T {
	for i := range items {
		if match(&items[i]) {
			return &items[i]
		}
	}
	return nil
}

// allWhere copies the items that match, in order; nil when none does.
func allWhere[T any](items []T, match func(*T) bool) []T {
	var out []T
	for i := range items {
		if match(&items[i]) {
			out = append(out, items[i])
		}
	}
	return out
}
