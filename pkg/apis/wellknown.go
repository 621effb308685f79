// Package apis holds the strings of the product's contract: labels,
// annotations, finalizers, the load balancer class and the names of the
// conditions and events. Every other package takes them from here.
package apis

// The load balancer class this controller serves.
const LoadBalancerClassELB = "alibabacloud.com/elb"

// Service annotations.
const (
	// AnnotationNodePoolSelector selects the NodePools a Service is exposed in
	// (label-selector syntax).
	AnnotationNodePoolSelector = "service.openyurt.io/nodepool-labelselector"
	// AnnotationTopologyKeys is informational (Service topology).
	AnnotationTopologyKeys = "openyurt.io/topologyKeys"
	// AnnotationForceOverrideListeners lets the controller take over
	// listeners it did not create on a user-managed ELB.
	AnnotationForceOverrideListeners = "service.openyurt.io/elb-force-override-listeners"
	// AnnotationAdoptExisting ("true") lets the controller adopt an ELB and
	// EIP named by its scheme that another controller made (a migration):
	// they keep their ids and addresses and become ours. Without it (or
	// --adopt-existing) such resources are never touched.
	AnnotationAdoptExisting = "service.openyurt.io/elb-adopt-existing"

	// AnnotationPrefix is the prefix of the Alibaba Cloud load balancer annotations.
	AnnotationPrefix = "service.beta.kubernetes.io/alibaba-cloud-"

	AnnotationManagedByUser         = AnnotationPrefix + "loadbalancer-managed-by-user"
	AnnotationLoadBalancerID        = AnnotationPrefix + "loadbalancer-id"
	AnnotationSpec                  = AnnotationPrefix + "loadbalancer-spec"
	AnnotationPayType               = AnnotationPrefix + "loadbalancer-pay-type"
	AnnotationAddressType           = AnnotationPrefix + "loadbalancer-address-type"
	AnnotationEIPBandwidth          = AnnotationPrefix + "loadbalancer-eip-bandwidth"
	AnnotationEIPISP                = AnnotationPrefix + "loadbalancer-eip-isp"
	AnnotationEIPInstanceChargeType = AnnotationPrefix + "loadbalancer-eip-instance-charge-type"
	AnnotationEIPInternetChargeType = AnnotationPrefix + "loadbalancer-eip-internet-charge-type"
	AnnotationBackendLabel          = AnnotationPrefix + "loadbalancer-backend-label"
	AnnotationBackendWeight         = AnnotationPrefix + "loadbalancer-backend-weight"
	// AnnotationConnectionDrain "on": a backend to remove is first set to
	// weight 0 (no new connections) and removed after
	// AnnotationConnectionDrainTimeout seconds (10–900, default 300).
	AnnotationConnectionDrain           = AnnotationPrefix + "loadbalancer-connection-drain"
	AnnotationConnectionDrainTimeout    = AnnotationPrefix + "loadbalancer-connection-drain-timeout"
	AnnotationScheduler                 = AnnotationPrefix + "loadbalancer-scheduler"
	AnnotationPersistenceTimeout        = AnnotationPrefix + "loadbalancer-persistence-timeout"
	AnnotationEstablishedTimeout        = AnnotationPrefix + "loadbalancer-established-timeout"
	AnnotationHealthyThreshold          = AnnotationPrefix + "loadbalancer-healthy-threshold"
	AnnotationUnhealthyThreshold        = AnnotationPrefix + "loadbalancer-unhealthy-threshold"
	AnnotationHealthCheckInterval       = AnnotationPrefix + "loadbalancer-health-check-interval"
	AnnotationHealthCheckConnectTimeout = AnnotationPrefix + "loadbalancer-health-check-connect-timeout"

	// AggregatedAnnotationPrefix prefixes PoolService aggregateToAnnotations
	// keys when they are copied onto the Service.
	AggregatedAnnotationPrefix = "aggregated."
)

// NodePool annotations and node labels.
const (
	AnnotationPoolNetworkID = "alibabacloud.com/ens-network-id"
	AnnotationPoolRegionID  = "alibabacloud.com/ens-region-id"
	// AnnotationPoolVSwitchIDs is a comma-separated list; the first is used.
	AnnotationPoolVSwitchIDs = "alibabacloud.com/ens-vswitch-id"

	// LabelNodePool puts a node in a pool.
	LabelNodePool = "apps.openyurt.io/nodepool"
	// LabelENSInstanceID maps a node to its ENS instance.
	LabelENSInstanceID = "alibabacloud.com/ens-instance-id"
)

// PoolService labels.
const (
	LabelServiceName = "openyurt.io/service-name"
	LabelPoolName    = "openyurt.io/pool-name"
	LabelManagedBy   = "poolservice.openyurt.io/managed-by"
	// ManagedByValue is this controller's value for LabelManagedBy.
	ManagedByValue = "edge-controller-manager"
)

// Finalizers.
const (
	// FinalizerPoolServices holds a Service until its PoolServices are gone.
	FinalizerPoolServices = "poolservice.openyurt.io/resources"
	// FinalizerELBResources holds a PoolService until its cloud resources are released.
	FinalizerELBResources = "elb.openyurt.io/resources"
)

// PoolService condition types.
const (
	ConditionReady  = "Ready"
	ConditionSynced = "Synced"
)

// Event reasons.
const (
	EventNoMatchNodePool         = "NoMatchNodePool"
	EventInvalidNodePoolSelector = "InvalidNodePoolSelector"
	EventManagedConflict         = "ManagedConflict"
	EventPoolServiceCreated      = "PoolServiceCreated"
	EventPoolServiceDeleted      = "PoolServiceDeleted"
	// EventInvalidPoolName: a selected NodePool's name cannot be a label
	// value (over 63 characters), so it gets no PoolService.
	EventInvalidPoolName = "InvalidPoolName"

	EventEnsuredLoadBalancer    = "EnsuredLoadBalancer"
	EventSyncLoadBalancerFailed = "SyncLoadBalancerFailed"
	EventInvalidAnnotation      = "InvalidAnnotation"
	EventMissingPoolNetwork     = "MissingPoolNetwork"
	EventListenerConflict       = "ListenerConflict"
	EventLoadBalancerNotFound   = "LoadBalancerNotFound"
	EventCleanedLoadBalancer    = "CleanedLoadBalancer"
	// EventNameTaken: an ELB or EIP carries the PoolService's name but no
	// ownership record says this controller made it; it is left alone.
	EventNameTaken = "LoadBalancerNameTaken"
	// EventBackendNodeSkipped: a node's ENS instance is unknown or outside
	// the ELB's region or network; the rest of the pool is still served.
	EventBackendNodeSkipped = "BackendNodeSkipped"
	// EventLeftAlone: cleanup found a resource named like the PoolService's
	// that this controller did not create, and did not release it.
	EventLeftAlone = "UnownedResourceLeftAlone"
	// EventDryRun reports a change a controller running with --dry-run
	// would have made (and did not).
	EventDryRun = "DryRun"
	// EventAdopted: an ELB or EIP named by our scheme that another
	// controller made is ours from now on (opted in).
	EventAdopted = "AdoptedLoadBalancer"
)

// Controller names, as used by --controllers.
const (
	ControllerPoolServiceSet = "poolservice-set"
	ControllerELB            = "elb"
)
