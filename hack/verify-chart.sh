#!/usr/bin/env bash
# Checks the Helm chart (manifests/charts/edge-controller-manager): helm lint
# and helm template for a table of value sets (hack/chartcheck), which also
# checks the chart's ClusterRole/Role against manifests/rbac, its crds/
# against manifests/crds and its defaults against the manager's flags and
# manifests/deploy. No cluster needed; make verify runs it.
#
# helm comes from the Go module proxy (no release download site needed):
# built once into ${XDG_CACHE_HOME:-~/.cache}/edge-controller-manager/tools/helm-<version>
# (about 70 s on 2 cores with an empty build cache), reused afterwards.
#
# Usage: hack/verify-chart.sh [--update-crds|--helm-path]
#   --update-crds  copy manifests/crds into the chart's crds/ (after make generate) and exit
#   --helm-path    print the helm binary (building it if needed) and exit
# Env:
#   HELM       a helm binary to use instead of the cached build
#   CHART_OUT  also write every rendered value set there (hack/chart-dry-run.sh applies them)
set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
CHART=manifests/charts/edge-controller-manager
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
TOOLS_DIR="${XDG_CACHE_HOME:-${HOME}/.cache}/edge-controller-manager/tools"

log() { printf '[verify-chart] %s\n' "$*" >&2; }

update_crds() {
  find "${CHART}/crds" -name '*.yaml' -delete
  local f
  for f in manifests/crds/*.yaml; do
    [[ "$(basename "$f")" == kustomization.yaml ]] || cp "$f" "${CHART}/crds/"
  done
  log "copied manifests/crds into ${CHART}/crds"
}

# helm_bin prints the helm binary, building the pinned version first if needed.
helm_bin() {
  if [[ -n "${HELM:-}" ]]; then
    echo "${HELM}"
    return
  fi
  local dir="${TOOLS_DIR}/helm-${HELM_VERSION}" t0
  if [[ ! -x "${dir}/helm" ]]; then
    log "building helm ${HELM_VERSION} from the Go module proxy into ${dir} (once; about a minute)"
    t0=${SECONDS}
    # Outside the module: helm's dependencies never touch go.mod.
    (cd "${TOOLS_DIR}" && GOBIN="${dir}" GOFLAGS=-buildvcs=false \
      go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}") >&2
    log "helm built in $((SECONDS - t0)) s"
  fi
  echo "${dir}/helm"
}

main() {
  mkdir -p "${TOOLS_DIR}"
  case "${1:-}" in
    --update-crds) update_crds; return ;;
    --helm-path) helm_bin; return ;;
    "") ;;
    *) log "usage: $0 [--update-crds|--helm-path]"; return 2 ;;
  esac
  local helm t0
  helm="$(helm_bin)"
  log "$("${helm}" version --short 2>/dev/null || echo "${helm}")"
  local out=()
  if [[ -n "${CHART_OUT:-}" ]]; then
    mkdir -p "${CHART_OUT}"
    out=(-out "$(cd "${CHART_OUT}" && pwd)")
  fi
  t0=${SECONDS}
  go run ./hack/chartcheck -helm "${helm}" -chart "${CHART}" -manifests manifests "${out[@]}"
  log "chart checked in $((SECONDS - t0)) s"
}

main "$@"
