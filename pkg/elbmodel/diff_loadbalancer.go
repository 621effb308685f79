package elbmodel

import (
	"fmt"
	"strings"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// checkUserLoadBalancer refuses a user-managed ELB this controller must
// not drive: one it manages for another PoolService (its owner would remove
// our backends and release it with our listeners), one another cluster's
// controller manages, or one outside the pool's region.
func checkUserLoadBalancer(d Desired, lb *cloud.LoadBalancer) error {
	if d.Managed {
		return nil
	}
	clusterID := d.Name[strings.LastIndex(d.Name, "/")+1:]
	switch {
	case NamedForAnother(lb.Name, d.Name):
		return unusable(fmt.Sprintf("ELB %s (%s) is managed by this controller for another PoolService; name an ELB you manage", lb.ID, lb.Name), "")
	case NamedForOtherCluster(lb.Name, clusterID):
		return unusable(fmt.Sprintf("ELB %s (%s) is managed by the controller of another cluster; name an ELB you manage", lb.ID, lb.Name), "")
	case lb.RegionID != d.Network.RegionID:
		return unusable(fmt.Sprintf("ELB %s is in region %s, the pool is in %s", lb.ID, lb.RegionID, d.Network.RegionID), "")
	}
	return nil
}

// unusable is the error of a user-managed ELB the PoolService cannot be
// served by: its address must leave the status with it.
func unusable(msg, reason string) *InputError {
	if reason == "" {
		reason = apis.EventSyncLoadBalancerFailed
	}
	return &InputError{Reason: reason, Field: apis.AnnotationLoadBalancerID, Message: msg, Unusable: true}
}

// refusedChanges lists ELB attributes the annotations (Service or NodePool)
// would change on a managed ELB: they are fixed at creation.
func refusedChanges(d Desired, lb *cloud.LoadBalancer) []InputError {
	if !d.Managed {
		return nil
	}
	var out []InputError
	check := func(key, want, have string) {
		if have != "" && want != have {
			out = append(out, InputError{Reason: apis.EventSyncLoadBalancerFailed, Field: key,
				Message: fmt.Sprintf("ELB %s has %s, annotation asks %s: ELB attributes are not updatable after creation", lb.ID, have, want)})
		}
	}
	check(apis.AnnotationSpec, d.Spec, lb.Spec)
	check(apis.AnnotationPayType, d.PayType, lb.PayType)
	// A NodePool whose network annotations changed keeps its ELB where it is.
	check(apis.AnnotationPoolRegionID, d.Network.RegionID, lb.RegionID)
	check(apis.AnnotationPoolNetworkID, d.Network.NetworkID, lb.NetworkID)
	check(apis.AnnotationPoolVSwitchIDs, d.Network.VSwitchID, lb.VSwitchID)
	return out
}
