package ens

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkens "github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// Listener protocols (Listener.Protocol is upper case).
const (
	ProtocolTCP   = "TCP"
	ProtocolUDP   = "UDP"
	ProtocolHTTP  = "HTTP"
	ProtocolHTTPS = "HTTPS"
)

// optInt is an optional integer parameter: zero is not sent, so ENS keeps
// its default.
func optInt(n int) requests.Integer {
	if n == 0 {
		return ""
	}
	return requests.NewInteger(n)
}

// listenerStatuses are the canonical listener statuses.
var listenerStatuses = []string{cloud.ListenerRunning, cloud.ListenerStopped, cloud.ListenerStarting, cloud.ListenerConfiguring, cloud.ListenerStopping}

// canonicalStatus maps a listener status as ENS answers it ("running" in
// DescribeLoadBalancerListeners, "Running" elsewhere) to its constant; an
// unknown status is kept as it is.
func canonicalStatus(s string) string {
	for _, c := range listenerStatuses {
		if strings.EqualFold(s, c) {
			return c
		}
	}
	return s
}

// wireProtocol is the ListenerProtocol parameter of Start/Stop/Delete.
func wireProtocol(p string) string { return strings.ToLower(p) }

func unsupportedProtocol(action, protocol string) error {
	return &cloud.APIError{Action: action, Code: "UnsupportedProtocol", Message: fmt.Sprintf("listener protocol %q is not TCP, UDP, HTTP or HTTPS", protocol), Kind: cloud.ErrInvalidInput}
}

// listenerOps are the protocol-specific ENS actions of one listener
// protocol: ENS has a separate create, set and describe action per protocol.
type listenerOps struct {
	create   func(c *Client, ctx context.Context, lbID string, l cloud.Listener) error
	update   func(c *Client, ctx context.Context, lbID string, l cloud.Listener) error
	describe func(c *Client, ctx context.Context, lbID string, port int) (*cloud.Listener, error)
}

var listenerProtocols = map[string]listenerOps{
	ProtocolTCP:   {create: (*Client).createTCPListener, update: (*Client).setTCPListener, describe: (*Client).describeTCPListener},
	ProtocolUDP:   {create: (*Client).createUDPListener, update: (*Client).setUDPListener, describe: (*Client).describeUDPListener},
	ProtocolHTTP:  {create: (*Client).createHTTPListener, update: (*Client).setHTTPListener, describe: (*Client).describeHTTPListener},
	ProtocolHTTPS: {create: (*Client).createHTTPSListener, update: (*Client).setHTTPSListener, describe: (*Client).describeHTTPSListener},
}

// CreateListener implements Cloud, dispatching on l.Protocol.
func (c *Client) CreateListener(ctx context.Context, lbID string, l cloud.Listener) error {
	ops, ok := listenerProtocols[strings.ToUpper(l.Protocol)]
	if !ok {
		return unsupportedProtocol("CreateListener", l.Protocol)
	}
	return ops.create(c, ctx, lbID, l)
}

// UpdateListener implements Cloud, dispatching on l.Protocol.
func (c *Client) UpdateListener(ctx context.Context, lbID string, l cloud.Listener) error {
	ops, ok := listenerProtocols[strings.ToUpper(l.Protocol)]
	if !ok {
		return unsupportedProtocol("UpdateListener", l.Protocol)
	}
	return ops.update(c, ctx, lbID, l)
}

// DescribeListener implements Cloud, dispatching on protocol.
func (c *Client) DescribeListener(ctx context.Context, lbID string, port int, protocol string) (*cloud.Listener, error) {
	ops, ok := listenerProtocols[strings.ToUpper(protocol)]
	if !ok {
		return nil, unsupportedProtocol("DescribeListener", protocol)
	}
	return ops.describe(c, ctx, lbID, port)
}

// The per-protocol request types share no Go type, so each protocol sets its
// own fields. PersistenceTimeout is always sent (0 turns it off); the other
// optional integers are left out at zero so that ENS keeps its default.

