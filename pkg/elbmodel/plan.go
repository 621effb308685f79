package elbmodel

import (
	"fmt"
	"slices"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// ActionType names one cloud mutation.
type ActionType string

// Action types, in the order a Plan runs them (RemoveBackends also runs
// after SetBackendWeights, for per-port entries replaced by port-0 ones).
const (
	CreateLoadBalancer ActionType = "CreateLoadBalancer"
	RemoveBackends     ActionType = "RemoveBackends"
	StopListener       ActionType = "StopListener"
	DeleteListener     ActionType = "DeleteListener"
	CreateListener     ActionType = "CreateListener"
	UpdateListener     ActionType = "UpdateListener"
	AddBackends        ActionType = "AddBackends"
	SetBackendWeights  ActionType = "SetBackendWeights"
	// DrainBackends sets backends to remove to weight 0 (connection drain);
	// RemoveBackends takes them off once Desired.Drain has passed.
	DrainBackends      ActionType = "DrainBackends"
	StartListener      ActionType = "StartListener"
	CreateEIP          ActionType = "CreateEIP"
	UnassociateEIP     ActionType = "UnassociateEIP"
	AssociateEIP       ActionType = "AssociateEIP"
	ModifyEIPBandwidth ActionType = "ModifyEIPBandwidth"
	ReleaseEIP         ActionType = "ReleaseEIP"
)

// Action is one step of a Plan.
type Action struct {
	Type     ActionType
	Listener cloud.Listener
	Backends []cloud.Backend
	// EIPID is the allocation id of the EIP acted on, unless CreatedEIP:
	// then it is the EIP the CreateEIP earlier in the same plan makes.
	EIPID      string
	CreatedEIP bool
	Bandwidth  int
}

func (a Action) String() string {
	switch a.Type {
	case StopListener, DeleteListener, CreateListener, UpdateListener, StartListener:
		return fmt.Sprintf("%s %s:%d->%d", a.Type, a.Listener.Protocol, a.Listener.Port, a.Listener.BackendPort)
	case RemoveBackends, AddBackends, SetBackendWeights, DrainBackends:
		return fmt.Sprintf("%s %d", a.Type, len(a.Backends))
	case UnassociateEIP, AssociateEIP, ReleaseEIP:
		if a.CreatedEIP {
			return fmt.Sprintf("%s (the new EIP)", a.Type)
		}
		return fmt.Sprintf("%s %s", a.Type, a.EIPID)
	case ModifyEIPBandwidth:
		return fmt.Sprintf("%s %s %d", a.Type, a.EIPID, a.Bandwidth)
	}
	return string(a.Type)
}

// Actual is what the cloud holds for one PoolService.
type Actual struct {
	// LoadBalancer is the ELB with its listeners (full attributes for the
	// ones named like ours) and backends; nil when there is none.
	LoadBalancer *cloud.LoadBalancer
	// EIPs are, when managed, the EIPs named exactly d.Name; when
	// user-managed, the EIPs associated with the ELB.
	EIPs []cloud.EIP
}

// Observed is what the controller read for one PoolService: the weight
// each candidate backend instance is needed with (this PoolService's needs
// and, on a shared user ELB, its sharers'), those instances as ENS reports
// them, and what the cloud holds.
type Observed struct {
	Needs     map[string]int
	Instances map[string]cloud.Instance
	Actual    Actual
	// Draining is, per instance, when its connection drain began (the
	// DrainBackends that set it to weight 0); Now is the time of the read.
	Draining map[string]time.Time
	Now      time.Time
}

// Plan is what to do about one PoolService's ELB: the desired state with
// its backends filled in, and the ordered actions that bring the actual
// state there.
type Plan struct {
	Desired Desired
	// LoadBalancerID is the ELB the actions act on; "" when the plan
	// creates it (CreateLoadBalancer).
	LoadBalancerID string
	Actions        []Action
	// Wait, when set, says which transitional cloud state blocks the rest.
	Wait *NotNow
	// Refused are requested changes that cannot be made (ELB attributes are
	// not updatable); reported as warnings, nothing is mutated for them.
	Refused []InputError
	// Skipped are needed instances left out of the backends.
	Skipped []Skipped
}

// Empty reports whether the plan mutates nothing.
func (p Plan) Empty() bool { return len(p.Actions) == 0 }

// NewPlan turns what was read into the plan: the EIP follows the ELB's
// region, the backends are the needed instances that can serve (in the
// ELB's region and network once it exists, else the pool's), and the diff
// is taken. Input problems (user ELB missing or in another region,
// listener conflicts) are an *InputError with no plan.
func NewPlan(d Desired, o Observed) (Plan, error) {
	lb := o.Actual.LoadBalancer
	followLoadBalancer(&d, lb)
	skipped := d.setBackends(o.Needs, o.Instances, backendNetwork(d, lb))
	p, err := diff(d, o)
	if err != nil {
		return Plan{}, err
	}
	p.Desired, p.Skipped = d, skipped
	return p, nil
}

// followLoadBalancer puts the managed EIP in the ELB's region: an ELB made
// before its pool's region annotation changed keeps its region, and its
// EIP must be there too.
func followLoadBalancer(d *Desired, lb *cloud.LoadBalancer) {
	if d.Managed && d.EIP != nil && lb != nil && lb.RegionID != "" {
		eip := *d.EIP
		eip.RegionID = lb.RegionID
		d.EIP = &eip
	}
}

// backendNetwork is where backends must be: the ELB's region and network
// once it exists, else the pool's.
func backendNetwork(d Desired, lb *cloud.LoadBalancer) Network {
	if lb == nil {
		return d.Network
	}
	return Network{RegionID: lb.RegionID, NetworkID: lb.NetworkID}
}

// Diff compares desired (backends filled in) and actual.
func Diff(d Desired, a Actual) (Plan, error) { return diff(d, Observed{Actual: a}) }

func diff(d Desired, o Observed) (Plan, error) {
	a := o.Actual
	lb := a.LoadBalancer
	if lb == nil {
		if !d.Managed {
			return Plan{}, unusable(fmt.Sprintf("ELB %s does not exist", d.LoadBalancerID), apis.EventLoadBalancerNotFound)
		}
		p := Plan{Actions: []Action{{Type: CreateLoadBalancer}}, Wait: Waitf("new ELB is not Active yet")}
		if d.EIP != nil && len(a.EIPs) == 0 {
			p.Actions = append(p.Actions, Action{Type: CreateEIP})
		}
		return p, nil
	}
	if err := checkUserLoadBalancer(d, lb); err != nil {
		return Plan{}, err
	}
	p := Plan{LoadBalancerID: lb.ID, Refused: refusedChanges(d, lb)}
	if lb.Status != cloud.LoadBalancerActive {
		p.Wait = Waitf("ELB %s is %s", lb.ID, lb.Status)
		return p, nil
	}
	ls, err := diffListeners(d, lb.Listeners)
	if err != nil {
		return Plan{}, err
	}
	bs := diffBackends(d, lb)
	eipActions, eipWait := diffEIP(d, lb.ID, a.EIPs)
	p.Refused = append(p.Refused, refusedEIPChanges(d, pickEIP(a.EIPs, lb.ID))...)
	// Backends that go leave first, except an older controller's per-port
	// entries of an instance that stays: those go only once its port-0
	// entry is on, so the instance never leaves the ELB on the way. A
	// listener starts once its backends are on.
	gone, replaced := splitReplaced(bs.remove, bs.add)
	gone, draining, drainWait := drainFirst(d, gone, o.Now, o.Draining)
	p.Actions = slices.Concat(backendAction(RemoveBackends, gone), backendAction(DrainBackends, draining), ls.del, ls.create, ls.update,
		backendAction(AddBackends, bs.add), backendAction(SetBackendWeights, bs.weights),
		backendAction(RemoveBackends, replaced), ls.start, eipActions)
	p.Wait = JoinWaits(ls.wait, eipWait, drainWait)
	return p, nil
}
