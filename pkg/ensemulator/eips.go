package ensemulator

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// EIP limits, from ens-openapi.md ("EIP: CreateEipInstance
// InstanceChargeType and InternetChargeType required; Bandwidth 5–10000
// default 5; Isp cmcc|unicom|telecom"; "ModifyEnsEipAddressAttribute
// Bandwidth 5–10000, Name 2–128, Description 2–256").
const (
	minBandwidth         = 5
	maxBandwidth         = 10000
	defaultEIPBand       = 5
	minEIPTextLen        = 2
	maxEIPNameLen        = 128
	maxEIPDescriptionLen = 256
)

var isps = []string{"cmcc", "unicom", "telecom"}

func (e *Emulator) createEip(c *call) (obj, *apiError) {
	id, aerr := e.clientTokenRepeat(c)
	if aerr != nil {
		return nil, aerr
	}
	if id == "" {
		eip, aerr := e.newEIP(c)
		if aerr != nil {
			return nil, aerr
		}
		e.store.eips[eip.ID] = eip
		e.rememberToken(c, eip.ID)
		id = eip.ID
	}
	return obj{"AllocationId": id}, nil
}

func (e *Emulator) newEIP(c *call) (*EIP, *apiError) {
	eip := &EIP{Status: eipAvailable, CreateTime: c.now, Name: c.p.str("Name"), Description: c.p.str("Description"),
		Isp: c.p.str("Isp"), ClientToken: c.p.str("ClientToken"), CreatedBy: c.accessKey}
	if aerr := c.p.requiredInto(requiredField{"EnsRegionId", &eip.RegionID},
		requiredField{"InstanceChargeType", &eip.InstanceChargeType},
		requiredField{"InternetChargeType", &eip.InternetChargeType}); aerr != nil {
		return nil, aerr
	}
	if e.store.regions[eip.RegionID] == nil {
		return nil, invalidParam("The EnsRegionId %q does not exist.", eip.RegionID)
	}
	var aerr *apiError
	if eip.Bandwidth, aerr = c.p.rangedInt("Bandwidth", defaultEIPBand, minBandwidth, maxBandwidth); aerr != nil {
		return nil, aerr
	}
	if eip.Isp != "" && !slices.Contains(isps, eip.Isp) {
		return nil, invalidParamOf("Isp", "The Isp %q is not one of %s.", eip.Isp, strings.Join(isps, ", "))
	}
	if aerr := checkEIPText(c.p); aerr != nil {
		return nil, aerr
	}
	eip.ID = e.newID("eip-", func(id string) bool { return e.store.eips[id] != nil })
	eip.Address = e.newPublicAddress()
	if c.visibility > 0 {
		eip.VisibleAt = ptr(c.now.Add(c.visibility))
	}
	return eip, nil
}

// checkEIPText checks the Name and Description a call gives.
func checkEIPText(p params) *apiError {
	if aerr := p.textLen("Name", minEIPTextLen, maxEIPNameLen); aerr != nil {
		return aerr
	}
	return p.textLen("Description", minEIPTextLen, maxEIPDescriptionLen)
}

// newPublicAddress draws an unused public address. Callers hold mu.
func (e *Emulator) newPublicAddress() string {
	taken := map[string]bool{}
	for _, o := range e.store.eips {
		taken[o.Address] = true
	}
	for {
		addr := fmt.Sprintf("47.%d.%d.%d", 100+e.rng.IntN(100), e.rng.IntN(256), 1+e.rng.IntN(254))
		if !taken[addr] {
			return addr
		}
	}
}

// eip finds the EIP a call names by AllocationId.
func (e *Emulator) eip(c *call) (*EIP, *apiError) {
	id, aerr := c.p.required("AllocationId")
	if aerr != nil {
		return nil, aerr
	}
	eip := e.store.eips[id]
	if eip == nil {
		return nil, eipNotFound(id)
	}
	return eip, nil
}

func (e *Emulator) associateEip(c *call) (obj, *apiError) {
	eip, aerr := e.eip(c)
	if aerr != nil {
		return nil, aerr
	}
	var instID, instType string
	if aerr := c.p.requiredInto(requiredField{"InstanceId", &instID}, requiredField{"InstanceType", &instType}); aerr != nil {
		return nil, aerr
	}
	if instType != eipTypeELB {
		return nil, invalidParam("The InstanceType %q is not supported; use %s.", instType, eipTypeELB)
	}
	lb := e.store.lbs[instID]
	if lb == nil {
		// ens-openapi.md, EIP: AssociateEnsEipAddress "errors InstanceNotFound, ...".
		return nil, instanceNotFound(instID)
	}
	if aerr := e.checkAssociation(eip, lb); aerr != nil {
		return nil, aerr
	}
	eip.InstanceID, eip.InstanceType = lb.ID, eipTypeELB
	e.moveEIP(eip, eipAssociating, eipInUse, c.now)
	return obj{}, nil
}

