package elbmodel

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// Inputs are the objects one PoolService's ELB is built from.
type Inputs struct {
	ClusterID   string
	PoolService *v1alpha1.PoolService
	Service     *corev1.Service
	Pool        *v1beta2.NodePool
	// Nodes are the nodes of the pool.
	Nodes []*corev1.Node
	// Slices are the Service's EndpointSlices.
	Slices []*discoveryv1.EndpointSlice
	// Annotations is ParseAnnotations of the Service's annotations.
	Annotations Annotations
}

// Network is where a pool's ELB lives.
type Network struct {
	RegionID  string
	NetworkID string
	VSwitchID string
}

// Desired is the ELB one PoolService should have.
type Desired struct {
	// Name is the ELB and EIP name and the listener Description.
	Name string
	// Managed is false for a user-managed ELB.
	Managed bool
	// LoadBalancerID is the user-managed ELB (empty when managed).
	LoadBalancerID string
	Network        Network
	Spec           string
	PayType        string
	AddressType    string
	Local          bool
	ForceOverride  bool
	// Adopt: an ELB and EIP named Name that another controller made may be
	// adopted (the Service opted in).
	Adopt bool
	// Drain, when not 0, is how long a backend to remove is kept at weight
	// 0 (no new connections) before it is removed.
	Drain time.Duration
	// Listeners are sorted by port, then protocol.
	Listeners []cloud.Listener
	// Backends are sorted by server id, one per instance (Port 0). On a
	// shared user ELB they are what every sharer of this cluster needs.
	Backends []cloud.Backend
	// Removable, on a user-managed ELB, says which instances we may take
	// off it: this cluster's nodes' and those our record says we added
	// (UserRemovable; another cluster or a person may share the ELB); nil
	// removes nothing. Unused on a managed ELB, where every
	// backend is ours.
	Removable map[string]bool
	// BadInstances are needed instances whose id (from a node's label,
	// providerID or name) cannot be an ENS instance id: never sent to ENS,
	// left out of the backends and reported with the other skipped ones
	// (DropInvalidInstances).
	BadInstances []Skipped
	// Protected are the listener owners (Descriptions) that force-override
	// never takes over: live PoolServices of this cluster.
	Protected []string
	// EIP is nil when user-managed or intranet.
	EIP *DesiredEIP
}

// DesiredEIP is the EIP of a managed internet ELB.
type DesiredEIP struct {
	Name               string
	RegionID           string
	Bandwidth          int
	ISP                string
	InstanceChargeType string
	InternetChargeType string
}

// PoolNetwork reads the pool's ENS annotations. A user-managed ELB needs
// only the region; a managed one needs all three.
func PoolNetwork(pool *v1beta2.NodePool, managed bool) (Network, error) {
	a := pool.Annotations
	n := Network{RegionID: a[apis.AnnotationPoolRegionID], NetworkID: a[apis.AnnotationPoolNetworkID]}
	vsw, _, _ := strings.Cut(a[apis.AnnotationPoolVSwitchIDs], ",")
	n.VSwitchID = strings.TrimSpace(vsw)
	missing := []string{}
	if n.RegionID == "" {
		missing = append(missing, apis.AnnotationPoolRegionID)
	}
	if managed && n.NetworkID == "" {
		missing = append(missing, apis.AnnotationPoolNetworkID)
	}
	if managed && n.VSwitchID == "" {
		missing = append(missing, apis.AnnotationPoolVSwitchIDs)
	}
	if len(missing) > 0 {
		return n, &InputError{
			Reason:  apis.EventMissingPoolNetwork,
			Field:   strings.Join(missing, ","),
			Message: fmt.Sprintf("NodePool %s lacks the annotation(s)", pool.Name),
		}
	}
	return n, checkPoolNetwork(pool.Name, a, managed)
}

// UserLoadBalancerID is the ELB id a user put on the PoolService.
func UserLoadBalancerID(ps *v1alpha1.PoolService) string {
	return strings.TrimSpace(ps.Annotations[apis.AnnotationLoadBalancerID])
}

