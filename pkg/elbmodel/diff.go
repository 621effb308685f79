package elbmodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
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
	Listener ens.Listener
	Backends []ens.Backend
	// EIPID is the allocation id; empty on AssociateEIP means the EIP the
	// CreateEIP earlier in the same plan returned.
	EIPID     string
	Bandwidth int
}

func (a Action) String() string {
	switch a.Type {
	case StopListener, DeleteListener, CreateListener, UpdateListener, StartListener:
		return fmt.Sprintf("%s %s:%d->%d", a.Type, a.Listener.Protocol, a.Listener.Port, a.Listener.BackendPort)
	case RemoveBackends, AddBackends, SetBackendWeights:
		return fmt.Sprintf("%s %d", a.Type, len(a.Backends))
	case UnassociateEIP, AssociateEIP, ReleaseEIP:
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
	LoadBalancer *ens.LoadBalancer
	// EIPs are, when managed, the EIPs named exactly d.Name; when
	// user-managed, the EIPs associated with the ELB.
	EIPs []ens.EIP
}

// Plan is the ordered list of actions that brings Actual to Desired.
type Plan struct {
	Actions []Action
	// Wait, when set, says which transitional cloud state blocks the rest;
	// the controller looks again shortly.
	Wait string
	// Refused are requested changes that cannot be made (ELB attributes are
	// not updatable); reported as warnings, nothing is mutated for them.
	Refused []InputError
}

// Empty reports whether the plan mutates nothing.
func (p Plan) Empty() bool { return len(p.Actions) == 0 }

// Diff compares desired and actual. Input problems (user ELB missing or in
// another region, listener conflicts) are an *InputError with no plan.
func Diff(d Desired, a Actual) (Plan, error) {
	lb := a.LoadBalancer
	if lb == nil {
		if !d.Managed {
			return Plan{}, unusable(fmt.Sprintf("ELB %s does not exist", d.LoadBalancerID), apis.EventLoadBalancerNotFound)
		}
		p := Plan{Actions: []Action{{Type: CreateLoadBalancer}}, Wait: "new ELB is not Active yet"}
		if d.EIP != nil && len(a.EIPs) == 0 {
			p.Actions = append(p.Actions, Action{Type: CreateEIP})
		}
		return p, nil
	}
	if err := checkUserLoadBalancer(d, lb); err != nil {
		return Plan{}, err
	}
	p := Plan{Refused: refusedChanges(d, lb)}
	if lb.Status != ens.LoadBalancerActive {
		p.Wait = fmt.Sprintf("ELB %s is %s", lb.ID, lb.Status)
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
	p.Actions = slices.Concat(backendAction(RemoveBackends, gone), ls.del, ls.create, ls.update,
		backendAction(AddBackends, bs.add), backendAction(SetBackendWeights, bs.weights),
		backendAction(RemoveBackends, replaced), ls.start, eipActions)
	p.Wait = strings.Join(nonEmpty(ls.wait, eipWait), "; ")
	return p, nil
}

// splitReplaced splits removals into those of instances that leave and
// those of instances that are being added again (in the port-0 form).
func splitReplaced(remove, add []ens.Backend) (gone, replaced []ens.Backend) {
	adding := make(map[string]bool, len(add))
	for _, b := range add {
		adding[b.ServerID] = true
	}
	for _, b := range remove {
		if adding[b.ServerID] {
			replaced = append(replaced, b)
		} else {
			gone = append(gone, b)
		}
	}
	return gone, replaced
}

// checkUserLoadBalancer refuses a user-managed ELB this controller must
// not drive: one it manages for another PoolService (its owner would remove
// our backends and release it with our listeners), one another cluster's
// controller manages, or one outside the pool's region.
func checkUserLoadBalancer(d Desired, lb *ens.LoadBalancer) error {
	if d.Managed {
		return nil
	}
	clusterID := d.Name[strings.LastIndex(d.Name, "/")+1:]
	switch {
	case NamedForAnother(lb.Name, d.Name):
		return unusable(fmt.Sprintf("ELB %s (%s) is managed by this controller for another PoolService; name an ELB you manage", lb.ID, lb.Name), "")
	case NamedForOtherCluster(lb.Name, clusterID):
		return unusable(fmt.Sprintf("ELB %s (%s) is managed by the controller of another cluster; name an ELB you manage", lb.ID, lb.Name), "")
	case lb.RegionID != d.Network.RegionID:
		return unusable(fmt.Sprintf("ELB %s is in region %s, the pool is in %s", lb.ID, lb.RegionID, d.Network.RegionID), "")
	}
	return nil
}

// unusable is the error of a user-managed ELB the PoolService cannot be
// served by: its address must leave the status with it.
func unusable(msg, reason string) *InputError {
	if reason == "" {
		reason = apis.EventSyncLoadBalancerFailed
	}
	return &InputError{Reason: reason, Field: apis.AnnotationLoadBalancerID, Message: msg, Unusable: true}
}

// refusedChanges lists ELB attributes the annotations (Service or NodePool)
// would change on a managed ELB: they are fixed at creation.
func refusedChanges(d Desired, lb *ens.LoadBalancer) []InputError {
	if !d.Managed {
		return nil
	}
	var out []InputError
	check := func(key, want, have string) {
		if have != "" && want != have {
			out = append(out, InputError{Reason: apis.EventSyncLoadBalancerFailed, Field: key,
				Message: fmt.Sprintf("ELB %s has %s, annotation asks %s: ELB attributes are not updatable after creation", lb.ID, have, want)})
		}
	}
	check(apis.AnnotationSpec, d.Spec, lb.Spec)
	check(apis.AnnotationPayType, d.PayType, lb.PayType)
	// A NodePool whose network annotations changed keeps its ELB where it is.
	check(apis.AnnotationPoolRegionID, d.Network.RegionID, lb.RegionID)
	check(apis.AnnotationPoolNetworkID, d.Network.NetworkID, lb.NetworkID)
	check(apis.AnnotationPoolVSwitchIDs, d.Network.VSwitchID, lb.VSwitchID)
	return out
}

// refusedEIPChanges lists EIP attributes the annotations would change on
// the managed EIP: ENS cannot change its ISP or charge types after
// creation (only the bandwidth follows the annotation). No ISP annotation
// means "ENS chooses", so only an asked ISP the EIP lacks is refused; a
// charge type the cloud does not report cannot be compared.
func refusedEIPChanges(d Desired, e *ens.EIP) []InputError {
	if !d.Managed || d.EIP == nil || e == nil {
		return nil
	}
	var out []InputError
	check := func(key, want, have string) {
		if want != "" && (have != "" || key == apis.AnnotationEIPISP) && !sameChargeValue(want, have) {
			if have == "" {
				have = "none"
			}
			out = append(out, InputError{Reason: apis.EventInvalidAnnotation, Field: key,
				Message: fmt.Sprintf("EIP %s has %s, annotation asks %s: the EIP's ISP and charge types are not updatable after creation",
					e.AllocationID, have, want)})
		}
	}
	check(apis.AnnotationEIPISP, d.EIP.ISP, e.ISP)
	check(apis.AnnotationEIPInstanceChargeType, d.EIP.InstanceChargeType, e.InstanceChargeType)
	check(apis.AnnotationEIPInternetChargeType, d.EIP.InternetChargeType, e.InternetChargeType)
	return out
}

// sameChargeValue compares case-insensitively; some ENS responses call
// PostPaid PayAsYouGo and PrePaid Subscription.
func sameChargeValue(a, b string) bool {
	norm := func(s string) string {
		switch s = strings.ToLower(s); s {
		case "payasyougo":
			return "postpaid"
		case "subscription":
			return "prepaid"
		}
		return s
	}
	return norm(a) == norm(b)
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// sortedCopy returns the backends sorted without touching the input.
func sortedCopy(b []ens.Backend) []ens.Backend {
	out := append([]ens.Backend(nil), b...)
	SortBackends(out)
	return out
}
