// Package ens is the controller's view of the Alibaba Cloud ENS OpenAPI:
// load balancers (ELB), listeners, backends, EIPs, instances and networks.
// It is the only package that imports the Alibaba Cloud SDK; callers see
// plain values and typed errors (see errors.go), never SDK types.
package ens

import "context"

// Cloud is what the controllers need from ENS. Every list call reads all
// pages; every batch call splits into calls of at most MaxBackendsPerCall.
type Cloud interface {
	// CreateLoadBalancer creates an ELB and returns its id. ClientToken
	// makes a retried create return the same ELB.
	CreateLoadBalancer(ctx context.Context, req CreateLoadBalancerRequest) (string, error)
	// DescribeLoadBalancer returns one ELB with its listeners and backends,
	// or an error that Is ErrNotFound.
	DescribeLoadBalancer(ctx context.Context, id string) (*LoadBalancer, error)
	// ListLoadBalancers returns every ELB matching the filter (no listeners
	// or backends filled in).
	ListLoadBalancers(ctx context.Context, filter LoadBalancerFilter) ([]LoadBalancer, error)
	// SetLoadBalancerStatus sets an ELB Active or InActive.
	SetLoadBalancerStatus(ctx context.Context, id, status string) error
	// ReleaseLoadBalancer releases an ELB (ReleaseInstance).
	ReleaseLoadBalancer(ctx context.Context, id string) error

	// DescribeListener returns one listener with all its attributes, or an
	// error that Is ErrNotFound.
	DescribeListener(ctx context.Context, lbID string, port int, protocol string) (*Listener, error)
	// ListListeners returns every listener of an ELB with its status.
	ListListeners(ctx context.Context, lbID string) ([]Listener, error)
	CreateListener(ctx context.Context, lbID string, l Listener) error
	// UpdateListener sets a listener's attributes (not its backend port).
	UpdateListener(ctx context.Context, lbID string, l Listener) error
	StartListener(ctx context.Context, lbID string, port int, protocol string) error
	StopListener(ctx context.Context, lbID string, port int, protocol string) error
	DeleteListener(ctx context.Context, lbID string, port int, protocol string) error

	AddBackends(ctx context.Context, lbID string, backends []Backend) error
	RemoveBackends(ctx context.Context, lbID string, backends []Backend) error
	// SetBackendWeights changes the weights of backends already on the ELB.
	SetBackendWeights(ctx context.Context, lbID string, backends []Backend) error

	// CreateEIP creates an EIP and returns its allocation id.
	CreateEIP(ctx context.Context, req CreateEIPRequest) (string, error)
	// ListEIPs returns every EIP matching the filter.
	ListEIPs(ctx context.Context, filter EIPFilter) ([]EIP, error)
	// AssociateEIP binds an EIP to an ELB.
	AssociateEIP(ctx context.Context, allocationID, lbID string) error
	// UnassociateEIP unbinds an EIP from whatever it is bound to.
	UnassociateEIP(ctx context.Context, allocationID string) error
	ModifyEIPBandwidth(ctx context.Context, allocationID string, bandwidth int) error
	// ReleaseEIP releases an EIP (ReleaseInstance); it must be Available.
	ReleaseEIP(ctx context.Context, allocationID string) error

	// ListInstances returns the ENS instances matching the filter.
	ListInstances(ctx context.Context, filter InstanceFilter) ([]Instance, error)
	// DescribeNetwork returns one network or an error that Is ErrNotFound.
	DescribeNetwork(ctx context.Context, networkID string) (*Network, error)
}

// MaxBackendsPerCall is the ENS limit of backends in one Add/Remove/Set call.
const MaxBackendsPerCall = 20

// ELB statuses.
const (
	LoadBalancerActive   = "Active"
	LoadBalancerInActive = "InActive"
)

// Listener statuses. ENS answers them in mixed case (DescribeLoadBalancerListeners
// in lower case); the client hands out these canonical forms for every status
// it knows, so callers may compare with ==.
const (
	ListenerRunning     = "Running"
	ListenerStopped     = "Stopped"
	ListenerStarting    = "Starting"
	ListenerConfiguring = "Configuring"
	ListenerStopping    = "Stopping"
)

// EIP statuses.
const (
	EIPAvailable = "Available"
	EIPInUse     = "InUse"
)

// Instance statuses.
const InstanceRunning = "Running"

