package soak

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// Strings of SPEC.md §2, spelled out here rather than imported so that a
// wrong constant in the product is not copied into its judge.
const (
	classELB              = "alibabacloud.com/elb"
	annSelector           = "service.openyurt.io/nodepool-labelselector"
	annPrefix             = "service.beta.kubernetes.io/alibaba-cloud-"
	annManagedByUser      = annPrefix + "loadbalancer-managed-by-user"
	annLoadBalancerID     = annPrefix + "loadbalancer-id"
	annAddressType        = annPrefix + "loadbalancer-address-type"
	annBandwidth          = annPrefix + "loadbalancer-eip-bandwidth"
	annBackendLabel       = annPrefix + "loadbalancer-backend-label"
	annForceOverride      = "service.openyurt.io/elb-force-override-listeners"
	annPoolRegion         = "alibabacloud.com/ens-region-id"
	annPoolNetwork        = "alibabacloud.com/ens-network-id"
	annPoolVSwitches      = "alibabacloud.com/ens-vswitch-id"
	labelNodePool         = "apps.openyurt.io/nodepool"
	labelInstanceID       = "alibabacloud.com/ens-instance-id"
	labelPSService        = "openyurt.io/service-name"
	labelPSPool           = "openyurt.io/pool-name"
	labelPSManagedBy      = "poolservice.openyurt.io/managed-by"
	managedByValue        = "edge-controller-manager"
	nodePoolGroup         = "apps.openyurt.io"
	defaultBandwidth      = 10
	conditionReady        = "Ready"
	lbStatusActive        = "Active"
	listenerStatusRunning = "Running"
	eipStatusInUse        = "InUse"
	instanceRunning       = "Running"
)

// index is a World looked up by name and id.
type index struct {
	w         World
	services  map[types.NamespacedName]*corev1.Service
	pools     map[string]*appsv1beta2.NodePool
	nodes     map[string][]*corev1.Node // by pool label
	slices    map[types.NamespacedName][]*discoveryv1.EndpointSlice
	instances map[string]*ensemulator.Instance
	lbByID    map[string]*ensemulator.LoadBalancer
	// ourLBs and ourEIPs are the live ones the controller's key created, by name.
	ourLBs  map[string][]*ensemulator.LoadBalancer
	ourEIPs map[string][]*ensemulator.EIP
	// eipOn is the EIP bound to each ELB id.
	eipOn map[string]*ensemulator.EIP
}

func newIndex(w World) *index {
	ix := &index{w: w,
		services: map[types.NamespacedName]*corev1.Service{}, pools: map[string]*appsv1beta2.NodePool{},
		nodes: map[string][]*corev1.Node{}, slices: map[types.NamespacedName][]*discoveryv1.EndpointSlice{},
		instances: map[string]*ensemulator.Instance{}, lbByID: map[string]*ensemulator.LoadBalancer{},
		ourLBs: map[string][]*ensemulator.LoadBalancer{}, ourEIPs: map[string][]*ensemulator.EIP{},
		eipOn: map[string]*ensemulator.EIP{},
	}
	ix.indexAPI()
	ix.indexCloud()
	return ix
}

func (ix *index) indexAPI() {
	w := ix.w
	for i := range w.Services {
		s := &w.Services[i]
		ix.services[types.NamespacedName{Namespace: s.Namespace, Name: s.Name}] = s
	}
	for i := range w.Pools {
		ix.pools[w.Pools[i].Name] = &w.Pools[i]
	}
	for i := range w.Nodes {
		n := &w.Nodes[i]
		if pool := n.Labels[labelNodePool]; pool != "" {
			ix.nodes[pool] = append(ix.nodes[pool], n)
		}
	}
	for i := range w.Slices {
		s := &w.Slices[i]
		if svc := s.Labels[discoveryv1.LabelServiceName]; svc != "" {
			key := types.NamespacedName{Namespace: s.Namespace, Name: svc}
			ix.slices[key] = append(ix.slices[key], s)
		}
	}
}

func (ix *index) indexCloud() {
	c := &ix.w.Cloud
	for i := range c.Instances {
		ix.instances[c.Instances[i].ID] = &c.Instances[i]
	}
	for i := range c.LoadBalancers {
		lb := &c.LoadBalancers[i]
		ix.lbByID[lb.ID] = lb
		if lb.CreatedBy == ix.w.ControllerKey {
			ix.ourLBs[lb.Name] = append(ix.ourLBs[lb.Name], lb)
		}
	}
	for i := range c.EIPs {
		e := &c.EIPs[i]
		if e.CreatedBy == ix.w.ControllerKey {
			ix.ourEIPs[e.Name] = append(ix.ourEIPs[e.Name], e)
		}
		if e.InstanceID != "" && e.Status == eipStatusInUse {
			ix.eipOn[e.InstanceID] = e
		}
	}
}

// served is which Service and pool a PoolService serves: its owner
// references first (the controlling v1 Service, an apps.openyurt.io
// NodePool), its labels only where a reference is missing. serviceUID is
// set when it came from an owner reference.
type served struct {
	service, serviceUID, pool string
	fromRefs                  bool
}

func servedBy(ps *networkv1alpha1.PoolService) served {
	var s served
	for _, ref := range ps.OwnerReferences {
		group, _, _ := strings.Cut(ref.APIVersion, "/")
		switch {
		case s.service == "" && ref.Kind == "Service" && ref.APIVersion == "v1" && ref.Controller != nil && *ref.Controller:
			s.service, s.serviceUID = ref.Name, string(ref.UID)
		case s.pool == "" && ref.Kind == "NodePool" && group == nodePoolGroup:
			s.pool = ref.Name
		}
	}
	s.fromRefs = s.service != "" && s.pool != ""
	if s.service == "" {
		s.service = ps.Labels[labelPSService]
	}
	if s.pool == "" {
		s.pool = ps.Labels[labelPSPool]
	}
	return s
}

// serviceOf is the live Service a PoolService belongs to, or nil.
func (ix *index) serviceOf(ps *networkv1alpha1.PoolService) (*corev1.Service, served) {
	s := servedBy(ps)
	svc := ix.services[types.NamespacedName{Namespace: ps.Namespace, Name: s.service}]
	if svc == nil || svc.DeletionTimestamp != nil || (s.serviceUID != "" && s.serviceUID != string(svc.UID)) {
		return nil, s
	}
	return svc, s
}

// resourceName is the ELB and EIP name of a Service in a pool (SPEC §2).
func resourceName(svc *corev1.Service, pool, clusterID string) string {
	return strings.Join([]string{"k8s", svc.Name, svc.Namespace, pool, clusterID}, "/")
}

// instanceOf maps a node to its ENS instance: the label, else the id in
// spec.providerID (after any scheme, the last "/" and the last "."), else
// the node name.
func instanceOf(n *corev1.Node) string {
	if id := n.Labels[labelInstanceID]; id != "" {
		return id
	}
	p := n.Spec.ProviderID
	if _, rest, ok := strings.Cut(p, "://"); ok {
		p = rest
	}
	p = p[strings.LastIndex(p, "/")+1:]
	if p = p[strings.LastIndex(p, ".")+1:]; p != "" {
		return p
	}
	return n.Name
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