func (e *Emulator) checkAssociation(eip *EIP, lb *LoadBalancer) *apiError {
	if eip.Status != eipAvailable {
		return newError(CodeIncorrectEipStatus, "The EIP %s is %s, not Available.", eip.ID, eip.Status)
	}
	if eip.RegionID != lb.RegionID {
		return invalidParam("The EIP %s is in %s, the load balancer %s in %s.", eip.ID, eip.RegionID, lb.ID, lb.RegionID)
	}
	for _, other := range e.store.eips {
		if other.InstanceID == lb.ID {
			return newError(CodeIncorrectInstanceStatus, "The load balancer %s already has the EIP %s.", lb.ID, other.ID)
		}
	}
	return nil
}

func (e *Emulator) unassociateEip(c *call) (obj, *apiError) {
	eip, aerr := e.eip(c)
	if aerr != nil {
		return nil, aerr
	}
	if eip.Status != eipInUse {
		return nil, newError(CodeIncorrectEipStatus, "The EIP %s is %s, not InUse.", eip.ID, eip.Status)
	}
	e.moveEIP(eip, eipUnassociating, eipAvailable, c.now)
	return obj{}, nil
}

func (e *Emulator) modifyEip(c *call) (obj, *apiError) {
	eip, aerr := e.eip(c)
	if aerr != nil {
		return nil, aerr
	}
	bw, aerr := c.p.rangedInt("Bandwidth", eip.Bandwidth, minBandwidth, maxBandwidth)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkEIPText(c.p); aerr != nil {
		return nil, aerr
	}
	eip.Bandwidth = bw
	eip.Name, eip.Description = cmp.Or(c.p.str("Name"), eip.Name), cmp.Or(c.p.str("Description"), eip.Description)
	return obj{}, nil
}

// maxEIPFilterIDs is how many comma-separated values AllocationId and
// EipAddress take (ens-openapi.md: "DescribeEnsEipAddresses AllocationId and
// EipAddress take comma lists of up to 50").
const maxEIPFilterIDs = 50

func (e *Emulator) describeEips(c *call) (obj, *apiError) {
	pg, aerr := c.p.page()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.commaList("AllocationId", maxEIPFilterIDs)
	if aerr != nil {
		return nil, aerr
	}
	addrs, aerr := c.p.commaList("EipAddress", maxEIPFilterIDs)
	if aerr != nil {
		return nil, aerr
	}
	eips := slices.Collect(maps.Values(e.store.eips))
	slices.SortFunc(eips, func(a, b *EIP) int { return byCreation(a.CreateTime, b.CreateTime, a.ID, b.ID) })
	items := []obj{}
	for _, eip := range eips {
		if visible(eip.VisibleAt, c.now) && eipMatches(eip, c.p) && inList(ids, eip.ID) && inList(addrs, eip.Address) {
			items = append(items, eipView(eip))
		}
	}
	body := pageAnswer(pg, len(items))
	body["EipAddresses"] = obj{"EipAddress": paginate(items, pg)}
	return body, nil
}

func eipMatches(eip *EIP, p params) bool {
	return matchField(p.str("EipName"), eip.Name) &&
		matchField(p.str("EnsRegionId"), eip.RegionID) &&
		matchField(p.str("Status"), eip.Status) &&
		matchField(p.str("AssociatedInstanceId"), eip.InstanceID) &&
		matchField(p.str("AssociatedInstanceType"), eip.InstanceType)
}

// inList matches a value against a filter list; an empty list matches all.
func inList(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }

func eipView(eip *EIP) obj {
	return obj{
		"AllocationId": eip.ID, "Name": eip.Name, "Description": eip.Description, "IpAddress": eip.Address,
		"EnsRegionId": eip.RegionID, "Status": eip.Status, "Bandwidth": eip.Bandwidth, "Isp": eip.Isp,
		"InternetChargeType": eip.InternetChargeType, "ChargeType": eip.InstanceChargeType,
		"InstanceId": eip.InstanceID, "InstanceType": eip.InstanceType, "Standby": false, "IpStatus": "Normal",
		"AllocationTime": eip.CreateTime.UTC().Format(timestampLayout),
	}
}
