package ensemulator

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// lbSpecs are the ELB specifications ENS sells.
var lbSpecs = []string{"elb.s1.small", "elb.s2.small", "elb.s2.medium", "elb.s3.small", "elb.s3.medium", "elb.s3.large"}

// CreateLoadBalancer limits, from ens-openapi.md ("LoadBalancerName
// optional, 1–80 chars, must not start with http(s)://; PayType required,
// PostPaid only; LoadBalancerSpec required").
const (
	maxLBNameLen = 80
	lbPayType    = "PostPaid"
)

func (e *Emulator) createLoadBalancer(c *call) (obj, *apiError) {
	id, aerr := e.clientTokenRepeat(c)
	if aerr != nil {
		return nil, aerr
	}
	if id == "" {
		lb, aerr := e.newLoadBalancer(c)
		if aerr != nil {
			return nil, aerr
		}
		e.store.lbs[lb.ID] = lb
		e.rememberToken(c, lb.ID)
		id = lb.ID
	}
	// A repeat has the first call's parameters, so they give its answer
	// even when that ELB is gone.
	return obj{"LoadBalancerId": id, "LoadBalancerName": c.p.str("LoadBalancerName"),
		"NetworkId": c.p.str("NetworkId"), "VSwitchId": c.p.str("VSwitchId")}, nil
}

func (e *Emulator) newLoadBalancer(c *call) (*LoadBalancer, *apiError) {
	lb := &LoadBalancer{CreateTime: c.now, Status: lbActive, ClientToken: c.p.str("ClientToken"), CreatedBy: c.accessKey}
	var aerr *apiError
	if aerr = c.p.requiredInto(requiredField{"EnsRegionId", &lb.RegionID},
		requiredField{"NetworkId", &lb.NetworkID}, requiredField{"VSwitchId", &lb.VSwitchID},
		requiredField{"LoadBalancerSpec", &lb.Spec}, requiredField{"PayType", &lb.PayType}); aerr != nil {
		return nil, aerr
	}
	if lb.Name = c.p.str("LoadBalancerName"); utf8.RuneCountInString(lb.Name) > maxLBNameLen {
		return nil, invalidParamOf("LoadBalancerName", "The LoadBalancerName must be 1 to %d characters.", maxLBNameLen)
	}
	if lower := strings.ToLower(lb.Name); strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return nil, invalidParamOf("LoadBalancerName", "The LoadBalancerName must not start with http:// or https://.")
	}
	if !slices.Contains(lbSpecs, lb.Spec) {
		return nil, invalidParam("The LoadBalancerSpec %q is not one of %s.", lb.Spec, strings.Join(lbSpecs, ", "))
	}
	if lb.PayType != lbPayType {
		return nil, invalidParamOf("PayType", "The PayType %q is not supported; ELBs are %s only.", lb.PayType, lbPayType)
	}
	if aerr := e.store.checkPlacement(lb.RegionID, lb.NetworkID, lb.VSwitchID); aerr != nil {
		return nil, aerr
	}
	if lb.Address, aerr = e.store.allocateAddress(lb.NetworkID, lb.VSwitchID); aerr != nil {
		return nil, aerr
	}
	lb.ID = e.newID("lb-", func(id string) bool { return e.store.lbs[id] != nil })
	if e.cfg.ActiveDelay > 0 {
		lb.ActiveAt = ptr(c.now.Add(e.cfg.ActiveDelay))
	}
	if c.visibility > 0 {
		lb.VisibleAt = ptr(c.now.Add(c.visibility))
	}
	return lb, nil
}

func ptr[T any](v T) *T { return &v }

// effectiveLBStatus is the status callers read: Creating until ActiveAt.
func effectiveLBStatus(lb *LoadBalancer, now time.Time) string {
	if lb.ActiveAt != nil && now.Before(*lb.ActiveAt) {
		return lbCreating
	}
	return lb.Status
}

func visible(visibleAt *time.Time, now time.Time) bool {
	return visibleAt == nil || !now.Before(*visibleAt)
}

// lb finds the ELB a mutating call names.
func (e *Emulator) lb(c *call) (*LoadBalancer, *apiError) {
	id, aerr := c.p.required("LoadBalancerId")
	if aerr != nil {
		return nil, aerr
	}
	lb := e.store.lbs[id]
	if lb == nil {
		return nil, lbNotFound(id)
	}
	return lb, nil
}

// visibleLB finds the ELB a Describe call names, honouring visibility.
func (e *Emulator) visibleLB(c *call) (*LoadBalancer, *apiError) {
	lb, aerr := e.lb(c)
	if aerr == nil && !visible(lb.VisibleAt, c.now) {
		return nil, lbNotFound(lb.ID)
	}
	return lb, aerr
}

func (e *Emulator) describeLoadBalancers(c *call) (obj, *apiError) {
	pg, aerr := c.p.page()
	if aerr != nil {
		return nil, aerr
	}
	var items []obj
	for _, lb := range e.sortedLBs() {
		if visible(lb.VisibleAt, c.now) && lbMatches(lb, c) {
			items = append(items, lbSummary(lb, c.now))
		}
	}
	body := pageAnswer(pg, len(items))
	body["LoadBalancers"] = obj{"LoadBalancer": paginate(items, pg)}
	return body, nil
}

