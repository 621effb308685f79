package soak

import (
	"fmt"
	"strings"
)

// op is one workload action, drawn by the model.
type op struct {
	kind    string
	slot    int // index into slots, -1 when none
	spec    *svcSpec
	pool    string
	node    string
	add     []podRef
	drop    []podRef
	tier    string
	zone    string
	variant int
	port    int
	n       int
	detail  string
	// instance is a foreign instance (user-foreign-backend).
	instance string
}

func (o op) String() string {
	var b strings.Builder
	b.WriteString(o.kind)
	if o.slot >= 0 {
		fmt.Fprintf(&b, " %s/%s", slots[o.slot].ns, slots[o.slot].name)
	}
	for _, kv := range []struct{ k, v string }{{"pool", o.pool}, {"node", o.node}, {"what", o.detail}} {
		if kv.v != "" {
			fmt.Fprintf(&b, " %s=%s", kv.k, kv.v)
		}
	}
	if o.spec != nil {
		b.WriteString(" " + o.spec.String())
	}
	switch o.kind {
	case "pool-relabel", "pool-create":
		fmt.Fprintf(&b, " tier=%q zone=%q", o.tier, o.zone)
	case "endpoints":
		fmt.Fprintf(&b, " add=%v drop=%v", o.add, o.drop)
	case "ps-labels", "user-squatter":
		fmt.Fprintf(&b, " variant=%d n=%d", o.variant, o.n)
	case "user-hand-listener":
		fmt.Fprintf(&b, " port=%d", o.port)
	case "user-foreign-backend":
		fmt.Fprintf(&b, " instance=%s variant=%d port=%d weight=%d", o.instance, o.variant, o.port, o.n)
	case "user-protected-listener":
		fmt.Fprintf(&b, " port=%d variant=%d backend-port=%d", o.port, o.variant, o.n)
	case "user-release-ours", "user-elb-release":
		fmt.Fprintf(&b, " n=%d", o.n)
	}
	return b.String()
}

// opTable: what the workload does, and how often.
var opTable = []struct {
	weight int
	gen    func(*model) op
}{
	{6, (*model).genServiceApply},
	{14, (*model).genServiceEdit},
	{4, (*model).genServiceDelete},
	{6, (*model).genPoolRelabel},
	{4, (*model).genPoolToggle},
	{5, (*model).genNodeReady},
	{2, (*model).genNodeMove},
	{10, (*model).genEndpoints},
	{3, (*model).genPSDuplicate},
	{4, (*model).genPSLabels},
	{8, (*model).genUserAttach},
	{2, (*model).genHandListener},
	{2, (*model).genSquatter},
	{2, (*model).genSwitch},
	{3, (*model).genForeignBackend},
	{2, (*model).genProtectedListener},
	{1, (*model).genReleaseOurs},
	{1, (*model).genUserELBRelease},
}

// nextOp draws the next op and records its intent in the model.
func (m *model) nextOp() op {
	total := 0
	for _, e := range opTable {
		total += e.weight
	}
	r := m.rng.IntN(total)
	for _, e := range opTable {
		if r < e.weight {
			return e.gen(m)
		}
		r -= e.weight
	}
	panic("unreachable")
}

// bootstrap is the start of every run: two endpoints per slot, and most
// slots' Services.
func (m *model) bootstrap() []op {
	var out []op
	for i := range slots {
		out = append(out, m.endpointsFor(i, true), m.endpointsFor(i, true))
		if m.chance(0.7) {
			out = append(out, m.applyFor(i))
		}
	}
	return out
}

func (m *model) randomSlot() int { return m.rng.IntN(len(slots)) }

func (m *model) genServiceApply() op { return m.applyFor(m.randomSlot()) }

func (m *model) applyFor(i int) op {
	m.services[i] = m.randomSpec(slots[i], m.services[i])
	return op{kind: "service-apply", slot: i, spec: m.services[i]}
}

