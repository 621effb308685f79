package ensemulator

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Status strings of the resources.
const (
	lbActive       = "Active"
	lbInActive     = "InActive"
	lbCreating     = "Creating"
	listenerRun    = "Running"
	listenerStop   = "Stopped"
	eipAvailable   = "Available"
	eipInUse       = "InUse"
	eipTypeELB     = "SlbInstance"
	instRunning    = "Running"
	backendTypeENS = "ens"
)

// store is the live inventory, indexed by id. Callers hold Emulator.mu.
type store struct {
	regions   map[string]*Region
	networks  map[string]*Network
	vswitches map[string]string // vSwitch id → network id
	instances map[string]*Instance
	lbs       map[string]*LoadBalancer
	eips      map[string]*EIP
	released  []Released
	tokens    map[tokenKey]*ClientToken
	// transitions counts listeners and EIPs with a pending SettleAt, so
	// that settle costs nothing when there are none.
	transitions int
}

// newStore indexes an inventory and checks that its references hold.
func newStore(inv Inventory) (*store, error) {
	s := &store{
		regions: map[string]*Region{}, networks: map[string]*Network{}, vswitches: map[string]string{},
		instances: map[string]*Instance{}, lbs: map[string]*LoadBalancer{}, eips: map[string]*EIP{},
	}
	inv = cloneInventory(inv)
	s.released, s.tokens = inv.Released, map[tokenKey]*ClientToken{}
	for i := range inv.ClientTokens {
		t := &inv.ClientTokens[i]
		s.tokens[tokenKey{t.Action, t.Token}] = t
	}
	steps := []func(*Inventory) error{s.addRegions, s.addNetworks, s.addInstances, s.addLoadBalancers, s.addEIPs}
	for _, step := range steps {
		if err := step(&inv); err != nil {
			return nil, fmt.Errorf("inventory: %w", err)
		}
	}
	return s, nil
}

func (s *store) addRegions(inv *Inventory) error {
	for i := range inv.Regions {
		r := &inv.Regions[i]
		if r.ID == "" || s.regions[r.ID] != nil {
			return fmt.Errorf("region id %q empty or duplicate", r.ID)
		}
		s.regions[r.ID] = r
	}
	return nil
}

func (s *store) addNetworks(inv *Inventory) error {
	for i := range inv.Networks {
		n := &inv.Networks[i]
		if n.ID == "" || s.networks[n.ID] != nil {
			return fmt.Errorf("network id %q empty or duplicate", n.ID)
		}
		if s.regions[n.RegionID] == nil {
			return fmt.Errorf("network %s: unknown region %q", n.ID, n.RegionID)
		}
		for _, v := range n.VSwitches {
			if v.ID == "" || s.vswitches[v.ID] != "" {
				return fmt.Errorf("vSwitch id %q empty or duplicate", v.ID)
			}
			s.vswitches[v.ID] = n.ID
		}
		s.networks[n.ID] = n
	}
	return nil
}

func (s *store) addInstances(inv *Inventory) error {
	for i := range inv.Instances {
		in := &inv.Instances[i]
		if in.ID == "" || s.instances[in.ID] != nil {
			return fmt.Errorf("instance id %q empty or duplicate", in.ID)
		}
		if err := s.checkPlacement(in.RegionID, in.NetworkID, in.VSwitchID); err != nil {
			return fmt.Errorf("instance %s: %s", in.ID, err.Message)
		}
		if in.Status == "" {
			in.Status = instRunning
		}
		s.instances[in.ID] = in
	}
	return nil
}

