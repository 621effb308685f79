package ensemulator

import (
	"fmt"
	"os"
	"time"

	"sigs.k8s.io/yaml"
)

// Inventory is everything the emulated ENS account holds. It is the seed
// file format (YAML or JSON), the state file format and the admin view.
type Inventory struct {
	Regions       []Region       `json:"regions,omitempty"`
	Networks      []Network      `json:"networks,omitempty"`
	Instances     []Instance     `json:"instances,omitempty"`
	LoadBalancers []LoadBalancer `json:"loadBalancers,omitempty"`
	EIPs          []EIP          `json:"eips,omitempty"`
	// Released lists every successful ReleaseInstance of an ELB or EIP,
	// oldest first: what went, who created it and who released it.
	Released []Released `json:"released,omitempty"`
	// ClientTokens are the remembered ClientTokens of creates within
	// Config.ClientTokenWindow.
	ClientTokens []ClientToken `json:"clientTokens,omitempty"`
}

// Released is one ELB or EIP released by ReleaseInstance.
type Released struct {
	// Kind is KindLoadBalancer or KindEIP.
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// CreatedBy is the resource's CreatedBy ("" for seeded resources
	// without one).
	CreatedBy string `json:"createdBy,omitempty"`
	// ReleasedBy is the AccessKeyId of the ReleaseInstance call.
	ReleasedBy string    `json:"releasedBy"`
	ReleasedAt time.Time `json:"releasedAt"`
}

// Released.Kind values.
const (
	KindLoadBalancer = "loadBalancer"
	KindEIP          = "eip"
)

// Region is an ENS edge region (EnsRegionId).
type Region struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Network is an ENS network with its vSwitches.
type Network struct {
	ID        string    `json:"id"`
	RegionID  string    `json:"regionId"`
	Name      string    `json:"name,omitempty"`
	CIDR      string    `json:"cidr,omitempty"`
	VSwitches []VSwitch `json:"vSwitches,omitempty"`
}

// VSwitch is a subnet of a network.
type VSwitch struct {
	ID   string `json:"id"`
	CIDR string `json:"cidr,omitempty"`
}

// Instance is an ENS virtual machine.
type Instance struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	RegionID  string `json:"regionId"`
	NetworkID string `json:"networkId"`
	VSwitchID string `json:"vSwitchId"`
	// Status is Running, Stopped or Expired (see SetInstanceStatus).
	Status    string `json:"status"`
	PrivateIP string `json:"privateIp"`
}

// LoadBalancer is an ENS Edge Load Balancer with its listeners and backends.
type LoadBalancer struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	RegionID  string `json:"regionId"`
	NetworkID string `json:"networkId"`
	VSwitchID string `json:"vSwitchId"`
	Spec      string `json:"spec"`
	PayType   string `json:"payType,omitempty"`
	// Status is Active or InActive; it reads as Creating until ActiveAt.
	Status     string     `json:"status"`
	Address    string     `json:"address"`
	CreateTime time.Time  `json:"createTime"`
	ActiveAt   *time.Time `json:"activeAt,omitempty"`
	// VisibleAt hides a new ELB from Describe calls until then (a fault).
	VisibleAt *time.Time `json:"visibleAt,omitempty"`
	// ClientToken is the create call's token, for information: the token
	// memory is Inventory.ClientTokens.
	ClientToken string `json:"clientToken,omitempty"`
	// CreatedBy is the AccessKeyId of the CreateLoadBalancer call; a
	// seeded ELB keeps what the seed says ("" by default).
	CreatedBy string     `json:"createdBy,omitempty"`
	Listeners []Listener `json:"listeners,omitempty"`
	Backends  []Backend  `json:"backends,omitempty"`
	// Releasing are the ports of deleted listeners that cannot carry a
	// listener of that protocol again yet (Config.ListenerReleaseDelay).
	Releasing []ReleasingPort `json:"releasing,omitempty"`
}

// ReleasingPort is a deleted listener's port, not free again until Until.
type ReleasingPort struct {
	Port     int       `json:"port"`
	Protocol string    `json:"protocol"`
	Until    time.Time `json:"until"`
}

