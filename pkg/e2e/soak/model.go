package soak

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// model is what the workload believes it asked for. Ops are drawn from the
// seeded generator and this model only, never from what the cluster
// answers, so one seed always gives the same op sequence.
type model struct {
	rng      *rand.Rand
	seq      int
	services []*svcSpec // by slot index; nil = deleted
	pools    map[string]*poolState
	nodes    map[string]*nodeState
	pods     [][]podRef // by slot index
}

type poolState struct {
	exists     bool
	tier, zone string
}

type nodeState struct {
	ready bool
	pool  string
}

type podRef struct{ name, node string }

// svcSpec is the part of a Service the workload decides.
type svcSpec struct {
	// User: user-managed (always for a user slot, never for a managed one,
	// either for the switchable one).
	User         bool
	Selector     string // "" = no selector annotation
	Local        bool
	Ports        []portSpec
	Intranet     bool
	Bandwidth    int // 0 = no annotation
	BackendLabel string
	Scheduler    string
}

type portSpec struct {
	Port int32
	UDP  bool
}

func (s *svcSpec) String() string {
	var ports []string
	for _, p := range s.Ports {
		proto := "tcp"
		if p.UDP {
			proto = "udp"
		}
		ports = append(ports, fmt.Sprintf("%d/%s", p.Port, proto))
	}
	policy := "Cluster"
	if s.Local {
		policy = "Local"
	}
	out := fmt.Sprintf("sel=%q %s ports=%s intranet=%v bw=%d backend=%q sched=%q",
		s.Selector, policy, strings.Join(ports, ","), s.Intranet, s.Bandwidth, s.BackendLabel, s.Scheduler)
	if s.User {
		out += " user-managed"
	}
	return out
}

func (s *svcSpec) clone() *svcSpec {
	c := *s
	c.Ports = slices.Clone(s.Ports)
	return &c
}

func newModel(seed uint64) *model {
	m := &model{rng: rand.New(rand.NewPCG(seed, 0x50a4)), pools: map[string]*poolState{}, nodes: map[string]*nodeState{},
		services: make([]*svcSpec, len(slots)), pods: make([][]podRef, len(slots))}
	for _, p := range poolDefs {
		m.pools[p.name] = &poolState{exists: p.static, tier: m.pick(tiers), zone: m.pick(zones)}
	}
	for _, n := range nodeDefs {
		m.nodes[n.name] = &nodeState{ready: true, pool: n.pool}
	}
	return m
}

func (m *model) pick(from []string) string { return from[m.rng.IntN(len(from))] }

func (m *model) chance(p float64) bool { return m.rng.Float64() < p }

func (m *model) next() int { m.seq++; return m.seq }

// randomSpec is a fresh legal spec for a slot; the switchable slot keeps
// the mode of cur (a live Service changes mode only by genSwitch), a new
// one is either.
func (m *model) randomSpec(sl slot, cur *svcSpec) *svcSpec {
	s := &svcSpec{User: sl.user}
	if sl.switchable {
		s.User = m.chance(0.5)
		if cur != nil {
			s.User = cur.User
		}
	}
	if s.User {
		s.Selector = m.pick(userSelectors)
		s.Local = sl.localOK && m.chance(0.5)
		s.Ports = m.userPorts(sl)
		return s
	}
	s.Selector = m.pick(managedSelectors)
	s.Local = m.chance(0.5)
	s.Ports = m.managedPorts()
	if sl.switchable {
		s.Selector, s.Ports = m.pick(userSelectors), m.userPorts(sl)
	}
	m.managedFields(s)
	return s
}

// managedFields draws what only a managed Service has.
func (m *model) managedFields(s *svcSpec) {
	s.Intranet = m.chance(0.25)
	s.Bandwidth = bandwidths[m.rng.IntN(len(bandwidths))]
	s.BackendLabel = m.pick(backendLabels)
	s.Scheduler = m.pick(schedulers)
}

// managedPorts: one to three distinct ports, a third of them UDP.
func (m *model) managedPorts() []portSpec {
	n := 1 + m.rng.IntN(3)
	perm := m.rng.Perm(len(managedPorts))[:n]
	var out []portSpec
	for _, i := range perm {
		out = append(out, portSpec{Port: managedPorts[i], UDP: m.chance(0.33)})
	}
	return out
}

// userPorts: one or two ports in the slot's own range.
func (m *model) userPorts(sl slot) []portSpec {
	n := 1 + m.rng.IntN(2)
	perm := m.rng.Perm(10)[:n]
	var out []portSpec
	for _, i := range perm {
		out = append(out, portSpec{Port: int32(sl.portBase + i), UDP: m.chance(0.25)})
	}
	return out
}

// edit changes one aspect of a spec, legally for the slot.
func (m *model) edit(sl slot, s *svcSpec) (*svcSpec, string) {
	c := s.clone()
	aspects := []string{"selector", "selector", "policy", "ports", "ports", "no-selector"}
	if !s.User {
		aspects = append(aspects, "address-type", "bandwidth", "backend-label", "scheduler")
	}
	aspect := m.pick(aspects)
	switch aspect {
	case "selector":
		c.Selector = m.pick(managedSelectors)
		if sl.userLike() {
			c.Selector = m.pick(userSelectors)
		}
	case "no-selector":
		c.Selector = ""
	case "policy":
		c.Local = sl.localOK && !c.Local
	case "ports":
		c.Ports = m.managedPorts()
		if sl.userLike() {
			c.Ports = m.userPorts(sl)
		}
	case "address-type":
		c.Intranet = !c.Intranet
	case "bandwidth":
		c.Bandwidth = bandwidths[m.rng.IntN(len(bandwidths))]
	case "backend-label":
		c.BackendLabel = m.pick(backendLabels)
	case "scheduler":
		c.Scheduler = m.pick(schedulers)
	}
	return c, aspect
}

// podsOf lists the model's pods of a slot.
func (m *model) podsOf(i int) []podRef { return m.pods[i] }

// existingPools lists the pools the model has created, sorted.
func (m *model) existingPools() []string {
	var out []string
	for _, p := range poolDefs {
		if m.pools[p.name].exists {
			out = append(out, p.name)
		}
	}
	return out
}
