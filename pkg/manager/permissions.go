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
// controllers do with the API: every (resource, verb) a client call, an
// informer or the event recorder of the binary issues, and nothing else.
// manifests/rbac must grant exactly this (a test checks it), and the e2e
// suite checks it against the API server's audit log (pkg/e2e/rbac_test.go:
// no request is refused, every grant is used). A controller needing more
// adds it here and there.
func RequiredPermissions() []Permission {
	return []Permission{
		// Both controllers watch Services (informer). poolservice-set merge-
		// patches its finalizer and the aggregated annotations and labels;
		// nothing reads a Service past the cache or replaces it whole.
		{Group: "", Resource: "services", Verbs: []string{"list", "watch", "patch"}},
		// A PoolService's owner reference to its Service sets
		// blockOwnerDeletion, which the OwnerReferencesPermissionEnforcement
		// admission plugin allows only with update on services/finalizers
		// (an authorization check, never a request of ours).
		{Group: "", Resource: "services/finalizers", Verbs: []string{"update"}},
		// Service EXTERNAL-IP (status.loadBalancer.ingress), merge-patched.
		{Group: "", Resource: "services/status", Verbs: []string{"patch"}},
		// Backends: nodes of a pool and their ENS instances (informer).
		{Group: "", Resource: "nodes", Verbs: []string{"list", "watch"}},
		// Local traffic policy: nodes with a ready endpoint (informer).
		{Group: "discovery.k8s.io", Resource: "endpointslices", Verbs: []string{"list", "watch"}},
		// NodePools: informer only (v1beta2, or v1beta1 converted).
		{Group: "apps.openyurt.io", Resource: "nodepools", Verbs: []string{"list", "watch"}},
		// PoolServices: informer; poolservice-set creates, repairs (merge
		// patch) and deletes them; the elb controller patches its finalizer
		// and lists them from the API server before a release.
		{Group: "network.openyurt.io", Resource: "poolservices", Verbs: []string{"list", "watch", "create", "patch", "delete"}},
		// PoolService status: the elb controller's UpdateStatus.
		{Group: "network.openyurt.io", Resource: "poolservices/status", Verbs: []string{"update"}},
		// Event recorder (core v1 events only): create, and patch to count
		// repeats.
		{Group: "", Resource: "events", Verbs: []string{"create", "patch"}},
		// Leader election (client-go LeaseLock).
		{Group: "coordination.k8s.io", Resource: "leases", Verbs: []string{"get", "create", "update"}, InNamespace: true},
		// Ownership records of the ELB controller (pkg/ownership): watched,
		// read before each create or release, written around each create,
		// deleted once empty.
		{Group: "", Resource: "configmaps", Verbs: []string{"get", "list", "watch", "create", "update", "delete"}, InNamespace: true},
	}
}
