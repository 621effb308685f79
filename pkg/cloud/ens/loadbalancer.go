package ens

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkens "github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// CreateLoadBalancer implements Cloud.
func (c *Client) CreateLoadBalancer(ctx context.Context, in cloud.CreateLoadBalancerRequest) (string, error) {
	req := sdkens.CreateCreateLoadBalancerRequest()
	req.LoadBalancerName = in.Name
	req.EnsRegionId = in.RegionID
	req.NetworkId = in.NetworkID
	req.VSwitchId = in.VSwitchID
	req.LoadBalancerSpec = in.Spec
	req.PayType = cmp.Or(in.PayType, cloud.DefaultPayType)
	req.ClientToken = in.ClientToken
	resp, err := send(ctx, c, (*sdkens.Client).CreateLoadBalancer, req)
	if err != nil {
		return "", err
	}
	return resp.LoadBalancerId, nil
}

// DescribeLoadBalancer implements Cloud.
func (c *Client) DescribeLoadBalancer(ctx context.Context, id string) (*cloud.LoadBalancer, error) {
	req := sdkens.CreateDescribeLoadBalancerAttributeRequest()
	req.LoadBalancerId = id
	resp, err := send(ctx, c, (*sdkens.Client).DescribeLoadBalancerAttribute, req)
	if err != nil {
		return nil, err
	}
	if resp.LoadBalancerId == "" {
		return nil, &cloud.APIError{Action: req.GetActionName(), Code: "EmptyResponse", Message: fmt.Sprintf("no load balancer %q in the answer", id), HTTPStatus: resp.GetHttpStatus(), RequestID: resp.RequestId, Kind: cloud.ErrNotFound}
	}
	lb := &cloud.LoadBalancer{
		ID: resp.LoadBalancerId, Name: resp.LoadBalancerName, RegionID: resp.EnsRegionId,
		NetworkID: resp.NetworkId, VSwitchID: resp.VSwitchId, Spec: resp.LoadBalancerSpec,
		PayType: resp.PayType, Status: resp.LoadBalancerStatus, Address: resp.Address,
	}
	for _, l := range resp.ListenerPortsAndProtocols {
		lb.Listeners = append(lb.Listeners, cloud.Listener{
			Port: l.ListenerPort, Protocol: strings.ToUpper(l.ListenerProtocol),
			BackendPort: l.BackendServerPort, Description: l.Description,
		})
	}
	for _, rs := range resp.BackendServers {
		port, _ := strconv.Atoi(rs.Port) // ENS sends the port as a string; "" means none
		lb.Backends = append(lb.Backends, cloud.Backend{ServerID: rs.ServerId, Type: rs.Type, IP: rs.Ip, Port: port, Weight: rs.Weight})
	}
	return lb, nil
}

// ListLoadBalancers implements Cloud. ENS may match names loosely, so the
// result is narrowed to exact matches of every set filter field.
func (c *Client) ListLoadBalancers(ctx context.Context, f cloud.LoadBalancerFilter) ([]cloud.LoadBalancer, error) {
	lbs, err := listAll(func(lb cloud.LoadBalancer) string { return lb.ID }, func(page int) ([]cloud.LoadBalancer, int, error) {
		req := sdkens.CreateDescribeLoadBalancersRequest()
		req.LoadBalancerId = f.ID
		req.LoadBalancerName = f.Name
		req.EnsRegionId = f.RegionID
		req.NetworkId = f.NetworkID
		req.PageNumber = requests.NewInteger(page)
		req.PageSize = requests.NewInteger(PageSize)
		resp, err := send(ctx, c, (*sdkens.Client).DescribeLoadBalancers, req)
		if err != nil {
			return nil, 0, err
		}
		out := make([]cloud.LoadBalancer, 0, len(resp.LoadBalancers.LoadBalancer))
		for _, lb := range resp.LoadBalancers.LoadBalancer {
			out = append(out, cloud.LoadBalancer{
				ID: lb.LoadBalancerId, Name: lb.LoadBalancerName, RegionID: lb.EnsRegionId,
				NetworkID: lb.NetworkId, VSwitchID: lb.VSwitchId, PayType: lb.PayType,
				Status: lb.LoadBalancerStatus, Address: lb.Address,
			})
		}
		return out, resp.TotalCount, nil
	})
	if err != nil {
		return nil, err
	}
	return filterSlice(lbs, func(lb cloud.LoadBalancer) bool {
		return matches(f.ID, lb.ID) && matches(f.Name, lb.Name) && matches(f.RegionID, lb.RegionID) && matches(f.NetworkID, lb.NetworkID)
	}), nil
}

// SetLoadBalancerStatus sets an ELB Active or InActive (not part of
// cloud.Cloud: no controller stops an ELB).
func (c *Client) SetLoadBalancerStatus(ctx context.Context, id, status string) error {
	req := sdkens.CreateSetLoadBalancerStatusRequest()
	req.LoadBalancerId = id
	req.LoadBalancerStatus = status
	_, err := send(ctx, c, (*sdkens.Client).SetLoadBalancerStatus, req)
	return err
}

// ReleaseLoadBalancer implements Cloud.
func (c *Client) ReleaseLoadBalancer(ctx context.Context, id string) error {
	return c.releaseInstance(ctx, id)
}

// releaseInstance releases an ELB or EIP by id.
func (c *Client) releaseInstance(ctx context.Context, id string) error {
	req := sdkens.CreateReleaseInstanceRequest()
	req.InstanceId = id
	_, err := send(ctx, c, (*sdkens.Client).ReleaseInstance, req)
	return err
}

// matches reports whether a filter field (empty = any) matches a value.
func matches(filter, value string) bool { return filter == "" || filter == value }

func filterSlice[T any](s []T, keep func(T) bool) []T {
	out := s[:0]
	for _, v := range s {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
