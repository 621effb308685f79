package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PoolServiceSpec is the desired state of a PoolService.
type PoolServiceSpec struct {
	// LoadBalancerClass is copied from the Service's spec.loadBalancerClass.
	// +optional
	LoadBalancerClass *string `json:"loadBalancerClass,omitempty"`
}

// PoolServiceStatus is the observed state of a PoolService.
type PoolServiceStatus struct {
	// LoadBalancer is the load balancer of this Service in this pool.
	// +optional
	LoadBalancer corev1.LoadBalancerStatus `json:"loadBalancer,omitempty"`
	// AggregateToAnnotations are copied to the Service as
	// aggregated.<key> annotations (the ELB id among them).
	// +optional
	AggregateToAnnotations map[string]string `json:"aggregateToAnnotations,omitempty"`
	// AggregateToLabels are copied to the Service as labels.
	// +optional
	AggregateToLabels map[string]string `json:"aggregateToLabels,omitempty"`
	// Conditions say what the controller is doing: Ready and Synced.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,path=poolservices,shortName=ps
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Service",type="string",JSONPath=".metadata.labels.openyurt\\.io/service-name"
// +kubebuilder:printcolumn:name="NodePool",type="string",JSONPath=".metadata.labels.openyurt\\.io/pool-name"
// +kubebuilder:printcolumn:name="LoadBalancer ID",type="string",JSONPath=".status.aggregateToAnnotations.service\\.beta\\.kubernetes\\.io/alibaba-cloud-loadbalancer-id"
// +kubebuilder:printcolumn:name="External-IP",type="string",JSONPath=".status.loadBalancer.ingress[*].ip"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"

// PoolService is one LoadBalancer Service's presence in one NodePool.
type PoolService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PoolServiceSpec   `json:"spec,omitempty"`
	Status PoolServiceStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// PoolServiceList is a list of PoolServices.
type PoolServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PoolService `json:"items"`
}