// Listener is one ELB listener. Protocol is upper case (TCP, UDP, HTTP,
// HTTPS); Status is Running or Stopped, or for a while Starting,
// Configuring or Stopping (Config.ListenerTransitionDelay).
type Listener struct {
	Port                      int       `json:"port"`
	Protocol                  string    `json:"protocol"`
	BackendServerPort         int       `json:"backendServerPort"`
	Status                    string    `json:"status"`
	Description               string    `json:"description,omitempty"`
	Scheduler                 string    `json:"scheduler,omitempty"`
	PersistenceTimeout        int       `json:"persistenceTimeout,omitempty"`
	EstablishedTimeout        int       `json:"establishedTimeout,omitempty"`
	HealthyThreshold          int       `json:"healthyThreshold,omitempty"`
	UnhealthyThreshold        int       `json:"unhealthyThreshold,omitempty"`
	HealthCheckInterval       int       `json:"healthCheckInterval,omitempty"`
	HealthCheckConnectTimeout int       `json:"healthCheckConnectTimeout,omitempty"`
	HealthCheckConnectPort    int       `json:"healthCheckConnectPort,omitempty"`
	HealthCheckTimeout        int       `json:"healthCheckTimeout,omitempty"`
	RequestTimeout            int       `json:"requestTimeout,omitempty"`
	IdleTimeout               int       `json:"idleTimeout,omitempty"`
	CookieTimeout             int       `json:"cookieTimeout,omitempty"`
	ForwardPort               int       `json:"forwardPort,omitempty"`
	HealthCheck               string    `json:"healthCheck,omitempty"`
	HealthCheckType           string    `json:"healthCheckType,omitempty"`
	HealthCheckURI            string    `json:"healthCheckURI,omitempty"`
	HealthCheckDomain         string    `json:"healthCheckDomain,omitempty"`
	HealthCheckHTTPCode       string    `json:"healthCheckHttpCode,omitempty"`
	HealthCheckMethod         string    `json:"healthCheckMethod,omitempty"`
	HealthCheckReq            string    `json:"healthCheckReq,omitempty"`
	HealthCheckExp            string    `json:"healthCheckExp,omitempty"`
	EipTransmit               string    `json:"eipTransmit,omitempty"`
	ListenerForward           string    `json:"listenerForward,omitempty"`
	StickySession             string    `json:"stickySession,omitempty"`
	StickySessionType         string    `json:"stickySessionType,omitempty"`
	Cookie                    string    `json:"cookie,omitempty"`
	XForwardedFor             string    `json:"xForwardedFor,omitempty"`
	ServerCertificateID       string    `json:"serverCertificateId,omitempty"`
	CreateTime                time.Time `json:"createTime"`
	// SettleAt and SettleTo: a listener in a transitional Status
	// (Starting, Configuring, Stopping) reads as SettleTo from SettleAt on.
	SettleAt *time.Time `json:"settleAt,omitempty"`
	SettleTo string     `json:"settleTo,omitempty"`
}

// Backend is one ENS instance behind an ELB on one port.
type Backend struct {
	ServerID string `json:"serverId"`
	Type     string `json:"type"`
	IP       string `json:"ip"`
	Port     int    `json:"port"`
	Weight   int    `json:"weight"`
}

// EIP is an ENS elastic IP.
type EIP struct {
	ID                 string `json:"id"`
	Name               string `json:"name,omitempty"`
	Description        string `json:"description,omitempty"`
	RegionID           string `json:"regionId"`
	Address            string `json:"address"`
	Bandwidth          int    `json:"bandwidth"`
	Isp                string `json:"isp,omitempty"`
	InternetChargeType string `json:"internetChargeType,omitempty"`
	InstanceChargeType string `json:"instanceChargeType,omitempty"`
	// Status is Available or InUse, or for a while Associating or
	// Unassociating (Config.EIPTransitionDelay): it is SettleTo from
	// SettleAt on. An Unassociating EIP keeps its InstanceID until then.
	Status       string     `json:"status"`
	SettleAt     *time.Time `json:"settleAt,omitempty"`
	SettleTo     string     `json:"settleTo,omitempty"`
	InstanceID   string     `json:"instanceId,omitempty"`
	InstanceType string     `json:"instanceType,omitempty"`
	CreateTime   time.Time  `json:"createTime"`
	VisibleAt    *time.Time `json:"visibleAt,omitempty"`
	// ClientToken is for information, as on LoadBalancer.
	ClientToken string `json:"clientToken,omitempty"`
	// CreatedBy is the AccessKeyId of the CreateEipInstance call; a
	// seeded EIP keeps what the seed says ("" by default).
	CreatedBy string `json:"createdBy,omitempty"`
}

