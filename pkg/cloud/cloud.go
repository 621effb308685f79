// Package cloud is what the controllers know of the cloud: the Cloud
// interface they call, the ENS values it speaks (load balancers, listeners,
// backends, EIPs, instances) and its typed errors. It links no SDK:
// pkg/cloud/ens implements Cloud with the Alibaba Cloud SDK, and the pure
// model (pkg/elbmodel) uses these values without pulling the SDK in.
package cloud

import "context"

// Cloud is what the controllers call on ENS, and no more. Every list call
// reads all pages; every batch call splits into calls of at most
// MaxBackendsPerCall.
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
	// ReleaseLoadBalancer releases an ELB (ReleaseInstance).
	ReleaseLoadBalancer(ctx context.Context, id string) error

	// DescribeListener returns one listener with all its attributes, or an
	// error that Is ErrNotFound.
	DescribeListener(ctx context.Context, lbID string, port int, protocol string) (*Listener, error)
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
}