// Build computes and validates the desired ELB from the API objects,
// before any cloud call. Its backends are filled in by NewPlan, from the
// instances the cloud reports.
func Build(in Inputs) (Desired, error) {
	c := in.Annotations
	d := Desired{
		Name:          Name(in.Service.Name, in.Service.Namespace, in.Pool.Name, in.ClusterID),
		Managed:       !c.ManagedByUser,
		Spec:          c.Spec,
		PayType:       c.PayType,
		AddressType:   c.AddressType,
		Local:         LocalTraffic(in.Service),
		ForceOverride: c.ForceOverride,
		Adopt:         c.Adopt,
		Drain:         c.Drain,
	}
	if err := checkNameLength(d.Name, d.Managed); err != nil {
		return d, err
	}
	var err error
	if d.Network, err = PoolNetwork(in.Pool, d.Managed); err != nil {
		return d, err
	}
	if !d.Managed {
		d.LoadBalancerID = UserLoadBalancerID(in.PoolService)
		if err := checkLoadBalancerID(d.LoadBalancerID); err != nil {
			return d, err
		}
	}
	if d.Listeners, err = buildListeners(in.Service, d.Name, c.Listener); err != nil {
		return d, err
	}
	if d.Managed && c.AddressType == AddressInternet {
		d.EIP = &DesiredEIP{
			Name: d.Name, RegionID: d.Network.RegionID, Bandwidth: c.EIP.Bandwidth, ISP: c.EIP.ISP,
			InstanceChargeType: c.EIP.InstanceChargeType, InternetChargeType: c.EIP.InternetChargeType,
		}
	}
	return d, nil
}

// setBackends fills in the backends from the needed instances (see
// BuildBackends); where is the ELB's region and network. It returns the
// instances left out.
func (d *Desired) setBackends(needs map[string]int, instances map[string]cloud.Instance, where Network) []Skipped {
	var skipped []Skipped
	d.Backends, skipped = BuildBackends(needs, instances, where)
	if len(d.Listeners) == 0 {
		d.Backends = nil // nothing to route to them
	}
	if len(d.BadInstances) == 0 {
		return skipped
	}
	skipped = append(slices.Clone(d.BadInstances), skipped...)
	slices.SortFunc(skipped, func(a, b Skipped) int { return strings.Compare(a.InstanceID, b.InstanceID) })
	return skipped
}

// checkNameLength rejects, before any cloud call, a name ENS would refuse:
// as the ELB name (managed) or as the listener Description (user-managed).
func checkNameLength(name string, managed bool) error {
	limit, what := MaxListenerDescriptionLen, "listener Description"
	if managed {
		limit, what = MaxLoadBalancerNameLen, "ELB name"
	}
	if n := utf8.RuneCountInString(name); n > limit {
		return &InputError{Reason: apis.EventSyncLoadBalancerFailed, Field: "metadata.name",
			Message: fmt.Sprintf("%s %q is %d characters, ENS allows at most %d: shorten the Service name, namespace or NodePool name",
				what, name, n, limit)}
	}
	return nil
}

// buildListeners makes one listener per Service port.
func buildListeners(svc *corev1.Service, owner string, lc ListenerConfig) ([]cloud.Listener, error) {
	var out []cloud.Listener
	for i, p := range svc.Spec.Ports {
		proto := strings.ToUpper(string(p.Protocol))
		if proto == "" {
			proto = "TCP"
		}
		if proto != "TCP" && proto != "UDP" {
			return nil, &InputError{Reason: apis.EventSyncLoadBalancerFailed, Field: fmt.Sprintf("spec.ports[%d].protocol", i),
				Message: fmt.Sprintf("protocol %s is not supported by ELB (TCP and UDP only)", p.Protocol)}
		}
		if p.NodePort == 0 {
			return nil, &InputError{Reason: apis.EventSyncLoadBalancerFailed, Field: fmt.Sprintf("spec.ports[%d].nodePort", i),
				Message: "no node port allocated; ELB backends need one"}
		}
		l := cloud.Listener{
			Port: int(p.Port), Protocol: proto, BackendPort: int(p.NodePort), Description: owner,
			Scheduler: lc.Scheduler, PersistenceTimeout: lc.PersistenceTimeout, EstablishedTimeout: lc.EstablishedTimeout,
			HealthyThreshold: lc.HealthyThreshold, UnhealthyThreshold: lc.UnhealthyThreshold,
			HealthCheckInterval: lc.HealthCheckInterval, HealthCheckConnectTimeout: lc.HealthCheckConnectTimeout,
		}
		if proto == "UDP" {
			l.PersistenceTimeout = 0 // a TCP-only attribute
		}
		out = append(out, l)
	}
	SortListeners(out)
	return out, nil
}

// SortListeners orders listeners by port, then protocol.
func SortListeners(l []cloud.Listener) {
	sort.Slice(l, func(i, j int) bool {
		if l[i].Port != l[j].Port {
			return l[i].Port < l[j].Port
		}
		return l[i].Protocol < l[j].Protocol
	})
}