// Default credentials of the emulator.
const (
	DefaultAccessKeyID     = "emulator-ak"
	DefaultAccessKeySecret = "emulator-secret"
)

// DefaultInventory is the built-in account: two regions, each with a network,
// two Running instances and a user-owned Active ELB with an EIP bound to it.
func DefaultInventory() Inventory {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return Inventory{
		Regions: []Region{{ID: "cn-hefei-cmcc-2", Name: "Hefei CMCC 2"}, {ID: "cn-chengdu-telecom-4", Name: "Chengdu Telecom 4"}},
		Networks: []Network{
			{ID: "n-hefei", RegionID: "cn-hefei-cmcc-2", Name: "hefei", CIDR: "10.1.0.0/16",
				VSwitches: []VSwitch{{ID: "vsw-hefei-1", CIDR: "10.1.0.0/24"}, {ID: "vsw-hefei-2", CIDR: "10.1.1.0/24"}}},
			{ID: "n-chengdu", RegionID: "cn-chengdu-telecom-4", Name: "chengdu", CIDR: "10.2.0.0/16",
				VSwitches: []VSwitch{{ID: "vsw-chengdu-1", CIDR: "10.2.0.0/24"}}},
		},
		Instances: []Instance{
			runningInstance("i-hefei-1", "cn-hefei-cmcc-2", "n-hefei", "vsw-hefei-1", "10.1.0.11"),
			runningInstance("i-hefei-2", "cn-hefei-cmcc-2", "n-hefei", "vsw-hefei-1", "10.1.0.12"),
			runningInstance("i-chengdu-1", "cn-chengdu-telecom-4", "n-chengdu", "vsw-chengdu-1", "10.2.0.11"),
			runningInstance("i-chengdu-2", "cn-chengdu-telecom-4", "n-chengdu", "vsw-chengdu-1", "10.2.0.12"),
		},
		LoadBalancers: []LoadBalancer{
			userELB("lb-hefei-existing", "user-elb-hefei", "cn-hefei-cmcc-2", "n-hefei", "vsw-hefei-1", "10.1.0.100", created),
			userELB("lb-chengdu-existing", "user-elb-chengdu", "cn-chengdu-telecom-4", "n-chengdu", "vsw-chengdu-1", "10.2.0.100", created),
		},
		EIPs: []EIP{
			boundEIP("eip-hefei-existing", "user-eip-hefei", "cn-hefei-cmcc-2", "47.110.1.10", "lb-hefei-existing", created),
			boundEIP("eip-chengdu-existing", "user-eip-chengdu", "cn-chengdu-telecom-4", "47.120.1.10", "lb-chengdu-existing", created),
		},
	}
}

func runningInstance(id, region, network, vsw, ip string) Instance {
	return Instance{ID: id, Name: id, RegionID: region, NetworkID: network, VSwitchID: vsw, Status: "Running", PrivateIP: ip}
}

func userELB(id, name, region, network, vsw, addr string, created time.Time) LoadBalancer {
	return LoadBalancer{ID: id, Name: name, RegionID: region, NetworkID: network, VSwitchID: vsw,
		Spec: "elb.s2.small", PayType: "PostPaid", Status: lbActive, Address: addr, CreateTime: created}
}

func boundEIP(id, name, region, addr, lbID string, created time.Time) EIP {
	return EIP{ID: id, Name: name, RegionID: region, Address: addr, Bandwidth: 10,
		InternetChargeType: "95BandwidthByMonth", InstanceChargeType: "PostPaid",
		Status: eipInUse, InstanceID: lbID, InstanceType: eipTypeELB, CreateTime: created}
}

// LoadInventoryFile reads a YAML or JSON inventory.
func LoadInventoryFile(path string) (Inventory, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Inventory{}, err
	}
	var inv Inventory
	if err := yaml.UnmarshalStrict(raw, &inv); err != nil {
		return Inventory{}, fmt.Errorf("parse inventory %s: %w", path, err)
	}
	return inv, nil
}
