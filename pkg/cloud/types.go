package cloud

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
	EIPAvailable     = "Available"
	EIPInUse         = "InUse"
	EIPAssociating   = "Associating"
	EIPUnassociating = "Unassociating"
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
	AllocationID string
	// AllocationIDs asks for any of these EIPs (with the other fields),
	// read in batches of what one call takes.
	AllocationIDs          []string
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
