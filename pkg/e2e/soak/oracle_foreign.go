package soak

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// CloudCall is one mutating ENS call (the soak's call recorder sees every
// call the managers make).
type CloudCall struct {
	At        time.Time
	Action    string
	AccessKey string
	Params    map[string]string
	Status    int // 0: no answer (the emulator was down)
	Code      string
}

// UserLedger is what the console user made and expects to find as they
// left it: their ELBs (not released by them), their EIPs with bandwidth
// and binding, the listeners they made by hand that no Service of this
// cluster may take (on ports no Service of ours ever asks for), and the
// backends they added of instances that are not this cluster's nodes. An
// entry whose last change the user could not confirm (every retry failed)
// is left out: the ledger only states what is certain.
type UserLedger struct {
	LoadBalancers []UserLB
	EIPs          []UserEIP
	Listeners     []UserListener
	Backends      []UserBackend
}

type UserLB struct{ ID, Name string }

type UserEIP struct {
	ID        string
	Bandwidth int
	// BoundTo is the ELB the user bound it to ("" = unbound).
	BoundTo string
}

type UserListener struct {
	LB          string
	Port        int
	Protocol    string
	BackendPort int
	Description string
}

type UserBackend struct {
	LB       string
	ServerID string
	Port     int
	Weight   int
}

// foreignMutations: what the controller changed, or tried to change, of
// what another AccessKey created. Two sources, because each misses what
// the other sees:
//   - the calls: any mutating call with the controller's key that names a
//     foreign EIP, sets a foreign ELB's status, binds an EIP to a foreign
//     ELB, touches a ledger listener, or adds, removes or re-weights a
//     backend on a foreign ELB whose instance is not one of this cluster's
//     nodes — whatever it was answered (a refused call shows the intent, an
//     "applied, then error" one acted), and also when a later call undid it;
//   - the state: every ledger entry is still as the user left it (a change
//     made some other way than the calls above, or one the calls do not
//     name, e.g. a listener removed with its ELB).
//
// Releases are counted by foreignReleases; a release call on a foreign id
// that did not release it is counted here.
func (ix *index) foreignMutations() []Violation {
	return append(ix.foreignCalls(), ix.ledgerDrift()...)
}

// creators maps every ELB and EIP id the emulator knows, live or
// released, to its creator.
func (ix *index) creators() map[string]string {
	out := map[string]string{}
	c := &ix.w.Cloud
	for _, lb := range c.LoadBalancers {
		out[lb.ID] = lb.CreatedBy
	}
	for _, e := range c.EIPs {
		out[e.ID] = e.CreatedBy
	}
	for _, r := range c.Released {
		out[r.ID] = r.CreatedBy
	}
	return out
}

func (ix *index) foreignCalls() []Violation {
	creators := ix.creators()
	foreign := func(id string) bool {
		by, known := creators[id]
		return id != "" && known && by != ix.w.ControllerKey
	}
	releasedByUs := map[string]bool{}
	for _, r := range ix.w.Cloud.Released {
		if r.ReleasedBy == ix.w.ControllerKey {
			releasedByUs[r.ID] = true
		}
	}
	ours := ix.nodeInstances()
	protected := map[string]bool{}
	for _, l := range ix.w.User.Listeners {
		protected[listenerKey(l.LB, l.Port, l.Protocol)] = true
	}
	var out []Violation
	for _, c := range ix.w.Calls {
		if c.AccessKey != ix.w.ControllerKey {
			continue
		}
		p := c.Params
		add := func(id, what string) {
			out = append(out, Violation{Object: id, Problem: fmt.Sprintf("%s: %s (%s)", what, describeCall(c), answerOf(c))})
		}
		switch {
		case c.Action == "SetLoadBalancerStatus" && foreign(p["LoadBalancerId"]):
			add(p["LoadBalancerId"], "set the status of a foreign ELB")
		case c.Action == "ReleaseInstance" && foreign(p["InstanceId"]) && !releasedByUs[p["InstanceId"]]:
			add(p["InstanceId"], "tried to release a foreign resource")
		case c.Action == "AssociateEnsEipAddress" || c.Action == "UnAssociateEnsEipAddress" || c.Action == "ModifyEnsEipAddressAttribute":
			if foreign(p["AllocationId"]) {
				add(p["AllocationId"], "changed a foreign EIP")
			} else if c.Action == "AssociateEnsEipAddress" && foreign(p["InstanceId"]) {
				add(p["InstanceId"], "bound an EIP to a foreign ELB")
			}
		case strings.Contains(c.Action, "Listener") && foreign(p["LoadBalancerId"]):
			port, proto := listenerOfCall(c)
			if protected[listenerKey(p["LoadBalancerId"], port, proto)] || (proto == "" && ix.protectedPort(p["LoadBalancerId"], port)) {
				add(p["LoadBalancerId"], "touched a listener the user made")
			}
		case strings.HasSuffix(c.Action, "BackendServers") && foreign(p["LoadBalancerId"]):
			for _, id := range backendServerIDs(p["BackendServers"]) {
				if !ours[id] {
					add(p["LoadBalancerId"], "touched backend "+id+", not an instance of this cluster's nodes")
				}
			}
		}
	}
	return out
}

