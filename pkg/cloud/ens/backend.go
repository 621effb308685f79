package ens

import (
	"context"
	"strconv"

	sdkens "github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
)

// backendType defaults an empty backend type to BackendTypeENS.
func backendType(b Backend) string {
	if b.Type == "" {
		return BackendTypeENS
	}
	return b.Type
}

// AddBackends implements Cloud, in calls of at most MaxBackendsPerCall.
// On an error the earlier batches stay added.
func (c *Client) AddBackends(ctx context.Context, lbID string, backends []Backend) error {
	for _, batch := range chunks(backends, MaxBackendsPerCall) {
		servers := make([]sdkens.AddBackendServersBackendServers, 0, len(batch))
		for _, b := range batch {
			servers = append(servers, sdkens.AddBackendServersBackendServers{
				ServerId: b.ServerID, Type: backendType(b), Ip: b.IP,
				Port: strconv.Itoa(b.Port), Weight: strconv.Itoa(b.Weight),
			})
		}
		req := sdkens.CreateAddBackendServersRequest()
		req.LoadBalancerId, req.BackendServers = lbID, &servers
		err := c.call(ctx, req.GetActionName(), func(cl *sdkens.Client) error {
			_, err := cl.AddBackendServers(req)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// RemoveBackends implements Cloud, in calls of at most MaxBackendsPerCall.
// A zero Port removes the server from every port.
func (c *Client) RemoveBackends(ctx context.Context, lbID string, backends []Backend) error {
	for _, batch := range chunks(backends, MaxBackendsPerCall) {
		servers := make([]sdkens.RemoveBackendServersBackendServers, 0, len(batch))
		for _, b := range batch {
			servers = append(servers, sdkens.RemoveBackendServersBackendServers{
				ServerId: b.ServerID, Type: backendType(b), Ip: b.IP, Port: optPort(b.Port),
			})
		}
		req := sdkens.CreateRemoveBackendServersRequest()
		req.LoadBalancerId, req.BackendServers = lbID, &servers
		err := c.call(ctx, req.GetActionName(), func(cl *sdkens.Client) error {
			_, err := cl.RemoveBackendServers(req)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SetBackendWeights implements Cloud, in calls of at most
// MaxBackendsPerCall. ENS sets weights per server (SetBackendServers has no
// port), so the weight applies to every port of that server.
func (c *Client) SetBackendWeights(ctx context.Context, lbID string, backends []Backend) error {
	for _, batch := range chunks(backends, MaxBackendsPerCall) {
		servers := make([]sdkens.SetBackendServersBackendServers, 0, len(batch))
		for _, b := range batch {
			servers = append(servers, sdkens.SetBackendServersBackendServers{
				ServerId: b.ServerID, Type: backendType(b), Weight: strconv.Itoa(b.Weight),
			})
		}
		req := sdkens.CreateSetBackendServersRequest()
		req.LoadBalancerId, req.BackendServers = lbID, &servers
		err := c.call(ctx, req.GetActionName(), func(cl *sdkens.Client) error {
			_, err := cl.SetBackendServers(req)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// optPort is a backend port as ENS takes it; zero is left out.
func optPort(port int) string {
	if port == 0 {
		return ""
	}
	return strconv.Itoa(port)
}
