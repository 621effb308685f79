// Package v1alpha1 holds the OpenYurt PoolService API
// (network.openyurt.io/v1alpha1): one Service's slice in one NodePool.
//
// +k8s:deepcopy-gen=package
// +groupName=network.openyurt.io
package v1alpha1