func (c *Client) createTCPListener(ctx context.Context, lbID string, l cloud.Listener) error {
	req := sdkens.CreateCreateLoadBalancerTCPListenerRequest()
	req.LoadBalancerId, req.ListenerPort, req.BackendServerPort = lbID, requests.NewInteger(l.Port), requests.NewInteger(l.BackendPort)
	req.Description, req.Scheduler = l.Description, l.Scheduler
	req.PersistenceTimeout = requests.NewInteger(l.PersistenceTimeout)
	req.EstablishedTimeout = optInt(l.EstablishedTimeout)
	req.HealthyThreshold, req.UnhealthyThreshold = optInt(l.HealthyThreshold), optInt(l.UnhealthyThreshold)
	req.HealthCheckInterval, req.HealthCheckConnectTimeout = optInt(l.HealthCheckInterval), optInt(l.HealthCheckConnectTimeout)
	_, err := send(ctx, c, (*sdkens.Client).CreateLoadBalancerTCPListener, req)
	return err
}

func (c *Client) createUDPListener(ctx context.Context, lbID string, l cloud.Listener) error {
	req := sdkens.CreateCreateLoadBalancerUDPListenerRequest()
	req.LoadBalancerId, req.ListenerPort, req.BackendServerPort = lbID, requests.NewInteger(l.Port), requests.NewInteger(l.BackendPort)
	req.Description, req.Scheduler = l.Description, l.Scheduler
	req.EstablishedTimeout = optInt(l.EstablishedTimeout)
	req.HealthyThreshold, req.UnhealthyThreshold = optInt(l.HealthyThreshold), optInt(l.UnhealthyThreshold)
	req.HealthCheckInterval, req.HealthCheckConnectTimeout = optInt(l.HealthCheckInterval), optInt(l.HealthCheckConnectTimeout)
	_, err := send(ctx, c, (*sdkens.Client).CreateLoadBalancerUDPListener, req)
	return err
}

func (c *Client) createHTTPListener(ctx context.Context, lbID string, l cloud.Listener) error {
	req := sdkens.CreateCreateLoadBalancerHTTPListenerRequest()
	req.LoadBalancerId, req.ListenerPort, req.BackendServerPort = lbID, requests.NewInteger(l.Port), requests.NewInteger(l.BackendPort)
	req.Description, req.Scheduler = l.Description, l.Scheduler
	req.HealthyThreshold, req.UnhealthyThreshold = optInt(l.HealthyThreshold), optInt(l.UnhealthyThreshold)
	req.HealthCheckInterval, req.HealthCheckTimeout = optInt(l.HealthCheckInterval), optInt(l.HealthCheckConnectTimeout)
	_, err := send(ctx, c, (*sdkens.Client).CreateLoadBalancerHTTPListener, req)
	return err
}

func (c *Client) createHTTPSListener(ctx context.Context, lbID string, l cloud.Listener) error {
	req := sdkens.CreateCreateLoadBalancerHTTPSListenerRequest()
	req.LoadBalancerId, req.ListenerPort, req.BackendServerPort = lbID, requests.NewInteger(l.Port), requests.NewInteger(l.BackendPort)
	req.Description, req.Scheduler, req.ServerCertificateId = l.Description, l.Scheduler, l.ServerCertificateID
	req.HealthyThreshold, req.UnhealthyThreshold = optInt(l.HealthyThreshold), optInt(l.UnhealthyThreshold)
	req.HealthCheckInterval, req.HealthCheckTimeout = optInt(l.HealthCheckInterval), optInt(l.HealthCheckConnectTimeout)
	_, err := send(ctx, c, (*sdkens.Client).CreateLoadBalancerHTTPSListener, req)
	return err
}

func (c *Client) setTCPListener(ctx context.Context, lbID string, l cloud.Listener) error {
	req := sdkens.CreateSetLoadBalancerTCPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(l.Port)
	req.Description, req.Scheduler = l.Description, l.Scheduler
	req.PersistenceTimeout = requests.NewInteger(l.PersistenceTimeout)
	req.EstablishedTimeout = optInt(l.EstablishedTimeout)
	req.HealthyThreshold, req.UnhealthyThreshold = optInt(l.HealthyThreshold), optInt(l.UnhealthyThreshold)
	req.HealthCheckInterval, req.HealthCheckConnectTimeout = optInt(l.HealthCheckInterval), optInt(l.HealthCheckConnectTimeout)
	_, err := send(ctx, c, (*sdkens.Client).SetLoadBalancerTCPListenerAttribute, req)
	return err
}

