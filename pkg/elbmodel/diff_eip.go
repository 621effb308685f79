package elbmodel

import (
	"fmt"
	"strings"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// refusedEIPChanges lists EIP attributes the annotations would change on
// the managed EIP: ENS cannot change its ISP or charge types after
// creation (only the bandwidth follows the annotation). No ISP annotation
// means "ENS chooses", so only an asked ISP the EIP lacks is refused; a
// charge type the cloud does not report cannot be compared.
func refusedEIPChanges(d Desired, e *cloud.EIP) []InputError {
	if !d.Managed || d.EIP == nil || e == nil {
		return nil
	}
	var out []InputError
	check := func(key, want, have string) {
		if want != "" && (have != "" || key == apis.AnnotationEIPISP) && !sameChargeValue(want, have) {
			if have == "" {
				have = "none"
			}
			out = append(out, InputError{Reason: apis.EventInvalidAnnotation, Field: key,
				Message: fmt.Sprintf("EIP %s has %s, annotation asks %s: the EIP's ISP and charge types are not updatable after creation",
					e.AllocationID, have, want)})
		}
	}
	check(apis.AnnotationEIPISP, d.EIP.ISP, e.ISP)
	check(apis.AnnotationEIPInstanceChargeType, d.EIP.InstanceChargeType, e.InstanceChargeType)
	check(apis.AnnotationEIPInternetChargeType, d.EIP.InternetChargeType, e.InternetChargeType)
	return out
}

// sameChargeValue compares case-insensitively; some ENS responses call
// PostPaid PayAsYouGo and PrePaid Subscription.
func sameChargeValue(a, b string) bool {
	norm := func(s string) string {
		switch s = strings.ToLower(s); s {
		case "payasyougo":
			return "postpaid"
		case "subscription":
			return "prepaid"
		}
		return s
	}
	return norm(a) == norm(b)
}

// diffEIP plans the managed EIP: one EIP named d.Name, associated with the
// ELB, with the annotated bandwidth; none at all when intranet.
func diffEIP(d Desired, lbID string, eips []cloud.EIP) ([]Action, *NotNow) {
	if !d.Managed {
		return nil, nil
	}
	if d.EIP == nil {
		var out []Action
		for _, e := range eips {
			if e.AssociatedInstanceID != "" {
				out = append(out, Action{Type: UnassociateEIP, EIPID: e.AllocationID})
			}
			out = append(out, Action{Type: ReleaseEIP, EIPID: e.AllocationID})
		}
		return out, nil
	}
	e := pickEIP(eips, lbID)
	if e == nil {
		return []Action{{Type: CreateEIP}, {Type: AssociateEIP, CreatedEIP: true}}, nil
	}
	var out []Action
	switch {
	case e.AssociatedInstanceID == lbID:
	case e.Status == cloud.EIPAvailable:
		out = append(out, Action{Type: AssociateEIP, EIPID: e.AllocationID})
	case e.Status == cloud.EIPInUse:
		out = append(out, Action{Type: UnassociateEIP, EIPID: e.AllocationID}, Action{Type: AssociateEIP, EIPID: e.AllocationID})
	default:
		return nil, Waitf("EIP %s is %s", e.AllocationID, e.Status)
	}
	if e.Bandwidth != d.EIP.Bandwidth {
		out = append(out, Action{Type: ModifyEIPBandwidth, EIPID: e.AllocationID, Bandwidth: d.EIP.Bandwidth})
	}
	return out, nil
}

// pickEIP prefers the EIP already on the ELB, then an Available one.
func pickEIP(eips []cloud.EIP, lbID string) *cloud.EIP {
	var best *cloud.EIP
	for i := range eips {
		e := &eips[i]
		switch {
		case e.AssociatedInstanceID == lbID:
			return e
		case best == nil, e.Status == cloud.EIPAvailable && best.Status != cloud.EIPAvailable:
			best = e
		}
	}
	return best
}
