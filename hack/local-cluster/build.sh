#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok) from the Go module proxy into a cache outside
# the repo. Binaries are rebuilt only when their pinned versions change.
#
# Usage: hack/local-cluster/build.sh [--bin-dir] [BINARY...]
#   --bin-dir  print the binary directory and exit (no build)
#   BINARY     subset to build (default: all)
# Env: LOCAL_CLUSTER_CACHE overrides the cache dir; FORCE=1 rebuilds.
set -euo pipefail
# shellcheck source=../lib/local-cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/local-cluster.sh"

ALL_BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

if [[ "${1:-}" == "--bin-dir" ]]; then
  echo "${LC_BIN_DIR}"
  exit 0
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_BINARIES[@]}")

# Keep the builds hermetic from the caller's workspace and toolchain settings.
export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

K8S_PINS="k8s=${LC_K8S_VERSION} staging=${LC_STAGING_VERSION} etcd=${LC_ETCD_VERSION}"
KWOK_PINS="kwok=${LC_KWOK_VERSION}"
K8S_MOD_DIR="${LC_CACHE_DIR}/src/k8s"

# pkg_for prints the Go package and pin string for a binary.
pkg_for() {
  case "$1" in
    etcd) echo "go.etcd.io/etcd/server/v3 ${K8S_PINS}" ;;
    kube-apiserver | kube-controller-manager | kube-scheduler | kubectl)
      echo "k8s.io/kubernetes/cmd/$1 ${K8S_PINS}" ;;
    kwok) echo "sigs.k8s.io/kwok/cmd/kwok ${KWOK_PINS}" ;;
    *) lc::die "unknown binary $1 (known: ${ALL_BINARIES[*]})" ;;
  esac
}

up_to_date() { # NAME PINS
  [[ "${FORCE:-0}" != 1 && -x "${LC_BIN_DIR}/$1" && "$(cat "${LC_BIN_DIR}/.$1.pins" 2>/dev/null)" == "$2" ]]
}

# prepare_k8s_module writes the throwaway module that builds Kubernetes and
# etcd: `go install` cannot, because k8s.io/kubernetes uses replace directives.
prepare_k8s_module() {
  [[ "$(cat "${K8S_MOD_DIR}/.pins" 2>/dev/null)" == "${K8S_PINS}" ]] && return 0
  local t0 kdir staging
  t0=$(lc::now)
  kdir=$(go mod download -json "k8s.io/kubernetes@${LC_K8S_VERSION}" | jq -r .Dir)
  # Every staging repo k8s.io/kubernetes replaces with ./staging, minus the samples
  # (they are not needed and are not always published at the same tag).
  staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "${kdir}/go.mod" |
    grep -v -e '^k8s.io/sample-cli-plugin$' -e '^k8s.io/sample-controller$')
  [[ -n "${staging}" ]] || lc::die "no staging replaces found in ${kdir}/go.mod"
  rm -rf "${K8S_MOD_DIR}"
  mkdir -p "${K8S_MOD_DIR}"
  {
    printf 'module local-cluster-build\n\ngo 1.26.0\n\nrequire (\n'
    printf '\tk8s.io/kubernetes %s\n\tgo.etcd.io/etcd/server/v3 %s\n)\n\nreplace (\n' \
      "${LC_K8S_VERSION}" "${LC_ETCD_VERSION}"
    for m in ${staging}; do printf '\t%s => %s %s\n' "$m" "$m" "${LC_STAGING_VERSION}"; done
    printf ')\n'
  } >"${K8S_MOD_DIR}/go.mod"
  (cd "${K8S_MOD_DIR}" && go get \
    "k8s.io/kubernetes/cmd/kube-apiserver@${LC_K8S_VERSION}" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@${LC_K8S_VERSION}" \
    "k8s.io/kubernetes/cmd/kube-scheduler@${LC_K8S_VERSION}" \
    "k8s.io/kubernetes/cmd/kubectl@${LC_K8S_VERSION}" \
    "go.etcd.io/etcd/server/v3@${LC_ETCD_VERSION}")
  echo "${K8S_PINS}" >"${K8S_MOD_DIR}/.pins"
  lc::log "prepared build module ${K8S_MOD_DIR} in $(lc::since "$t0")"
}

k8s_ldflags() {
  local v=${LC_K8S_VERSION#v} p
  local major=${v%%.*} minor
  minor=${v#*.}
  minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
      "$p" "${LC_K8S_VERSION}" "$p" "$major" "$p" "$minor" "$p"
  done
}

build_one() { # NAME
  local name=$1 pkg pins t0 tmp
  read -r pkg pins <<<"$(pkg_for "$name")"
  if up_to_date "$name" "$pins"; then
    lc::log "${name}: up to date (${pins})"
    return 0
  fi
  t0=$(lc::now)
  tmp="${LC_BIN_DIR}/.${name}.tmp"
  if [[ "$name" == kwok ]]; then
    # kwok has no replace directives, so go install works directly.
    local gobin="${LC_CACHE_DIR}/src/kwok-bin"
    GOBIN="${gobin}" GOFLAGS=-buildvcs=false go install -trimpath -ldflags "-s -w" \
      "${pkg}@${LC_KWOK_VERSION}"
    mv "${gobin}/kwok" "${tmp}"
  else
    prepare_k8s_module
    (cd "${K8S_MOD_DIR}" && go build -trimpath -ldflags "-s -w $(k8s_ldflags)" -o "${tmp}" "${pkg}")
  fi
  mv "${tmp}" "${LC_BIN_DIR}/${name}"
  echo "$pins" >"${LC_BIN_DIR}/.${name}.pins"
  lc::log "${name}: built in $(lc::since "$t0")"
}

main() {
  command -v go >/dev/null || lc::die "go not found"
  command -v jq >/dev/null || lc::die "jq not found"
  mkdir -p "${LC_BIN_DIR}"
  # Serialize concurrent builds (e.g. make demo and e2e started together).
  exec 9>"${LC_CACHE_DIR}/.build.lock"
  flock 9
  local t0 name
  t0=$(lc::now)
  for name in "${targets[@]}"; do build_one "$name"; done
  lc::log "all done in $(lc::since "$t0"); binaries in ${LC_BIN_DIR}"
}

main