func (c *Client) setUDPListener(ctx context.Context, lbID string, l cloud.Listener) error {
	req := sdkens.CreateSetLoadBalancerUDPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(l.Port)
	req.Description, req.Scheduler = l.Description, l.Scheduler
	req.EstablishedTimeout = optInt(l.EstablishedTimeout)
	req.HealthyThreshold, req.UnhealthyThreshold = optInt(l.HealthyThreshold), optInt(l.UnhealthyThreshold)
	req.HealthCheckInterval, req.HealthCheckConnectTimeout = optInt(l.HealthCheckInterval), optInt(l.HealthCheckConnectTimeout)
	_, err := send(ctx, c, (*sdkens.Client).SetLoadBalancerUDPListenerAttribute, req)
	return err
}

func (c *Client) setHTTPListener(ctx context.Context, lbID string, l cloud.Listener) error {
	req := sdkens.CreateSetLoadBalancerHTTPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(l.Port)
	req.Description, req.Scheduler = l.Description, l.Scheduler
	req.HealthyThreshold, req.UnhealthyThreshold = optInt(l.HealthyThreshold), optInt(l.UnhealthyThreshold)
	req.HealthCheckInterval, req.HealthCheckTimeout = optInt(l.HealthCheckInterval), optInt(l.HealthCheckConnectTimeout)
	_, err := send(ctx, c, (*sdkens.Client).SetLoadBalancerHTTPListenerAttribute, req)
	return err
}

func (c *Client) setHTTPSListener(ctx context.Context, lbID string, l cloud.Listener) error {
	req := sdkens.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(l.Port)
	req.Description, req.Scheduler, req.ServerCertificateId = l.Description, l.Scheduler, l.ServerCertificateID
	req.HealthyThreshold, req.UnhealthyThreshold = optInt(l.HealthyThreshold), optInt(l.UnhealthyThreshold)
	req.HealthCheckInterval, req.HealthCheckTimeout = optInt(l.HealthCheckInterval), optInt(l.HealthCheckConnectTimeout)
	_, err := send(ctx, c, (*sdkens.Client).SetLoadBalancerHTTPSListenerAttribute, req)
	return err
}

func (c *Client) describeTCPListener(ctx context.Context, lbID string, port int) (*cloud.Listener, error) {
	req := sdkens.CreateDescribeLoadBalancerTCPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	r, err := send(ctx, c, (*sdkens.Client).DescribeLoadBalancerTCPListenerAttribute, req)
	if err != nil {
		return nil, err
	}
	return &cloud.Listener{
		Port: r.ListenerPort, Protocol: ProtocolTCP, BackendPort: r.BackendServerPort, Description: r.Description,
		Status: canonicalStatus(r.Status), Scheduler: r.Scheduler, PersistenceTimeout: r.PersistenceTimeout, EstablishedTimeout: r.EstablishedTimeout,
		HealthyThreshold: r.HealthyThreshold, UnhealthyThreshold: r.UnhealthyThreshold,
		HealthCheckInterval: r.HealthCheckInterval, HealthCheckConnectTimeout: r.HealthCheckConnectTimeout,
	}, nil
}

func (c *Client) describeUDPListener(ctx context.Context, lbID string, port int) (*cloud.Listener, error) {
	req := sdkens.CreateDescribeLoadBalancerUDPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	r, err := send(ctx, c, (*sdkens.Client).DescribeLoadBalancerUDPListenerAttribute, req)
	if err != nil {
		return nil, err
	}
	return &cloud.Listener{
		Port: r.ListenerPort, Protocol: ProtocolUDP, BackendPort: r.BackendServerPort, Description: r.Description,
		Status: canonicalStatus(r.Status), Scheduler: r.Scheduler, EstablishedTimeout: r.EstablishedTimeout,
		HealthyThreshold: r.HealthyThreshold, UnhealthyThreshold: r.UnhealthyThreshold,
		HealthCheckInterval: r.HealthCheckInterval, HealthCheckConnectTimeout: r.HealthCheckConnectTimeout,
	}, nil
}