func (m *model) genServiceEdit() op {
	i := m.randomSlot()
	if m.services[i] == nil {
		return m.applyFor(i)
	}
	spec, aspect := m.edit(slots[i], m.services[i])
	m.services[i] = spec
	return op{kind: "service-apply", slot: i, spec: spec, detail: aspect}
}

func (m *model) genServiceDelete() op {
	i := m.randomSlot()
	m.services[i] = nil
	return op{kind: "service-delete", slot: i}
}

func (m *model) genPoolRelabel() op {
	pools := m.existingPools()
	p := poolByName(pools[m.rng.IntN(len(pools))])
	st := m.pools[p.name]
	st.tier, st.zone = m.pick(tiers), m.pick(zones)
	return op{kind: "pool-relabel", slot: -1, pool: p.name, tier: st.tier, zone: st.zone}
}

func (m *model) genPoolToggle() op {
	var dynamic []poolDef
	for _, p := range poolDefs {
		if !p.static {
			dynamic = append(dynamic, p)
		}
	}
	p := dynamic[m.rng.IntN(len(dynamic))]
	st := m.pools[p.name]
	st.exists = !st.exists
	if !st.exists {
		return op{kind: "pool-delete", slot: -1, pool: p.name}
	}
	st.tier, st.zone = m.pick(tiers), m.pick(zones)
	return op{kind: "pool-create", slot: -1, pool: p.name, tier: st.tier, zone: st.zone}
}

func (m *model) genNodeReady() op {
	n := nodeDefs[m.rng.IntN(len(nodeDefs))]
	st := m.nodes[n.name]
	st.ready = !st.ready
	if st.ready {
		return op{kind: "node-ready", slot: -1, node: n.name}
	}
	return op{kind: "node-notready", slot: -1, node: n.name}
}

func (m *model) genNodeMove() op {
	var movable []nodeDef
	for _, n := range nodeDefs {
		if len(n.moves) > 0 {
			movable = append(movable, n)
		}
	}
	n := movable[m.rng.IntN(len(movable))]
	to := n.moves[m.rng.IntN(len(n.moves))]
	m.nodes[n.name].pool = to
	return op{kind: "node-move", slot: -1, node: n.name, pool: to}
}

func (m *model) genEndpoints() op { return m.endpointsFor(m.randomSlot(), false) }

// endpointsFor adds a pod on a random node, drops one, or moves one.
func (m *model) endpointsFor(i int, addOnly bool) op {
	o := op{kind: "endpoints", slot: i}
	pods := m.pods[i]
	drop := !addOnly && len(pods) > 0 && (len(pods) >= 3 || m.chance(0.5))
	add := addOnly || len(pods) == 0 || !drop || m.chance(0.5)
	if drop {
		k := m.rng.IntN(len(pods))
		o.drop = []podRef{pods[k]}
		m.pods[i] = append(pods[:k:k], pods[k+1:]...)
	}
	if add {
		n := nodeDefs[m.rng.IntN(len(nodeDefs))]
		p := podRef{name: fmt.Sprintf("%s-%d", slots[i].name, m.next()), node: n.name}
		o.add = []podRef{p}
		m.pods[i] = append(m.pods[i], p)
	}
	return o
}

// liveSlot is a random slot whose Service the model has with a selector
// (so it likely has PoolServices), else any slot.
func (m *model) liveSlot() int {
	var live []int
	for i, s := range m.services {
		if s != nil && s.Selector != "" {
			live = append(live, i)
		}
	}
	if len(live) == 0 {
		return m.randomSlot()
	}
	return live[m.rng.IntN(len(live))]
}

func (m *model) genPSDuplicate() op {
	return op{kind: "ps-duplicate", slot: m.liveSlot(), pool: poolDefs[m.rng.IntN(len(poolDefs))].name, n: m.next()}
}

// genPSLabels: variant 0 points the pool label elsewhere, 1 the Service
// label, 2 removes managed-by, 3 adds a label of the user's.
func (m *model) genPSLabels() op {
	return op{kind: "ps-labels", slot: m.liveSlot(), pool: poolDefs[m.rng.IntN(len(poolDefs))].name,
		variant: m.rng.IntN(4), n: m.next()}
}