func (s *store) addLoadBalancers(inv *Inventory) error {
	for i := range inv.LoadBalancers {
		lb := &inv.LoadBalancers[i]
		if lb.ID == "" || s.lbs[lb.ID] != nil {
			return fmt.Errorf("load balancer id %q empty or duplicate", lb.ID)
		}
		if err := s.checkPlacement(lb.RegionID, lb.NetworkID, lb.VSwitchID); err != nil {
			return fmt.Errorf("load balancer %s: %s", lb.ID, err.Message)
		}
		lb.Status = cmp.Or(lb.Status, lbActive)
		lb.Spec = cmp.Or(lb.Spec, "elb.s2.small")
		for j := range lb.Listeners {
			lb.Listeners[j].Protocol = strings.ToUpper(lb.Listeners[j].Protocol)
			lb.Listeners[j].Status = cmp.Or(lb.Listeners[j].Status, listenerStop)
			if lb.Listeners[j].SettleAt != nil {
				s.transitions++
			}
		}
		s.transitions += len(lb.Releasing)
		s.lbs[lb.ID] = lb
	}
	return nil
}

func (s *store) addEIPs(inv *Inventory) error {
	for i := range inv.EIPs {
		e := &inv.EIPs[i]
		if e.ID == "" || s.eips[e.ID] != nil {
			return fmt.Errorf("EIP id %q empty or duplicate", e.ID)
		}
		if s.regions[e.RegionID] == nil {
			return fmt.Errorf("EIP %s: unknown region %q", e.ID, e.RegionID)
		}
		if e.InstanceID != "" && s.lbs[e.InstanceID] == nil {
			return fmt.Errorf("EIP %s: bound to unknown load balancer %q", e.ID, e.InstanceID)
		}
		if e.SettleAt != nil {
			// A saved state caught mid-transition: keep it, settle it later.
			s.transitions++
		} else {
			e.Status = eipAvailable
			if e.InstanceID != "" {
				e.Status, e.InstanceType = eipInUse, eipTypeELB
			}
		}
		s.eips[e.ID] = e
	}
	return nil
}

// checkPlacement checks that a region, network and vSwitch exist and nest.
func (s *store) checkPlacement(region, network, vsw string) *apiError {
	if s.regions[region] == nil {
		return invalidParam("The EnsRegionId %q does not exist.", region)
	}
	n := s.networks[network]
	if n == nil {
		return invalidParam("The NetworkId %q does not exist.", network)
	}
	if n.RegionID != region {
		return invalidParam("The network %s is in region %s, not %s.", network, n.RegionID, region)
	}
	if s.vswitches[vsw] != network {
		return invalidParam("The VSwitchId %q does not exist in network %s.", vsw, network)
	}
	return nil
}

// snapshot is a deep copy of the store in a stable order.
func (s *store) snapshot() Inventory {
	inv := Inventory{
		Regions: collect(s.regions), Networks: collect(s.networks), Instances: collect(s.instances),
		LoadBalancers: collect(s.lbs), EIPs: collect(s.eips), Released: s.released, ClientTokens: sortedTokens(s.tokens),
	}
	slices.SortFunc(inv.Regions, func(a, b Region) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(inv.Networks, func(a, b Network) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(inv.Instances, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(inv.LoadBalancers, func(a, b LoadBalancer) int { return byCreation(a.CreateTime, b.CreateTime, a.ID, b.ID) })
	slices.SortFunc(inv.EIPs, func(a, b EIP) int { return byCreation(a.CreateTime, b.CreateTime, a.ID, b.ID) })
	return cloneInventory(inv)
}

func collect[T any](m map[string]*T) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, *v)
	}
	return out
}

func byCreation(ta, tb time.Time, a, b string) int {
	return cmp.Or(ta.Compare(tb), strings.Compare(a, b))
}

// cloneInventory deep-copies an inventory through JSON: simple, and it
// is exactly the persisted form.
func cloneInventory(inv Inventory) Inventory {
	raw, err := json.Marshal(inv)
	if err != nil {
		panic(fmt.Sprintf("ensemulator: marshal inventory: %v", err))
	}
	var out Inventory
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(fmt.Sprintf("ensemulator: unmarshal inventory: %v", err))
	}
	return out
}

// loadState reads a state file; a missing file is not an error.
func loadState(path string) (*Inventory, error) {
	inv, err := LoadInventoryFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &inv, nil
}

// saveState writes the inventory atomically: a temporary file renamed
// over the old one, so a crash never leaves half a state file.
func saveState(path string, inv Inventory) error {
	raw, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
