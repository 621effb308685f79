package soak

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// sequence is the first n ops (after the bootstrap) of a seed, as the op log
// writes them.
func sequence(seed uint64, n int) []string {
	m := newModel(seed)
	var out []string
	for _, o := range m.bootstrap() {
		out = append(out, o.String())
	}
	for range n {
		out = append(out, m.nextOp().String())
	}
	return out
}

func TestOpSequenceIsReproducible(t *testing.T) {
	a, b := sequence(1, 3000), sequence(1, 3000)
	if !slices.Equal(a, b) {
		t.Fatal("two models with seed 1 drew different op sequences")
	}
	if c := sequence(2, 3000); slices.Equal(a, c) {
		t.Fatal("seeds 1 and 2 drew the same op sequence")
	}
	kinds := map[string]int{}
	for _, s := range a {
		kinds[strings.Fields(s)[0]]++
	}
	for _, e := range []string{"service-apply", "service-delete", "pool-relabel", "pool-create", "pool-delete", "node-ready",
		"node-notready", "node-move", "endpoints", "ps-duplicate", "ps-labels", "user-attach", "user-hand-listener", "user-squatter",
		"user-foreign-backend", "user-protected-listener", "user-release-ours", "user-elb-release"} {
		if kinds[e] == 0 {
			t.Errorf("3000 ops never do %s: %v", e, kinds)
		}
	}
	switches, attachesAfter := 0, 0
	for i, s := range a {
		if strings.Contains(s, "what=managed-to-user") {
			switches++
			// the user then names their ELB on the switched Service's PoolServices
			for _, later := range a[i+1:] {
				if strings.HasPrefix(later, "user-attach soak-a/s1") {
					attachesAfter++
					break
				}
			}
		}
	}
	if switches == 0 || attachesAfter == 0 {
		t.Errorf("3000 ops make %d managed → user-managed switches, %d followed by a user-attach of the switched slot", switches, attachesAfter)
	}
}

// TestWorkloadIsLegal: every Service spec the model draws is one the
// controller must serve (SPEC.md): user-managed Services stay in their own
// port range and select at most one pool per region, Local never on a
// shared user ELB, only valid annotation values.
func TestWorkloadIsLegal(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		m := newModel(seed)
		ops := m.bootstrap()
		for range 1000 {
			ops = append(ops, m.nextOp())
		}
		for _, o := range ops {
			if o.kind == "service-apply" {
				if err := legalSpec(slots[o.slot], o.spec); err != "" {
					t.Fatalf("seed %d: %s: %s", seed, o, err)
				}
			}
			if o.kind == "user-protected-listener" && (o.port < handPortBase || o.port >= handPortBase+10) {
				t.Fatalf("seed %d: %s: a listener by hand outside the hand ports", seed, o)
			}
		}
		if err := legalSwitches(ops); err != "" {
			t.Fatalf("seed %d: %s", seed, err)
		}
	}
}

// legalSwitches: a live Service of the switchable slot changes mode only
// managed → user-managed (the other way round goes through a deletion).
func legalSwitches(ops []op) string {
	i := switchSlot()
	var cur *svcSpec
	for _, o := range ops {
		if o.slot != i {
			continue
		}
		switch o.kind {
		case "service-delete":
			cur = nil
		case "service-apply":
			if cur != nil && cur.User && !o.spec.User {
				return fmt.Sprintf("%s: a live user-managed Service switched to managed", o)
			}
			if cur != nil && !cur.User && o.spec.User && o.detail != "managed-to-user" {
				return fmt.Sprintf("%s: switched by an op that is no switch", o)
			}
			cur = o.spec
		}
	}
	return ""
}