// genUserAttach: a user-managed slot (the switchable one while the model
// has it user-managed).
func (m *model) genUserAttach() op {
	var user []int
	for i, s := range slots {
		if s.user || (s.switchable && m.services[i] != nil && m.services[i].User) {
			user = append(user, i)
		}
	}
	return op{kind: "user-attach", slot: user[m.rng.IntN(len(user))]}
}

func (m *model) genHandListener() op {
	return op{kind: "user-hand-listener", slot: -1, port: forceSlot().portBase + m.rng.IntN(10)}
}

// genSquatter: variant 0 an ELB, 1 an EIP, named for a Service that never
// exists; variant 2 an ELB named for another cluster.
func (m *model) genSquatter() op {
	return op{kind: "user-squatter", slot: -1, variant: m.rng.IntN(3), n: m.next(), detail: sites[m.rng.IntN(len(sites))].name}
}

// genSwitch moves the switchable slot through its life: a new managed
// Service, then the managed → user-managed switch (the user's ELB is named
// on its PoolServices by a later user-attach; until then nothing may be
// served and the managed ELB and EIP must go), then its deletion, so that
// it can start again managed.
func (m *model) genSwitch() op {
	i := switchSlot()
	cur := m.services[i]
	switch {
	case cur == nil:
		s := m.randomSpec(slots[i], &svcSpec{})
		m.services[i] = s
		return op{kind: "service-apply", slot: i, spec: s, detail: "managed, to switch"}
	case !cur.User:
		s := cur.clone()
		s.User, s.Intranet, s.Bandwidth, s.BackendLabel, s.Scheduler = true, false, 0, "", ""
		m.services[i] = s
		return op{kind: "service-apply", slot: i, spec: s, detail: "managed-to-user"}
	default:
		m.services[i] = nil
		return op{kind: "service-delete", slot: i, detail: "user-managed, to start again managed"}
	}
}

// genForeignBackend: on one of the user's ELBs the user adds (or
// re-weights) a backend of an instance that is no node of this cluster,
// on port 0 or on the port of a listener of theirs (variant 0), or removes
// it (variant 1).
func (m *model) genForeignBackend() op {
	keys := releasableELBs()
	key := keys[m.rng.IntN(len(keys))]
	ids := foreignInstances[userELBByKey(key).site.name]
	return op{kind: "user-foreign-backend", slot: -1, detail: key, instance: ids[m.rng.IntN(len(ids))],
		variant: m.rng.IntN(2), port: []int{0, 0, 30999}[m.rng.IntN(3)], n: m.rng.IntN(101)}
}

// genProtectedListener: the user makes a listener by hand on a port no
// Service of ours uses, TCP (variant 0) or UDP (1), with backend port n
// (0: the first nodePort of a Service of ours on that ELB, as another
// cluster's Service or a person would pick by chance); or removes it
// again when it is there.
func (m *model) genProtectedListener() op {
	keys := releasableELBs()
	n := 0
	if m.chance(0.5) {
		n = 30000 + m.rng.IntN(2768)
	}
	return op{kind: "user-protected-listener", slot: -1, detail: keys[m.rng.IntN(len(keys))],
		port: handPortBase + m.rng.IntN(10), variant: m.rng.IntN(2), n: n}
}

// genReleaseOurs: the user releases by hand the n-th (by name) managed ELB
// of ours; the controller must make a new one (with a new ClientToken)
// and release nothing else.
func (m *model) genReleaseOurs() op {
	return op{kind: "user-release-ours", slot: -1, n: m.rng.IntN(1000)}
}

// genUserELBRelease: the user releases one of their ELBs (its EIP, if
// any, comes free) and makes a replacement, which later user-attach ops
// name instead; until then the PoolServices naming the released one must
// advertise nothing.
func (m *model) genUserELBRelease() op {
	keys := releasableELBs()
	return op{kind: "user-elb-release", slot: -1, detail: keys[m.rng.IntN(len(keys))], n: m.next()}
}
