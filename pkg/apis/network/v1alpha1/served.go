package v1alpha1

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The PoolService labels that name what it serves (apis.LabelServiceName
// and apis.LabelPoolName; repeated here so the API package imports nothing
// of ours).
const (
	labelServiceName = "openyurt.io/service-name"
	labelPoolName    = "openyurt.io/pool-name"
	nodePoolGroup    = "apps.openyurt.io"
)

// Served names the Service and the NodePool one PoolService serves.
//
// +k8s:deepcopy-gen=false
type Served struct {
	Service string
	Pool    string
}

// ServedBy is the one definition, used by every controller, indexer and
// name derivation, of which Service and pool a PoolService serves: its
// owner references first (the controlling v1 Service, the apps.openyurt.io
// NodePool), its labels only where an owner reference is missing. Owner
// references win because labels are the field people edit: trusting an
// edited label would release the ELB of the pool it now names.
func ServedBy(ps *PoolService) Served {
	var s Served
	for _, ref := range ps.OwnerReferences {
		switch {
		case s.Service == "" && isServiceRef(ref):
			s.Service = ref.Name
		case s.Pool == "" && isNodePoolRef(ref):
			s.Pool = ref.Name
		}
	}
	if s.Service == "" {
		s.Service = ps.Labels[labelServiceName]
	}
	if s.Pool == "" {
		s.Pool = ps.Labels[labelPoolName]
	}
	return s
}

// isServiceRef: the controlling owner of kind Service in core v1.
func isServiceRef(ref metav1.OwnerReference) bool {
	return ref.Controller != nil && *ref.Controller && ref.APIVersion == "v1" && ref.Kind == "Service"
}

// isNodePoolRef: an owner of kind NodePool in apps.openyurt.io, any version.
func isNodePoolRef(ref metav1.OwnerReference) bool {
	group, _, _ := strings.Cut(ref.APIVersion, "/")
	return ref.Kind == "NodePool" && group == nodePoolGroup && strings.Contains(ref.APIVersion, "/")
}
