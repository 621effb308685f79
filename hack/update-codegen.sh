#!/usr/bin/env bash
# Regenerates deepcopy and register code and the typed clientset, listers and
# informers for our API groups, with kube_codegen.sh from the
# k8s.io/code-generator version pinned in go.mod (read from the module cache,
# fetched through the module proxy when missing).
set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE="github.com/edge-lb/edge-controller-manager"
cd "${ROOT}"

go mod download k8s.io/code-generator
CODEGEN_PKG="$(go list -m -f '{{.Dir}}' k8s.io/code-generator)"
# shellcheck source=/dev/null
source "${CODEGEN_PKG}/kube_codegen.sh"

kube::codegen::gen_helpers \
    --boilerplate "${ROOT}/hack/boilerplate.go.txt" \
    "${ROOT}/pkg/apis"

# register-gen writes each group version's SchemeGroupVersion, AddToScheme
# and known types (kube_codegen.sh's gen_helpers does not run it).
go run k8s.io/code-generator/cmd/register-gen \
    --go-header-file "${ROOT}/hack/boilerplate.go.txt" \
    --output-file zz_generated.register.go \
    ./pkg/apis/apps/v1beta1 ./pkg/apis/apps/v1beta2 ./pkg/apis/network/v1alpha1

kube::codegen::gen_client \
    --with-watch \
    --output-dir "${ROOT}/pkg/generated" \
    --output-pkg "${MODULE}/pkg/generated" \
    --boilerplate "${ROOT}/hack/boilerplate.go.txt" \
    "${ROOT}/pkg/apis"