func (e *Emulator) sortedLBs() []*LoadBalancer {
	lbs := slices.Collect(maps.Values(e.store.lbs))
	slices.SortFunc(lbs, func(a, b *LoadBalancer) int { return byCreation(a.CreateTime, b.CreateTime, a.ID, b.ID) })
	return lbs
}

// lbMatches applies the DescribeLoadBalancers filters; empty ones match all.
func lbMatches(lb *LoadBalancer, c *call) bool {
	regions := c.p.repeated("EnsRegionIds")
	return matchField(c.p.str("LoadBalancerId"), lb.ID) &&
		matchField(c.p.str("LoadBalancerName"), lb.Name) &&
		matchField(c.p.str("EnsRegionId"), lb.RegionID) &&
		matchField(c.p.str("NetworkId"), lb.NetworkID) &&
		matchField(c.p.str("VSwitchId"), lb.VSwitchID) &&
		matchField(c.p.str("Address"), lb.Address) &&
		matchField(c.p.str("LoadBalancerStatus"), effectiveLBStatus(lb, c.now)) &&
		(len(regions) == 0 || slices.Contains(regions, lb.RegionID)) &&
		(c.p.str("ServerId") == "" || slices.ContainsFunc(lb.Backends, func(b Backend) bool { return b.ServerID == c.p.str("ServerId") }))
}

func matchField(filter, value string) bool { return filter == "" || filter == value }

func lbSummary(lb *LoadBalancer, now time.Time) obj {
	return obj{
		"LoadBalancerId": lb.ID, "LoadBalancerName": lb.Name, "LoadBalancerStatus": effectiveLBStatus(lb, now),
		"Address": lb.Address, "EnsRegionId": lb.RegionID, "NetworkId": lb.NetworkID, "VSwitchId": lb.VSwitchID,
		"CreateTime": lb.CreateTime.UTC().Format(timestampLayout), "AddressIPVersion": "ipv4", "PayType": lb.PayType,
	}
}

func (e *Emulator) describeLoadBalancerAttribute(c *call) (obj, *apiError) {
	lb, aerr := e.visibleLB(c)
	if aerr != nil {
		return nil, aerr
	}
	body := lbSummary(lb, c.now)
	body["LoadBalancerSpec"] = lb.Spec
	ports := []string{}
	listeners := []obj{}
	for _, l := range sortedListeners(lb) {
		ports = append(ports, itoa(l.Port))
		listeners = append(listeners, obj{"ListenerPort": l.Port, "ListenerProtocol": strings.ToLower(l.Protocol),
			"Description": l.Description, "BackendServerPort": l.BackendServerPort,
			"ListenerForward": cmp.Or(l.ListenerForward, "off"), "ForwardPort": l.ForwardPort})
	}
	backends := []obj{}
	for _, b := range lb.Backends {
		// Port is a string here, unlike in the backend calls' answers.
		backends = append(backends, obj{"ServerId": b.ServerID, "Ip": b.IP, "Port": itoa(b.Port), "Type": b.Type, "Weight": b.Weight})
	}
	body["ListenerPorts"], body["ListenerPortsAndProtocols"], body["BackendServers"] = ports, listeners, backends
	return body, nil
}

func (e *Emulator) setLoadBalancerStatus(c *call) (obj, *apiError) {
	lb, aerr := e.lb(c)
	if aerr != nil {
		return nil, aerr
	}
	status, aerr := c.p.required("LoadBalancerStatus")
	if aerr != nil {
		return nil, aerr
	}
	if status != lbActive && status != lbInActive {
		return nil, invalidParam("The LoadBalancerStatus %q is not Active or InActive.", status)
	}
	lb.Status, lb.ActiveAt = status, nil
	return obj{}, nil
}

// releaseInstance releases an ELB or an EIP by id.
func (e *Emulator) releaseInstance(c *call) (obj, *apiError) {
	id, aerr := c.p.required("InstanceId")
	if aerr != nil {
		return nil, aerr
	}
	switch lb, eip := e.store.lbs[id], e.store.eips[id]; {
	case lb != nil:
		e.releaseLB(id)
		e.recordRelease(c, KindLoadBalancer, id, lb.Name, lb.CreatedBy)
		return obj{"ResourceType": "slb"}, nil
	case eip != nil:
		if eip.Status != eipAvailable {
			return nil, newError(CodeIncorrectEipStatus, "The EIP %s is %s; only an Available EIP can be released.", id, eip.Status)
		}
		delete(e.store.eips, id)
		e.recordRelease(c, KindEIP, id, eip.Name, eip.CreatedBy)
		return obj{"ResourceType": "eip"}, nil
	case e.store.instances[id] != nil:
		return nil, invalidParam("The emulator does not release ENS instances (%s).", id)
	}
	return nil, notFoundByID(id)
}

// recordRelease appends to Inventory.Released. Callers hold mu.
func (e *Emulator) recordRelease(c *call, kind, id, name, createdBy string) {
	e.store.released = append(e.store.released, Released{Kind: kind, ID: id, Name: name,
		CreatedBy: createdBy, ReleasedBy: c.accessKey, ReleasedAt: c.now})
}

// releaseLB deletes an ELB; an EIP bound to it becomes Available.
func (e *Emulator) releaseLB(id string) {
	for _, eip := range e.store.eips {
		if eip.InstanceID == id {
			eip.Status, eip.InstanceID, eip.InstanceType = eipAvailable, "", ""
			eip.SettleAt, eip.SettleTo = nil, ""
		}
	}
	delete(e.store.lbs, id)
}
