package manager

// Permission is one RBAC grant the manager needs: verbs on a resource
// (optionally "resource/subresource") of an API group ("" = core).
type Permission struct {
	Group    string
	Resource string
	Verbs    []string
	// InNamespace grants live in a Role in the manager's own namespace
	// (leader election); the rest in the ClusterRole.
	InNamespace bool
}

// RequiredPermissions is the single list of what the manager and its
// controllers do with the API. manifests/rbac must grant exactly this (a
// test checks it); a controller needing more adds it here and there.
func RequiredPermissions() []Permission {
	return []Permission{
		// Fan-out and ELB controllers: finalizer and aggregated annotations.
		{Group: "", Resource: "services", Verbs: []string{"get", "list", "watch", "update", "patch"}},
		// blockOwnerDeletion on a PoolService's owner reference to its Service.
		{Group: "", Resource: "services/finalizers", Verbs: []string{"update"}},
		// Service EXTERNAL-IP (status.loadBalancer.ingress).
		{Group: "", Resource: "services/status", Verbs: []string{"update", "patch"}},
		// Backends: nodes of a pool and their ENS instances.
		{Group: "", Resource: "nodes", Verbs: []string{"list", "watch"}},
		// Local traffic policy: nodes with a ready endpoint.
		{Group: "discovery.k8s.io", Resource: "endpointslices", Verbs: []string{"list", "watch"}},
		{Group: "apps.openyurt.io", Resource: "nodepools", Verbs: []string{"get", "list", "watch"}},
		{Group: "network.openyurt.io", Resource: "poolservices", Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
		{Group: "network.openyurt.io", Resource: "poolservices/status", Verbs: []string{"update", "patch"}},
		// Event recorder (create, and patch to count repeats).
		{Group: "", Resource: "events", Verbs: []string{"create", "patch"}},
		{Group: "events.k8s.io", Resource: "events", Verbs: []string{"create", "patch"}},
		// Leader election (client-go LeaseLock).
		{Group: "coordination.k8s.io", Resource: "leases", Verbs: []string{"get", "create", "update"}, InNamespace: true},
		// Ownership records of the ELB controller (pkg/ownership): watched,
		// read before each create or release, written around each create,
		// deleted once empty.
		{Group: "", Resource: "configmaps", Verbs: []string{"get", "list", "watch", "create", "update", "delete"}, InNamespace: true},
	}
}
