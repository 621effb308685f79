package ensemulator_test

import (
	"fmt"
	"testing"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// lookupInventory has two ELBs and two EIPs sharing a name, an EIP on each
// ELB (one still unassociating) and an unbound one.
func lookupInventory() ensemulator.Inventory {
	return ensemulator.Inventory{
		Instances: []ensemulator.Instance{{ID: "i-1", PrivateIP: "10.0.0.1"}, {ID: "i-2", PrivateIP: "10.0.0.2"}},
		LoadBalancers: []ensemulator.LoadBalancer{
			{ID: "lb-1", Name: "twin", Address: "10.0.0.101"},
			{ID: "lb-2", Name: "solo", Address: "10.0.0.102"},
			{ID: "lb-3", Name: "twin", Address: "10.0.0.103"},
		},
		EIPs: []ensemulator.EIP{
			{ID: "eip-free", Name: "twin", Status: "Available"},
			{ID: "eip-1", Name: "twin", Status: "InUse", InstanceID: "lb-1"},
			{ID: "eip-3", Name: "going", Status: "Unassociating", InstanceID: "lb-3"},
		},
	}
}

func TestInventoryLookups(t *testing.T) {
	inv := lookupInventory()
	id := func(p any) string { // the found item's id, "<nil>" for none
		switch p := p.(type) {
		case *ensemulator.LoadBalancer:
			if p != nil {
				return p.ID
			}
		case *ensemulator.EIP:
			if p != nil {
				return p.ID
			}
		case *ensemulator.Instance:
			if p != nil {
				return p.ID
			}
		}
		return "<nil>"
	}
	ids := func(items any) string { // the ids of a slice, in order
		var out []string
		switch items := items.(type) {
		case []ensemulator.LoadBalancer:
			for _, x := range items {
				out = append(out, x.ID)
			}
		case []ensemulator.EIP:
			for _, x := range items {
				out = append(out, x.ID)
			}
		}
		return fmt.Sprint(out)
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"LoadBalancer found", id(inv.LoadBalancer("lb-2")), "lb-2"},
		{"LoadBalancer missing", id(inv.LoadBalancer("lb-9")), "<nil>"},
		{"LoadBalancer by name is not by id", id(inv.LoadBalancer("solo")), "<nil>"},
		{"LoadBalancersNamed all with the name, in order", ids(inv.LoadBalancersNamed("twin")), "[lb-1 lb-3]"},
		{"LoadBalancersNamed is exact, not a prefix", ids(inv.LoadBalancersNamed("tw")), "[]"},
		{"LoadBalancersNamed none is nil", fmt.Sprint(inv.LoadBalancersNamed("none") == nil), "true"},
		{"EIP found", id(inv.EIP("eip-3")), "eip-3"},
		{"EIP missing", id(inv.EIP("eip-9")), "<nil>"},
		{"EIPsNamed all with the name, bound or not", ids(inv.EIPsNamed("twin")), "[eip-free eip-1]"},
		{"EIPsNamed none", ids(inv.EIPsNamed("solo")), "[]"},
		{"EIPOn an InUse EIP", id(inv.EIPOn("lb-1")), "eip-1"},
		{"EIPOn an unassociating EIP", id(inv.EIPOn("lb-3")), "eip-3"},
		{"EIPOn an ELB without one", id(inv.EIPOn("lb-2")), "<nil>"},
		{"EIPOn no ELB is not the unbound EIP", id(inv.EIPOn("")), "<nil>"},
		{"Instance found", id(inv.Instance("i-2")), "i-2"},
		{"Instance missing", id(inv.Instance("i-9")), "<nil>"},
		{"lookups in an empty inventory", id(ensemulator.Inventory{}.LoadBalancer("lb-1")) + id(ensemulator.Inventory{}.EIP("eip-1")) +
			id(ensemulator.Inventory{}.Instance("i-1")) + ids(ensemulator.Inventory{}.EIPsNamed("twin")), "<nil><nil><nil>[]"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, tc.got, tc.want)
		}
	}
}

// The single-item lookups point into the inventory, so a seed is edited in
// place; the Named lookups return copies.
func TestInventoryLookupsShareTheInventory(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(inv ensemulator.Inventory)
		check func(inv ensemulator.Inventory) bool
	}{
		{"LoadBalancer edits the ELB",
			func(inv ensemulator.Inventory) { inv.LoadBalancer("lb-2").Status = "InActive" },
			func(inv ensemulator.Inventory) bool { return inv.LoadBalancers[1].Status == "InActive" }},
		{"EIP edits the EIP",
			func(inv ensemulator.Inventory) { inv.EIP("eip-free").Bandwidth = 50 },
			func(inv ensemulator.Inventory) bool { return inv.EIPs[0].Bandwidth == 50 }},
		{"EIPOn edits the bound EIP",
			func(inv ensemulator.Inventory) { inv.EIPOn("lb-1").Status = "Unassociating" },
			func(inv ensemulator.Inventory) bool { return inv.EIPs[1].Status == "Unassociating" }},
		{"Instance edits the instance",
			func(inv ensemulator.Inventory) { inv.Instance("i-2").Status = "Stopped" },
			func(inv ensemulator.Inventory) bool { return inv.Instances[1].Status == "Stopped" }},
		{"LoadBalancersNamed copies",
			func(inv ensemulator.Inventory) { inv.LoadBalancersNamed("solo")[0].Address = "changed" },
			func(inv ensemulator.Inventory) bool { return inv.LoadBalancers[1].Address == "10.0.0.102" }},
		{"EIPsNamed copies",
			func(inv ensemulator.Inventory) { inv.EIPsNamed("going")[0].Status = "InUse" },
			func(inv ensemulator.Inventory) bool { return inv.EIPs[2].Status == "Unassociating" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := lookupInventory()
			tc.edit(inv)
			if !tc.check(inv) {
				t.Errorf("inventory after the edit: %+v", inv)
			}
		})
	}
}