func (c *Client) describeHTTPListener(ctx context.Context, lbID string, port int) (*cloud.Listener, error) {
	req := sdkens.CreateDescribeLoadBalancerHTTPListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	r, err := send(ctx, c, (*sdkens.Client).DescribeLoadBalancerHTTPListenerAttribute, req)
	if err != nil {
		return nil, err
	}
	return &cloud.Listener{
		Port: r.ListenerPort, Protocol: ProtocolHTTP, BackendPort: r.BackendServerPort, Description: r.Description,
		Status: canonicalStatus(r.Status), Scheduler: r.Scheduler, ServerCertificateID: r.ServerCertificateId,
		HealthyThreshold: r.HealthyThreshold, UnhealthyThreshold: r.UnhealthyThreshold,
		HealthCheckInterval: r.HealthCheckInterval, HealthCheckConnectTimeout: r.HealthCheckTimeout,
	}, nil
}

func (c *Client) describeHTTPSListener(ctx context.Context, lbID string, port int) (*cloud.Listener, error) {
	req := sdkens.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
	req.LoadBalancerId, req.ListenerPort = lbID, requests.NewInteger(port)
	r, err := send(ctx, c, (*sdkens.Client).DescribeLoadBalancerHTTPSListenerAttribute, req)
	if err != nil {
		return nil, err
	}
	return &cloud.Listener{
		Port: r.ListenerPort, Protocol: ProtocolHTTPS, BackendPort: r.BackendServerPort, Description: r.Description,
		Status: canonicalStatus(r.Status), Scheduler: r.Scheduler, ServerCertificateID: r.ServerCertificateId,
		HealthyThreshold: r.HealthyThreshold, UnhealthyThreshold: r.UnhealthyThreshold,
		HealthCheckInterval: r.HealthCheckInterval, HealthCheckConnectTimeout: r.HealthCheckTimeout,
	}, nil
}

// ListListeners returns every listener of an ELB with its status (not part
// of cloud.Cloud: DescribeLoadBalancer reads them).
func (c *Client) ListListeners(ctx context.Context, lbID string) ([]cloud.Listener, error) {
	key := func(l cloud.Listener) string { return l.Protocol + "/" + strconv.Itoa(l.Port) }
	return listAll(key, func(page int) ([]cloud.Listener, int, error) {
		req := sdkens.CreateDescribeLoadBalancerListenersRequest()
		req.LoadBalancerId = lbID
		req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(PageSize)
		resp, err := send(ctx, c, (*sdkens.Client).DescribeLoadBalancerListeners, req)
		if err != nil {
			return nil, 0, err
		}
		out := make([]cloud.Listener, 0, len(resp.Listeners.Listener))
		for _, l := range resp.Listeners.Listener {
			port, err := strconv.Atoi(l.ListenerPort) // a string in this response
			if err != nil {
				return nil, 0, &cloud.APIError{Action: req.GetActionName(), Code: "InvalidResponse", Message: fmt.Sprintf("listener port %q is not a number", l.ListenerPort), HTTPStatus: resp.GetHttpStatus(), RequestID: resp.RequestId}
			}
			out = append(out, cloud.Listener{
				Port: port, Protocol: strings.ToUpper(l.Protocol), BackendPort: l.BackendServerPort,
				Description: l.Description, Status: canonicalStatus(l.Status),
			})
		}
		return out, resp.TotalCount, nil
	})
}

// StartListener implements Cloud.
func (c *Client) StartListener(ctx context.Context, lbID string, port int, protocol string) error {
	req := sdkens.CreateStartLoadBalancerListenerRequest()
	req.LoadBalancerId, req.ListenerPort, req.ListenerProtocol = lbID, requests.NewInteger(port), wireProtocol(protocol)
	_, err := send(ctx, c, (*sdkens.Client).StartLoadBalancerListener, req)
	return err
}

// StopListener implements Cloud.
func (c *Client) StopListener(ctx context.Context, lbID string, port int, protocol string) error {
	req := sdkens.CreateStopLoadBalancerListenerRequest()
	req.LoadBalancerId, req.ListenerPort, req.ListenerProtocol = lbID, requests.NewInteger(port), wireProtocol(protocol)
	_, err := send(ctx, c, (*sdkens.Client).StopLoadBalancerListener, req)
	return err
}

// DeleteListener implements Cloud.
func (c *Client) DeleteListener(ctx context.Context, lbID string, port int, protocol string) error {
	req := sdkens.CreateDeleteLoadBalancerListenerRequest()
	req.LoadBalancerId, req.ListenerPort, req.ListenerProtocol = lbID, requests.NewInteger(port), wireProtocol(protocol)
	_, err := send(ctx, c, (*sdkens.Client).DeleteLoadBalancerListener, req)
	return err
}
