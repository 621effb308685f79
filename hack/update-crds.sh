#!/usr/bin/env bash
# Regenerates the CustomResourceDefinitions in manifests/crds from the Go
# types in pkg/apis, with the controller-gen version pinned in go.mod.
set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

# Remove stale outputs first so a deleted type also loses its CRD.
find manifests/crds -name '*.openyurt.io_*.yaml' -delete 2>/dev/null || true
go run sigs.k8s.io/controller-tools/cmd/controller-gen \
    crd paths=./pkg/apis/... output:crd:artifacts:config=manifests/crds