// EIPInstanceTypeELB is the AssociateEnsEipAddress InstanceType of an ELB.
const EIPInstanceTypeELB = "SlbInstance"

// BackendTypeENS is the backend type of an ENS instance.
const BackendTypeENS = "ens"

// Defaults the client sends for required create parameters left empty:
// ENS refuses a CreateLoadBalancer without PayType (PostPaid is the only
// value) and a CreateEipInstance without either charge type.
const (
	DefaultPayType               = "PostPaid"
	DefaultEIPInstanceChargeType = "PostPaid"
	DefaultEIPInternetChargeType = "95BandwidthByMonth"
)

// CreateLoadBalancerRequest describes a new ELB. An empty PayType is sent
// as DefaultPayType.
type CreateLoadBalancerRequest struct {
	Name        string
	RegionID    string
	NetworkID   string
	VSwitchID   string
	Spec        string
	PayType     string
	ClientToken string
}

// LoadBalancer is an ELB as ENS reports it.
type LoadBalancer struct {
	ID        string
	Name      string
	RegionID  string
	NetworkID string
	VSwitchID string
	Spec      string
	PayType   string
	Status    string
	Address   string
	// Listeners and Backends are filled by DescribeLoadBalancer only.
	Listeners []Listener
	Backends  []Backend
}

// LoadBalancerFilter narrows ListLoadBalancers; empty fields match all.
type LoadBalancerFilter struct {
	ID        string
	Name      string
	RegionID  string
	NetworkID string
}

// Listener is one ELB listener. Protocol is upper case: TCP, UDP, HTTP, HTTPS.
// On create and update a zero Scheduler, timeout, threshold or interval is
// not sent (ENS keeps its default), except PersistenceTimeout (TCP only),
// where 0 means off and is always sent. For HTTP/HTTPS,
// HealthCheckConnectTimeout is sent as HealthCheckTimeout and the TCP
// timeouts do not apply.
type Listener struct {
	Port        int
	Protocol    string
	BackendPort int
	Description string
	// Status is filled when read: one of the Listener* constants, or
	// what ENS answered when it is none of them.
	Status                    string
	Scheduler                 string
	PersistenceTimeout        int
	EstablishedTimeout        int
	HealthyThreshold          int
	UnhealthyThreshold        int
	HealthCheckInterval       int
	HealthCheckConnectTimeout int
	// ServerCertificateID is the certificate of an HTTPS listener.
	ServerCertificateID string
}

// Backend is one ENS instance behind an ELB. Port 0 is the per-instance
// entry ENS keeps (the listeners' BackendServerPort routes); a non-zero Port
// is the older per-port form. Both read back as they were added.
type Backend struct {
	ServerID string
	Type     string
	IP       string
	Port     int
	Weight   int
}

// CreateEIPRequest describes a new EIP. Empty charge types are sent as
// DefaultEIPInstanceChargeType and DefaultEIPInternetChargeType; a zero
// Bandwidth is not sent (ENS then uses 5 Mbit/s, its minimum).
type CreateEIPRequest struct {
	Name               string
	Description        string
	RegionID           string
	Bandwidth          int
	ISP                string
	InternetChargeType string
	InstanceChargeType string
	ClientToken        string
}

// EIP is an elastic IP as ENS reports it.
type EIP struct {
	AllocationID         string
	Name                 string
	Description          string
	IP                   string
	RegionID             string
	Status               string
	Bandwidth            int
	ISP                  string
	InternetChargeType   string
	InstanceChargeType   string
	AssociatedInstanceID string
	// AssociatedInstanceType is EIPInstanceTypeELB for an ELB.
	AssociatedInstanceType string
}

// EIPFilter narrows ListEIPs; empty fields match all.
type EIPFilter struct {
	AllocationID           string
	Name                   string
	RegionID               string
	AssociatedInstanceID   string
	AssociatedInstanceType string
}

// Instance is an ENS instance (a node's machine).
type Instance struct {
	ID        string
	RegionID  string
	NetworkID string
	VSwitchID string
	Status    string
	PrivateIP string
}

// InstanceFilter narrows ListInstances; empty fields match all. IDs are
// split into calls of at most 100.
type InstanceFilter struct {
	RegionID  string
	NetworkID string
	IDs       []string
}

// Network is an ENS network with its vSwitches.
type Network struct {
	ID         string
	RegionID   string
	VSwitchIDs []string
}
