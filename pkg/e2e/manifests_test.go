//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// TestManifestsApply checks that both install variants are accepted by kubectl
// (client dry run) and by the real API server's validation and admission
// (server dry run), without changing the cluster.
func TestManifestsApply(t *testing.T) {
	for _, dir := range []string{"manifests", "manifests/standalone"} {
		for _, mode := range []string{"client", "server"} {
			out := kubectl(t, "apply", "-k", s.path(dir), "--dry-run="+mode)
			for _, want := range []string{"deployment.apps/edge-controller-manager", "clusterrole.rbac.authorization.k8s.io/edge-controller-manager"} {
				if !strings.Contains(out, want) {
					t.Errorf("kubectl apply -k %s --dry-run=%s: no %s in\n%s", dir, mode, want, out)
				}
			}
		}
	}
}
