package ens

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkens "github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// CreateEIP implements Cloud.
func (c *Client) CreateEIP(ctx context.Context, in cloud.CreateEIPRequest) (string, error) {
	req := sdkens.CreateCreateEipInstanceRequest()
	req.Name, req.Description, req.EnsRegionId = in.Name, in.Description, in.RegionID
	req.Bandwidth, req.Isp = optInt(in.Bandwidth), in.ISP
	req.InternetChargeType = cmp.Or(in.InternetChargeType, cloud.DefaultEIPInternetChargeType)
	req.InstanceChargeType = cmp.Or(in.InstanceChargeType, cloud.DefaultEIPInstanceChargeType)
	req.ClientToken = in.ClientToken
	resp, err := send(ctx, c, (*sdkens.Client).CreateEipInstance, req)
	if err != nil {
		return "", err
	}
	return resp.AllocationId, nil
}

// ListEIPs implements Cloud. ENS may match names loosely, so the result is
// narrowed to exact matches of every set filter field.
func (c *Client) ListEIPs(ctx context.Context, f cloud.EIPFilter) ([]cloud.EIP, error) {
	if len(f.AllocationIDs) > 0 {
		return c.listEIPsByID(ctx, f)
	}
	eips, err := c.listEIPs(ctx, f)
	if err != nil {
		return nil, err
	}
	return filterSlice(eips, func(e cloud.EIP) bool { return eipMatches(f, e) && matches(f.AllocationID, e.AllocationID) }), nil
}

// maxEIPIDsPerCall is how many ids DescribeEnsEipAddresses's AllocationId
// takes, comma-separated (ens-openapi.md).
const maxEIPIDsPerCall = 50

// listEIPsByID reads f.AllocationIDs, up to maxEIPIDsPerCall a call.
func (c *Client) listEIPsByID(ctx context.Context, f cloud.EIPFilter) ([]cloud.EIP, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(f.AllocationIDs)))
	var out []cloud.EIP
	for _, batch := range chunks(ids, maxEIPIDsPerCall) {
		g := f
		g.AllocationID, g.AllocationIDs = strings.Join(batch, ","), nil
		eips, err := c.listEIPs(ctx, g)
		if err != nil {
			return nil, err
		}
		out = append(out, filterSlice(eips, func(e cloud.EIP) bool {
			_, ok := slices.BinarySearch(batch, e.AllocationID)
			return ok && eipMatches(f, e)
		})...)
	}
	return out, nil
}

// eipMatches applies the filter fields but the ids.
func eipMatches(f cloud.EIPFilter, e cloud.EIP) bool {
	return matches(f.Name, e.Name) && matches(f.RegionID, e.RegionID) &&
		matches(f.AssociatedInstanceID, e.AssociatedInstanceID) && matches(f.AssociatedInstanceType, e.AssociatedInstanceType)
}

// listEIPs reads every page of what f asks ENS for.
func (c *Client) listEIPs(ctx context.Context, f cloud.EIPFilter) ([]cloud.EIP, error) {
	return listAll(func(e cloud.EIP) string { return e.AllocationID }, func(page int) ([]cloud.EIP, int, error) {
		req := sdkens.CreateDescribeEnsEipAddressesRequest()
		req.AllocationId, req.EipName, req.EnsRegionId = f.AllocationID, f.Name, f.RegionID
		req.AssociatedInstanceId, req.AssociatedInstanceType = f.AssociatedInstanceID, f.AssociatedInstanceType
		req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(PageSize)
		resp, err := send(ctx, c, (*sdkens.Client).DescribeEnsEipAddresses, req)
		if err != nil {
			return nil, 0, err
		}
		out := make([]cloud.EIP, 0, len(resp.EipAddresses.EipAddress))
		for _, e := range resp.EipAddresses.EipAddress {
			out = append(out, cloud.EIP{
				AllocationID: e.AllocationId, Name: e.Name, Description: e.Description, IP: e.IpAddress,
				RegionID: e.EnsRegionId, Status: e.Status, Bandwidth: e.Bandwidth, ISP: e.Isp,
				InternetChargeType: e.InternetChargeType, InstanceChargeType: e.ChargeType,
				AssociatedInstanceID: e.InstanceId, AssociatedInstanceType: e.InstanceType,
			})
		}
		return out, resp.TotalCount, nil
	})
}

// AssociateEIP implements Cloud.
func (c *Client) AssociateEIP(ctx context.Context, allocationID, lbID string) error {
	req := sdkens.CreateAssociateEnsEipAddressRequest()
	req.AllocationId, req.InstanceId, req.InstanceType = allocationID, lbID, cloud.EIPInstanceTypeELB
	_, err := send(ctx, c, (*sdkens.Client).AssociateEnsEipAddress, req)
	return err
}

// UnassociateEIP implements Cloud.
func (c *Client) UnassociateEIP(ctx context.Context, allocationID string) error {
	req := sdkens.CreateUnAssociateEnsEipAddressRequest()
	req.AllocationId = allocationID
	_, err := send(ctx, c, (*sdkens.Client).UnAssociateEnsEipAddress, req)
	return err
}

// ModifyEIPBandwidth implements Cloud.
func (c *Client) ModifyEIPBandwidth(ctx context.Context, allocationID string, bandwidth int) error {
	req := sdkens.CreateModifyEnsEipAddressAttributeRequest()
	req.AllocationId, req.Bandwidth = allocationID, requests.NewInteger(bandwidth)
	_, err := send(ctx, c, (*sdkens.Client).ModifyEnsEipAddressAttribute, req)
	return err
}

// ReleaseEIP implements Cloud.
func (c *Client) ReleaseEIP(ctx context.Context, allocationID string) error {
	return c.releaseInstance(ctx, allocationID)
}
