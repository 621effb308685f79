// Package v1beta2 holds the OpenYurt NodePool API (apps.openyurt.io/v1beta2),
// the storage version. It is wire-compatible with OpenYurt clusters.
//
// +k8s:deepcopy-gen=package
// +groupName=apps.openyurt.io
package v1beta2
