package ens

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkens "github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// ListInstances implements Cloud. IDs are asked for in calls of at most
// MaxInstanceIDsPerCall, each read page by page.
func (c *Client) ListInstances(ctx context.Context, f cloud.InstanceFilter) ([]cloud.Instance, error) {
	if len(f.IDs) == 0 {
		return c.listInstances(ctx, f, "")
	}
	var all []cloud.Instance
	for _, ids := range chunks(f.IDs, MaxInstanceIDsPerCall) {
		data, _ := json.Marshal(ids) // a []string always marshals
		part, err := c.listInstances(ctx, f, string(data))
		if err != nil {
			return nil, err
		}
		all = append(all, part...)
	}
	return all, nil
}

// listInstances reads every page of one DescribeInstances query; ids is a
// JSON array string or empty.
func (c *Client) listInstances(ctx context.Context, f cloud.InstanceFilter, ids string) ([]cloud.Instance, error) {
	return listAll(func(i cloud.Instance) string { return i.ID }, func(page int) ([]cloud.Instance, int, error) {
		req := sdkens.CreateDescribeInstancesRequest()
		req.EnsRegionId, req.NetworkId, req.InstanceIds = f.RegionID, f.NetworkID, ids
		req.PageNumber, req.PageSize = requests.NewInteger(page), strconv.Itoa(PageSize)
		resp, err := send(ctx, c, (*sdkens.Client).DescribeInstances, req)
		if err != nil {
			return nil, 0, err
		}
		out := make([]cloud.Instance, 0, len(resp.Instances.Instance))
		for _, in := range resp.Instances.Instance {
			out = append(out, cloud.Instance{
				ID: in.InstanceId, RegionID: in.EnsRegionId, Status: in.Status,
				NetworkID: in.NetworkAttributes.NetworkId, VSwitchID: in.NetworkAttributes.VSwitchId,
				PrivateIP: privateIP(in),
			})
		}
		return out, resp.TotalCount, nil
	})
}

// privateIP is the instance's first private address, wherever ENS put it.
func privateIP(in sdkens.Instance) string {
	if ips := in.NetworkAttributes.PrivateIpAddress.IpAddress; len(ips) > 0 {
		return ips[0]
	}
	if ips := in.PrivateIpAddresses.PrivateIpAddress; len(ips) > 0 {
		return ips[0].Ip
	}
	return ""
}

// DescribeNetwork returns one network, or an error that Is cloud.ErrNotFound
// (not part of cloud.Cloud: no controller needs it).
func (c *Client) DescribeNetwork(ctx context.Context, networkID string) (*cloud.Network, error) {
	req := sdkens.CreateDescribeNetworksRequest()
	req.NetworkId = networkID
	resp, err := send(ctx, c, (*sdkens.Client).DescribeNetworks, req)
	if err != nil {
		return nil, err
	}
	for _, n := range resp.Networks.Network {
		if n.NetworkId == networkID {
			return &cloud.Network{ID: n.NetworkId, RegionID: n.EnsRegionId, VSwitchIDs: n.VSwitchIds.VSwitchId}, nil
		}
	}
	return nil, &cloud.APIError{Action: req.GetActionName(), Code: "NetworkNotFound", Message: fmt.Sprintf("network %q not found", networkID), HTTPStatus: resp.GetHttpStatus(), RequestID: resp.RequestId, Kind: cloud.ErrNotFound}
}