func legalSpec(sl slot, s *svcSpec) string {
	if s.User != sl.user && !sl.switchable {
		return "the mode of a slot that does not switch changed"
	}
	if s.User && (s.Intranet || s.Bandwidth != 0 || s.BackendLabel != "" || s.Scheduler != "") {
		return "a user-managed Service with managed-only annotations"
	}
	seen := map[int32]bool{}
	for _, p := range s.Ports {
		if seen[p.Port] {
			return "a port twice"
		}
		seen[p.Port] = true
		if sl.userLike() && (int(p.Port) < sl.portBase || int(p.Port) >= sl.portBase+10) {
			return "a user-managed port outside the slot's range"
		}
	}
	if len(s.Ports) == 0 {
		return "no ports"
	}
	if s.Local && !sl.localOK {
		return "Local on a shared user ELB"
	}
	if sl.userLike() && s.Selector != "" && !slices.Contains(userSelectors, s.Selector) {
		return "a user-managed selector that may match two pools in one region"
	}
	if !sl.userLike() && s.Selector != "" && !slices.Contains(managedSelectors, s.Selector) {
		return "an unknown selector"
	}
	if s.Bandwidth != 0 && (s.Bandwidth < 5 || s.Bandwidth > 10000) {
		return "bandwidth out of range"
	}
	return ""
}

// TestUniverseIsLegal: squatters named like ours only sit under
// user-managed Services (which name them) or Services that never exist;
// shared user ELBs have no Local Service; only static pools carry
// soak-site; user-managed port ranges do not overlap.
func TestUniverseIsLegal(t *testing.T) {
	slotNames := map[string]slot{}
	for _, s := range slots {
		slotNames[s.ns+"/"+s.name] = s
	}
	users := map[string][]slot{}
	for _, s := range slots {
		for _, key := range s.elb {
			users[key] = append(users[key], s)
		}
	}
	for _, d := range userELBDefs() {
		if strings.HasPrefix(d.name, "k8s/") {
			parts := strings.Split(d.name, "/")
			sl, ok := slotNames[parts[2]+"/"+parts[1]]
			if !ok || !sl.userLike() || sl.elb[d.site.name] != d.key {
				t.Errorf("user ELB %q is named for %s/%s, which is not a user-managed Service naming it", d.name, parts[2], parts[1])
			}
		}
		if len(users[d.key]) > 1 {
			for _, s := range users[d.key] {
				if s.localOK {
					t.Errorf("shared user ELB %s used by %s, which may be Local", d.key, s.name)
				}
			}
		}
	}
	for _, sl := range slots {
		if strings.HasPrefix(sl.name, "ghost") {
			t.Errorf("slot %s is named like the squatters", sl.name)
		}
		for _, other := range slots {
			if sl.userLike() && other.userLike() && sl.name != other.name && sl.portBase < other.portBase+10 && other.portBase < sl.portBase+10 {
				t.Errorf("port ranges of %s and %s overlap", sl.name, other.name)
			}
		}
		if sl.userLike() && sl.portBase < handPortBase+10 && handPortBase < sl.portBase+10 {
			t.Errorf("the port range of %s overlaps the hand ports", sl.name)
		}
	}
	for _, p := range managedPorts {
		if int(p) >= handPortBase && int(p) < handPortBase+10 {
			t.Errorf("managed port %d is a hand port", p)
		}
	}
	nodeInstances := map[string]bool{}
	for _, n := range nodeDefs {
		nodeInstances[n.instance] = true
	}
	inventory := map[string]bool{}
	for _, in := range soakInventory().Instances {
		inventory[in.ID] = true
	}
	for site, ids := range foreignInstances {
		for _, id := range ids {
			if nodeInstances[id] || !inventory[id] {
				t.Errorf("foreign instance %s of %s: a node's %v, in the inventory %v", id, site, nodeInstances[id], inventory[id])
			}
		}
	}
	for _, p := range poolDefs {
		labels := poolLabels(p, &poolState{tier: "gold", zone: "east"})
		if _, ok := labels["soak-site"]; ok != p.static {
			t.Errorf("pool %s: soak-site present %v, static %v", p.name, ok, p.static)
		}
	}
}
