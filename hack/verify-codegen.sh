#!/usr/bin/env bash
# Fails when any generated file (deepcopy, clientset, listers, informers,
# CRDs) is stale. It regenerates in a temporary copy of the tree and diffs
# that against the working tree, so it works on uncommitted changes too.
set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "${TMP}"' EXIT

# Copy the tree without VCS data and build outputs.
tar -C "${ROOT}" --exclude=./.git --exclude=./bin --exclude=./_output -cf - . | tar -C "${TMP}" -xf -

"${TMP}/hack/update-codegen.sh" >/dev/null
"${TMP}/hack/update-crds.sh" >/dev/null

status=0
for path in pkg/apis pkg/generated manifests/crds; do
    if ! diff -ruN "${ROOT}/${path}" "${TMP}/${path}"; then
        status=1
    fi
done
if [[ ${status} -ne 0 ]]; then
    echo "Generated files are out of date: run 'make generate'." >&2
    exit 1
fi
echo "Generated files are up to date."