// ledgerDrift compares every ledger entry with the inventory.
func (ix *index) ledgerDrift() []Violation {
	var out []Violation
	add := func(id, problem string) { out = append(out, Violation{Object: id, Problem: problem}) }
	// Released by the controller: counted by foreignReleases; by the user
	// (a release the user could not confirm): theirs to do.
	released := map[string]bool{}
	for _, r := range ix.w.Cloud.Released {
		released[r.ID] = true
	}
	u := ix.w.User
	for _, want := range u.LoadBalancers {
		lb := ix.lbByID[want.ID]
		switch {
		case lb == nil && !released[want.ID]:
			add(want.ID, fmt.Sprintf("the user's ELB %q is gone", want.Name))
		case lb == nil:
		case lb.Name != want.Name || lb.Status != lbStatusActive:
			add(want.ID, fmt.Sprintf("the user's ELB is %q %s, the user left it %q %s", lb.Name, lb.Status, want.Name, lbStatusActive))
		}
	}
	eips := map[string]*ensemulator.EIP{}
	for i := range ix.w.Cloud.EIPs {
		eips[ix.w.Cloud.EIPs[i].ID] = &ix.w.Cloud.EIPs[i]
	}
	for _, want := range u.EIPs {
		e := eips[want.ID]
		switch {
		case e == nil && !released[want.ID]:
			add(want.ID, "the user's EIP is gone")
		case e == nil:
		case e.Bandwidth != want.Bandwidth || e.InstanceID != want.BoundTo:
			add(want.ID, fmt.Sprintf("the user's EIP has bandwidth %d on %q (%s), the user left it %d on %q",
				e.Bandwidth, e.InstanceID, e.Status, want.Bandwidth, want.BoundTo))
		}
	}
	for _, want := range u.Listeners {
		lb := ix.lbByID[want.LB]
		if lb == nil {
			continue // with its ELB (the ELB is judged above)
		}
		i := slices.IndexFunc(lb.Listeners, func(l ensemulator.Listener) bool {
			return l.Port == want.Port && strings.EqualFold(l.Protocol, want.Protocol)
		})
		switch {
		case i < 0:
			add(want.LB, fmt.Sprintf("the user's listener %s:%d is gone", want.Protocol, want.Port))
		case lb.Listeners[i].BackendServerPort != want.BackendPort || lb.Listeners[i].Description != want.Description:
			l := lb.Listeners[i]
			add(want.LB, fmt.Sprintf("the user's listener %s:%d is ->%d %q, the user left it ->%d %q",
				want.Protocol, want.Port, l.BackendServerPort, l.Description, want.BackendPort, want.Description))
		}
	}
	for _, want := range u.Backends {
		lb := ix.lbByID[want.LB]
		if lb == nil {
			continue
		}
		i := slices.IndexFunc(lb.Backends, func(b ensemulator.Backend) bool { return b.ServerID == want.ServerID && b.Port == want.Port })
		switch {
		case i < 0:
			add(want.LB, fmt.Sprintf("the user's backend %s port %d is gone", want.ServerID, want.Port))
		case lb.Backends[i].Weight != want.Weight:
			add(want.LB, fmt.Sprintf("the user's backend %s port %d has weight %d, the user left %d",
				want.ServerID, want.Port, lb.Backends[i].Weight, want.Weight))
		}
	}
	return out
}

// nodeInstances are the instances of this cluster's nodes (the soak never
// deletes a node, so the nodes at the end are every node there was).
func (ix *index) nodeInstances() map[string]bool {
	out := map[string]bool{}
	for i := range ix.w.Nodes {
		out[instanceOf(&ix.w.Nodes[i])] = true
	}
	return out
}

func (ix *index) protectedPort(lb string, port int) bool {
	return slices.ContainsFunc(ix.w.User.Listeners, func(l UserListener) bool { return l.LB == lb && l.Port == port })
}

func listenerKey(lb string, port int, proto string) string {
	return fmt.Sprintf("%s/%s:%d", lb, strings.ToUpper(proto), port)
}

// listenerOfCall is the port and protocol a listener call names: the
// protocol from the action (Create/Set…TCPListener…) or ListenerProtocol,
// "" when neither says.
func listenerOfCall(c CloudCall) (int, string) {
	var port int
	_, _ = fmt.Sscan(c.Params["ListenerPort"], &port)
	for _, proto := range []string{"HTTPS", "HTTP", "TCP", "UDP"} {
		if strings.Contains(c.Action, proto+"Listener") {
			return port, proto
		}
	}
	return port, strings.ToUpper(c.Params["ListenerProtocol"])
}

// backendServerIDs are the ServerIds of a BackendServers parameter (a
// string or a number each).
func backendServerIDs(raw string) []string {
	var list []map[string]any
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return []string{"<unparsable BackendServers " + raw + ">"}
	}
	var out []string
	for _, b := range list {
		out = append(out, fmt.Sprint(b["ServerId"]))
	}
	return out
}

func describeCall(c CloudCall) string {
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if k == "RegionId" {
			continue
		}
		parts = append(parts, k+"="+c.Params[k])
	}
	return fmt.Sprintf("%s %s %s", c.At.Format("15:04:05.000"), c.Action, strings.Join(parts, " "))
}

func answerOf(c CloudCall) string {
	switch {
	case c.Status == 0:
		return "no answer"
	case c.Code != "":
		return fmt.Sprintf("answered %d %s", c.Status, c.Code)
	}
	return fmt.Sprintf("answered %d", c.Status)
}
