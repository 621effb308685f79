// Package v1beta1 holds the OpenYurt NodePool API (apps.openyurt.io/v1beta1),
// served for older clients. It is wire-compatible with OpenYurt clusters.
//
// +k8s:deepcopy-gen=package
// +groupName=apps.openyurt.io
package v1beta1
