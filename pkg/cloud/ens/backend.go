package ens

import (
	"context"
	"strconv"

	sdkens "github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// backendType defaults an empty backend type to BackendTypeENS.
func backendType(b cloud.Backend) string {
	if b.Type == "" {
		return cloud.BackendTypeENS
	}
	return b.Type
}

// AddBackends implements Cloud, in calls of at most MaxBackendsPerCall.
// On an error the earlier batches stay added. A zero Port is not sent: ENS
// then keeps one entry for the instance (reported as Port 0) and each
// listener's BackendServerPort routes to it.
func (c *Client) AddBackends(ctx context.Context, lbID string, backends []cloud.Backend) error {
	return inBatches(backends, func(b cloud.Backend) sdkens.AddBackendServersBackendServers {
		return sdkens.AddBackendServersBackendServers{
			ServerId: b.ServerID, Type: backendType(b), Ip: b.IP,
			Port: optPort(b.Port), Weight: strconv.Itoa(b.Weight),
		}
	}, func(servers *[]sdkens.AddBackendServersBackendServers) error {
		req := sdkens.CreateAddBackendServersRequest()
		req.LoadBalancerId, req.BackendServers = lbID, servers
		_, err := send(ctx, c, (*sdkens.Client).AddBackendServers, req)
		return err
	})
}

// RemoveBackends implements Cloud, in calls of at most MaxBackendsPerCall.
// A zero Port removes the server from every port.
func (c *Client) RemoveBackends(ctx context.Context, lbID string, backends []cloud.Backend) error {
	return inBatches(backends, func(b cloud.Backend) sdkens.RemoveBackendServersBackendServers {
		return sdkens.RemoveBackendServersBackendServers{
			ServerId: b.ServerID, Type: backendType(b), Ip: b.IP, Port: optPort(b.Port),
		}
	}, func(servers *[]sdkens.RemoveBackendServersBackendServers) error {
		req := sdkens.CreateRemoveBackendServersRequest()
		req.LoadBalancerId, req.BackendServers = lbID, servers
		_, err := send(ctx, c, (*sdkens.Client).RemoveBackendServers, req)
		return err
	})
}

// SetBackendWeights implements Cloud, in calls of at most
// MaxBackendsPerCall. ENS sets weights per server (SetBackendServers has no
// port), so the weight applies to every port of that server.
func (c *Client) SetBackendWeights(ctx context.Context, lbID string, backends []cloud.Backend) error {
	return inBatches(backends, func(b cloud.Backend) sdkens.SetBackendServersBackendServers {
		return sdkens.SetBackendServersBackendServers{
			ServerId: b.ServerID, Type: backendType(b), Weight: strconv.Itoa(b.Weight),
		}
	}, func(servers *[]sdkens.SetBackendServersBackendServers) error {
		req := sdkens.CreateSetBackendServersRequest()
		req.LoadBalancerId, req.BackendServers = lbID, servers
		_, err := send(ctx, c, (*sdkens.Client).SetBackendServers, req)
		return err
	})
}

// inBatches sends backends, converted to the action's server type, in calls
// of at most MaxBackendsPerCall (the ENS limit). It stops at the first error;
// the batches already sent stay applied.
func inBatches[S any](backends []cloud.Backend, server func(cloud.Backend) S, sendBatch func(servers *[]S) error) error {
	for _, batch := range chunks(backends, cloud.MaxBackendsPerCall) {
		servers := make([]S, 0, len(batch))
		for _, b := range batch {
			servers = append(servers, server(b))
		}
		if err := sendBatch(&servers); err != nil {
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
