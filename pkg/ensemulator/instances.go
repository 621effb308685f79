package ensemulator

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// maxInstanceIDs is the most ids DescribeInstances takes in InstanceIds.
const maxInstanceIDs = 100

func (e *Emulator) describeInstances(c *call) (obj, *apiError) {
	pg, aerr := c.p.page()
	if aerr != nil {
		return nil, aerr
	}
	var ids []string
	idsGiven, aerr := c.p.jsonParam("InstanceIds", &ids)
	if aerr != nil {
		return nil, aerr
	}
	if len(ids) > maxInstanceIDs {
		return nil, invalidParam("At most %d InstanceIds are allowed, got %d.", maxInstanceIDs, len(ids))
	}
	items := []obj{}
	for _, in := range sortedByID(e.store.instances) {
		// InstanceIds "[]" asks for no instance (ens-openapi.md: "DescribeInstances
		// with InstanceIds [] returns an empty result"), not for all.
		if instanceMatches(in, c.p) && (!idsGiven || slices.Contains(ids, in.ID)) {
			items = append(items, instanceView(in))
		}
	}
	body := pageAnswer(pg, len(items))
	body["Code"] = 0
	body["Instances"] = obj{"Instance": paginate(items, pg)}
	return body, nil
}

func instanceMatches(in *Instance, p params) bool {
	return matchField(p.str("EnsRegionId"), in.RegionID) &&
		matchField(p.str("NetworkId"), in.NetworkID) &&
		matchField(p.str("VSwitchId"), in.VSwitchID) &&
		matchField(p.str("InstanceId"), in.ID) &&
		matchField(p.str("Status"), in.Status) &&
		matchField(p.str("IntranetIp"), in.PrivateIP)
}

func instanceView(in *Instance) obj {
	return obj{
		"InstanceId": in.ID, "InstanceName": in.Name, "HostName": in.Name, "EnsRegionId": in.RegionID,
		"Status": in.Status, "InstanceResourceType": "EnsService",
		"NetworkAttributes": obj{"NetworkId": in.NetworkID, "VSwitchId": in.VSwitchID,
			"PrivateIpAddress": obj{"IpAddress": []string{in.PrivateIP}}},
		"PrivateIpAddresses": obj{"PrivateIpAddress": []obj{{"Ip": in.PrivateIP}}},
		"InnerIpAddress":     obj{"IpAddress": []string{}},
	}
}

// maxNetworksPageSize is DescribeNetworks' smaller page limit
// (ens-openapi.md: "DescribeNetworks PageSize 1–50").
const maxNetworksPageSize = 50

func (e *Emulator) describeNetworks(c *call) (obj, *apiError) {
	pg, aerr := c.p.pageUpTo(maxNetworksPageSize)
	if aerr != nil {
		return nil, aerr
	}
	ids, regions := c.p.repeated("NetworkIds"), c.p.repeated("EnsRegionIds")
	items := []obj{}
	for _, n := range sortedByID(e.store.networks) {
		if matchField(c.p.str("NetworkId"), n.ID) && matchField(c.p.str("EnsRegionId"), n.RegionID) &&
			matchField(c.p.str("NetworkName"), n.Name) &&
			(len(ids) == 0 || slices.Contains(ids, n.ID)) && (len(regions) == 0 || slices.Contains(regions, n.RegionID)) {
			items = append(items, networkView(n))
		}
	}
	body := pageAnswer(pg, len(items))
	body["Networks"] = obj{"Network": paginate(items, pg)}
	return body, nil
}

func networkView(n *Network) obj {
	vsws := []string{}
	for _, v := range n.VSwitches {
		vsws = append(vsws, v.ID)
	}
	return obj{"NetworkId": n.ID, "NetworkName": n.Name, "EnsRegionId": n.RegionID, "CidrBlock": n.CIDR,
		"Status": "Available", "VSwitchIds": obj{"VSwitchId": vsws}}
}

func (e *Emulator) describeRegions(c *call) (obj, *apiError) {
	items := []obj{}
	for _, r := range sortedByID(e.store.regions) {
		if matchField(c.p.str("EnsRegionId"), r.ID) {
			items = append(items, obj{"EnsRegionId": r.ID, "Name": r.Name, "EnName": r.Name})
		}
	}
	return obj{"EnsRegions": obj{"EnsRegions": items}}, nil
}

func sortedByID[T any](m map[string]*T) []*T {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]*T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// allocateAddress picks a free private address in the vSwitch (or the
// network) for an ELB, from host .100 on.
func (s *store) allocateAddress(networkID, vswID string) (string, *apiError) {
	taken := map[string]bool{}
	for _, in := range s.instances {
		taken[in.PrivateIP] = true
	}
	for _, lb := range s.lbs {
		taken[lb.Address] = true
	}
	prefix := s.subnetOf(networkID, vswID)
	base := prefix.Masked().Addr().As4()
	first := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	hosts := uint32(1)<<(32-prefix.Bits()) - 3 // without network, gateway and broadcast
	for i := range hosts {
		n := first + 2 + (i+98)%hosts
		a := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}).String()
		if !taken[a] {
			return a, nil
		}
	}
	return "", newError("InvalidVSwitchId.IpNotEnough", "The vSwitch %s has no free address.", vswID)
}

// subnetOf is the IPv4 CIDR of a vSwitch, else of its network, else a
// default.
func (s *store) subnetOf(networkID, vswID string) netip.Prefix {
	cidr := ""
	if n := s.networks[networkID]; n != nil {
		cidr = n.CIDR
		for _, v := range n.VSwitches {
			if v.ID == vswID && v.CIDR != "" {
				cidr = v.CIDR
			}
		}
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(cidr))
	if err != nil || !p.Addr().Is4() || p.Bits() < 8 || p.Bits() > 28 {
		return netip.MustParsePrefix("172.16.0.0/16")
	}
	return p
}
