package soak

import (
	"fmt"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// The fixed universe the random workload moves in. Everything is chosen so
// that every state the workload can reach is legal (SPEC.md): user ELBs in
// the right region and network, no Local Service on a shared user ELB, one
// force-override Service, disjoint listener ports per user-managed Service,
// and no managed Service ever named where a user's ELB or EIP squats.

const (
	clusterID = "soak-cluster"
	managerNS = "edge-controller-manager"
	managerSA = "edge-controller-manager"
	// The controller calls ENS with the emulator's default AccessKey; the
	// user of the console has a second one.
	userKeyID     = "soak-console-user"
	userKeySecret = "soak-console-secret"
	// soakLabel marks every object the workload creates.
	soakLabel = "soak.edge-controller-manager/run"
	appLabel  = "soak-app"
)

var controllerKeyID = ensemulator.DefaultAccessKeyID

// site is an ENS region with its network and vSwitch.
type site struct{ name, region, network, vswitch string }

var (
	hefei   = site{"hefei", "cn-hefei-cmcc-2", "n-hefei", "vsw-hefei-1"}
	chengdu = site{"chengdu", "cn-chengdu-telecom-4", "n-chengdu", "vsw-chengdu-1"}
	sites   = []site{hefei, chengdu}
)

// poolDef is a NodePool the workload may use. Static pools always exist
// and carry soak-site (the only label user-managed selectors use, so a
// user-managed Service never has two pools in one region); the others are
// created and deleted.
type poolDef struct {
	name   string
	site   site
	static bool
}

var poolDefs = []poolDef{
	{"np-hefei", hefei, true}, {"np-chengdu", chengdu, true},
	{"np-soak-a", hefei, false}, {"np-soak-b", chengdu, false}, {"np-soak-c", hefei, false},
}

func poolByName(name string) poolDef {
	for _, p := range poolDefs {
		if p.name == name {
			return p
		}
	}
	panic("unknown pool " + name)
}

// nodeDef is a kwok node. rack is its soak-rack label ("-" for none);
// byProviderID maps it to its instance through spec.providerID instead of
// the label. edge-stray sits in np-hefei but its instance is in Chengdu,
// edge-hefei-4's instance is Stopped: neither may ever be a backend.
type nodeDef struct {
	name, pool, instance, ip, rack string
	byProviderID                   bool
	// pools it may move between (none: it stays)
	moves []string
}

var nodeDefs = []nodeDef{
	{name: "edge-hefei-1", pool: "np-hefei", instance: "i-hefei-1", ip: "10.1.0.11", rack: "r1"},
	{name: "edge-hefei-2", pool: "np-hefei", instance: "i-hefei-2", ip: "10.1.0.12", rack: ""},
	{name: "edge-hefei-3", pool: "np-soak-a", instance: "i-hefei-3", ip: "10.1.0.13", rack: "-", moves: []string{"np-soak-a", "np-hefei", "np-soak-c"}},
	{name: "edge-hefei-4", pool: "np-hefei", instance: "i-hefei-4", ip: "10.1.0.14", rack: "r1"},
	{name: "edge-chengdu-1", pool: "np-chengdu", instance: "i-chengdu-1", ip: "10.2.0.11", rack: "r1"},
	{name: "edge-chengdu-2", pool: "np-chengdu", instance: "i-chengdu-2", ip: "10.2.0.12", rack: "r2"},
	{name: "edge-chengdu-3", pool: "np-soak-b", instance: "i-chengdu-3", ip: "10.2.0.13", rack: "", byProviderID: true,
		moves: []string{"np-soak-b", "np-chengdu"}},
	{name: "edge-stray", pool: "np-hefei", instance: "i-chengdu-4", ip: "10.2.0.14", rack: "r1"},
}

// soakInventory is the emulator's default account plus the instances of
// the extra nodes.
func soakInventory() ensemulator.Inventory {
	inv := ensemulator.DefaultInventory()
	add := func(id string, s site, ip, status string) {
		inv.Instances = append(inv.Instances, ensemulator.Instance{ID: id, Name: id, RegionID: s.region,
			NetworkID: s.network, VSwitchID: s.vswitch, Status: status, PrivateIP: ip})
	}
	add("i-hefei-3", hefei, "10.1.0.13", "Running")
	add("i-hefei-4", hefei, "10.1.0.14", "Stopped")
	add("i-chengdu-3", chengdu, "10.2.0.13", "Running")
	add("i-chengdu-4", chengdu, "10.2.0.14", "Running")
	for _, s := range sites {
		for i, id := range foreignInstances[s.name] {
			add(id, s, fmt.Sprintf("%s.0.%d", s.ipPrefix(), 91+i), "Running")
		}
	}
	return inv
}

func (s site) ipPrefix() string {
	if s == chengdu {
		return "10.2"
	}
	return "10.1"
}

// foreignInstances are Running instances that are no node of this cluster
// (a person's VM, another cluster's node). The user adds them by hand as
// backends of their ELBs; the controller must never remove or re-weight
// them.
var foreignInstances = map[string][]string{
	"hefei":   {"i-hefei-vm1", "i-hefei-other-cluster"},
	"chengdu": {"i-chengdu-vm1", "i-chengdu-other-cluster"},
}

// handPortBase..handPortBase+9 are the ports of the listeners the user
// makes by hand on their ELBs that no Service of this cluster ever asks
// for: the controller must never touch them, force-override or not.
const handPortBase = 9900

// slot is one Service name the workload creates, edits and deletes.
// User-managed slots use only ports portBase..portBase+9 (no two Services
// ever claim a port on a shared ELB) and bind each site to one user ELB.
type slot struct {
	ns, name string
	user     bool
	portBase int
	// localOK: the slot may use Local policy (its user ELBs are its own).
	localOK bool
	force   bool
	// switchable: the slot's Service is managed or user-managed (svcSpec.User);
	// it uses its port range and userSelectors in both modes, so a switch
	// keeps the pools it serves.
	switchable bool
	elb        map[string]string // site name → userELB key
}

// userLike: the slot may be user-managed (its ports are its range, its
// selectors userSelectors).
func (s slot) userLike() bool { return s.user || s.switchable }

var slots = []slot{
	{ns: "soak-a", name: "m1", localOK: true}, {ns: "soak-a", name: "m2", localOK: true}, {ns: "soak-a", name: "m3", localOK: true},
	{ns: "soak-b", name: "m1", localOK: true}, {ns: "soak-b", name: "m5", localOK: true}, {ns: "soak-b", name: "m6", localOK: true},
	{ns: "soak-a", name: "u1", user: true, portBase: 8100, elb: map[string]string{"hefei": "squatter", "chengdu": "chengdu-shared"}},
	{ns: "soak-a", name: "u2", user: true, portBase: 8110, elb: map[string]string{"hefei": "hefei-shared", "chengdu": "chengdu-shared"}},
	{ns: "soak-b", name: "u3", user: true, portBase: 8120, localOK: true, elb: map[string]string{"hefei": "hefei-own", "chengdu": "chengdu-own"}},
	{ns: "soak-b", name: "u4", user: true, portBase: 8130, force: true, elb: map[string]string{"hefei": "hefei-shared", "chengdu": "chengdu-shared"}},
	{ns: "soak-a", name: "s1", switchable: true, portBase: 8140, localOK: true, elb: map[string]string{"hefei": "hefei-switch", "chengdu": "chengdu-switch"}},
}

// switchSlot is the index of the slot that switches managed → user-managed.
func switchSlot() int {
	for i, s := range slots {
		if s.switchable {
			return i
		}
	}
	panic("no switchable slot")
}

var namespaces = []string{"soak-a", "soak-b"}

// forceSlot is the one force-override Service; the user makes listeners by
// hand on its ports of its hefei ELB.
func forceSlot() slot {
	for _, s := range slots {
		if s.force {
			return s
		}
	}
	panic("no force-override slot")
}

// userELBDef is an ELB the user makes in the console with their own
// AccessKey, optionally with an EIP bound to it. "squatter" is named like
// one of ours, for u1's hefei pool, with an EIP of that name too.
type userELBDef struct {
	key, name string
	site      site
	eipName   string // "" = no EIP
}

func userELBDefs() []userELBDef {
	ours := fmt.Sprintf("k8s/u1/soak-a/np-hefei/%s", clusterID)
	return []userELBDef{
		{key: "hefei-shared", name: "soak-user-hefei-shared", site: hefei, eipName: "soak-user-hefei-shared"},
		{key: "chengdu-shared", name: "soak-user-chengdu-shared", site: chengdu},
		{key: "hefei-own", name: "soak-user-hefei-own", site: hefei, eipName: "soak-user-hefei-own"},
		{key: "chengdu-own", name: "soak-user-chengdu-own", site: chengdu},
		{key: "hefei-switch", name: "soak-user-hefei-switch", site: hefei, eipName: "soak-user-hefei-switch"},
		{key: "chengdu-switch", name: "soak-user-chengdu-switch", site: chengdu},
		{key: "squatter", name: ours, site: hefei, eipName: ours},
	}
}

// releasableELBs are the user ELBs the user may release (and replace):
// all but the squatter, which stays to prove the sweep keeps it.
func releasableELBs() []string {
	var out []string
	for _, d := range userELBDefs() {
		if d.key != "squatter" {
			out = append(out, d.key)
		}
	}
	return out
}

func userELBByKey(key string) userELBDef {
	for _, d := range userELBDefs() {
		if d.key == key {
			return d
		}
	}
	panic("unknown user ELB " + key)
}

// ghostName is a squatter name for a Service that never exists (or for
// another cluster): the controller must never release what carries it.
func ghostName(n int, s site, cluster string) string {
	pool := "np-hefei"
	if s == chengdu {
		pool = "np-chengdu"
	}
	return fmt.Sprintf("k8s/ghost-%d/soak-a/%s/%s", n, pool, cluster)
}

// Selectors. Managed Services select on tier/zone/all, which the workload
// relabels; user-managed ones only on soak-site, which static pools carry
// and nothing relabels.
var (
	managedSelectors = []string{"soak-tier=gold", "soak-tier in (gold,silver)", "soak-zone=east", "soak-zone",
		"soak-tier=gold,soak-zone=west", "soak-all=yes", "soak-tier!=gold,soak-all=yes"}
	userSelectors = []string{"soak-site=hefei", "soak-site=chengdu", "soak-site in (hefei,chengdu)"}
	tiers         = []string{"", "gold", "silver"}
	zones         = []string{"", "east", "west"}
	backendLabels = []string{"", "", "", "soak-rack=r1", "soak-rack="}
	schedulers    = []string{"", "rr", "wrr", "wlc"}
	bandwidths    = []int{0, 0, 5, 20, 50, 100}
	managedPorts  = []int32{80, 443, 53, 8080, 8443, 9000, 5000, 7000}
)

// poolLabels: soak-all on every pool, soak-site on static ones only,
// tier and zone as the model says (absent when empty).
func poolLabels(p poolDef, st *poolState) map[string]string {
	l := map[string]string{"soak-all": "yes", soakLabel: "true"}
	if p.static {
		l["soak-site"] = p.site.name
	}
	if st.tier != "" {
		l["soak-tier"] = st.tier
	}
	if st.zone != "" {
		l["soak-zone"] = st.zone
	}
	return l
}
