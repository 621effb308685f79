package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodePoolType says where the nodes of a pool run.
type NodePoolType string

const (
	// Edge pools run at the edge, ENS pools among them.
	Edge NodePoolType = "Edge"
	// Cloud pools run in the cloud.
	Cloud NodePoolType = "Cloud"
)

// NodePoolSpec is the desired state of a NodePool.
type NodePoolSpec struct {
	// Type of the pool: Edge or Cloud.
	// +optional
	Type NodePoolType `json:"type,omitempty"`
	// HostNetwork pools run no CNI; pods share the host network.
	// +optional
	HostNetwork bool `json:"hostNetwork,omitempty"`
	// Labels are added to every node of the pool.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations are added to every node of the pool.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// Taints are added to every node of the pool.
	// +optional
	Taints []corev1.Taint `json:"taints,omitempty"`
}

// NodePoolStatus is the observed state of a NodePool.
type NodePoolStatus struct {
	// ReadyNodeNum counts the pool's ready nodes.
	// +optional
	ReadyNodeNum int32 `json:"readyNodeNum"`
	// UnreadyNodeNum counts the pool's unready nodes.
	// +optional
	UnreadyNodeNum int32 `json:"unreadyNodeNum"`
	// Nodes are the names of the pool's nodes.
	// +optional
	Nodes []string `json:"nodes,omitempty"`
}

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,path=nodepools,shortName=np
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Type",type="string",JSONPath=".spec.type"
// +kubebuilder:printcolumn:name="ReadyNodes",type="integer",JSONPath=".status.readyNodeNum"
// +kubebuilder:printcolumn:name="NotReadyNodes",type="integer",JSONPath=".status.unreadyNodeNum"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"

// NodePool is a group of nodes that share a location, region and network.
type NodePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   NodePoolSpec   `json:"spec,omitempty"`
	Status NodePoolStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// NodePoolList is a list of NodePools.
type NodePoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NodePool `json:"items"`
}
