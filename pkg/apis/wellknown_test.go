package apis

import "testing"

// TestContractStrings pins the user-facing strings of the product contract: changing
// one breaks every cluster that already uses it.
func TestContractStrings(t *testing.T) {
	for got, want := range map[string]string{
		LoadBalancerClassELB:             "alibabacloud.com/elb",
		AnnotationNodePoolSelector:       "service.openyurt.io/nodepool-labelselector",
		AnnotationTopologyKeys:           "openyurt.io/topologyKeys",
		AnnotationPoolNetworkID:          "alibabacloud.com/ens-network-id",
		AnnotationPoolRegionID:           "alibabacloud.com/ens-region-id",
		AnnotationPoolVSwitchIDs:         "alibabacloud.com/ens-vswitch-id",
		AnnotationManagedByUser:          "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-managed-by-user",
		AnnotationLoadBalancerID:         "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-id",
		AnnotationForceOverrideListeners: "service.openyurt.io/elb-force-override-listeners",
		AnnotationEIPBandwidth:           "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-eip-bandwidth",
		AnnotationHealthCheckInterval:    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-health-check-interval",
		FinalizerPoolServices:            "poolservice.openyurt.io/resources",
		FinalizerELBResources:            "elb.openyurt.io/resources",
		LabelNodePool:                    "apps.openyurt.io/nodepool",
		LabelServiceName:                 "openyurt.io/service-name",
		LabelPoolName:                    "openyurt.io/pool-name",
		LabelManagedBy:                   "poolservice.openyurt.io/managed-by",
		ControllerPoolServiceSet:         "poolservice-set",
		ControllerELB:                    "elb",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
