#!/usr/bin/env bash
# Server-side dry-run install of the Helm chart on a local control plane of
# its own (hack/local-cluster, own state dir and free ports, so a running
# e2e suite or demo is not touched): every value set hack/chartcheck
# renders goes through kubectl apply --dry-run=server (the API server's
# validation and admission) and helm install --dry-run=server (helm's own
# install path, its OpenAPI validation, NOTES.txt). The ServiceMonitor and
# PrometheusRule CRDs come from the Go module
# github.com/prometheus-operator/prometheus-operator. The cluster is brought
# down on exit. make chart-dry-run runs it.
#
# Env:
#   LOCAL_CLUSTER_DIR  state dir of the cluster (default <repo>/_output/chart-dry-run)
#   KEEP_CLUSTER=1     leave the cluster running (stop it with LOCAL_CLUSTER_DIR=... hack/local-cluster/down.sh)
#   HELM               see hack/verify-chart.sh
set -o errexit -o nounset -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
export LOCAL_CLUSTER_DIR="${LOCAL_CLUSTER_DIR:-${ROOT}/_output/chart-dry-run}"
PROM_OPERATOR_VERSION="${PROM_OPERATOR_VERSION:-v0.85.0}"
CHART=manifests/charts/edge-controller-manager
OUT="${LOCAL_CLUSTER_DIR}-rendered" # the rendered value sets

log() { printf '[chart-dry-run %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# prometheus_crds prints the directory of prometheus-operator's CRDs,
# downloading the module (a few MB, once) through the Go module proxy.
prometheus_crds() {
  local tmp dir
  tmp="$(mktemp -d)" # outside the module: nothing is added to go.mod
  dir="$(cd "${tmp}" && go mod download -json "github.com/prometheus-operator/prometheus-operator@${PROM_OPERATOR_VERSION}" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  rmdir "${tmp}"
  [[ -d "${dir}/example/prometheus-operator-crd" ]] || die "no CRDs in prometheus-operator ${PROM_OPERATOR_VERSION} (${dir})"
  echo "${dir}/example/prometheus-operator-crd"
}

cleanup() {
  local rc=$?
  if [[ "${KEEP_CLUSTER:-0}" == 1 ]]; then
    log "cluster left running: KUBECONFIG=${LOCAL_CLUSTER_DIR}/admin.kubeconfig; rendered value sets in ${OUT}"
    exit "${rc}"
  fi
  rm -rf "${OUT}"
  if [[ -f "${LOCAL_CLUSTER_DIR}/.local-cluster" ]]; then
    hack/local-cluster/down.sh || rc=1
  fi
  exit "${rc}"
}

main() {
  local t0=${SECONDS} t out="${OUT}" kubeconfig kubectl helm crds
  rm -rf "${out}"
  mkdir -p "${out}"
  trap cleanup EXIT
  trap "exit 130" INT TERM
  # Render first: a chart that does not pass its own checks is not worth a cluster.
  t=${SECONDS}
  CHART_OUT="${out}" hack/verify-chart.sh >/dev/null
  helm="$(hack/verify-chart.sh --helm-path)"
  log "rendered $(wc -l <"${out}/index") value sets in $((SECONDS - t)) s"
  crds="$(prometheus_crds)"

  t=${SECONDS}
  kubeconfig="$(hack/local-cluster/up.sh | sed -n 's/^KUBECONFIG=//p')"
  [[ -f "${kubeconfig}" ]] || die "up.sh printed no KUBECONFIG"
  export KUBECONFIG="${kubeconfig}"
  kubectl="$(hack/local-cluster/build.sh --bin-dir)/kubectl"
  log "cluster up in $((SECONDS - t)) s"

  t=${SECONDS}
  # Server-side apply: the prometheuses CRD is too big for the last-applied annotation, these two are not, but stay uniform.
  "${kubectl}" apply --server-side -f "${crds}/monitoring.coreos.com_servicemonitors.yaml" \
    -f "${crds}/monitoring.coreos.com_prometheusrules.yaml" >&2
  "${kubectl}" wait --for=condition=Established --timeout=60s \
    crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com >&2

  local name release ns namespaces objects file argsfile n failed=0
  while IFS=$'\t' read -r name release ns namespaces objects file argsfile; do
    for n in ${namespaces//,/ }; do
      "${kubectl}" get namespace "${n}" >/dev/null 2>&1 || "${kubectl}" create namespace "${n}" >/dev/null
    done
    local applied
    if ! applied="$("${kubectl}" apply --dry-run=server -f "${file}" 2>&1)"; then
      log "FAIL ${name}: kubectl apply --dry-run=server"
      printf '%s\n' "${applied}" >&2
      failed=$((failed + 1))
      continue
    fi
    n="$(grep -c '(server dry run)$' <<<"${applied}" || true)"
    if [[ "${n}" != "${objects}" ]]; then
      log "FAIL ${name}: the API server accepted ${n} objects, the chart rendered ${objects}"
      printf '%s\n' "${applied}" >&2
      failed=$((failed + 1))
      continue
    fi
    local args=() installed
    mapfile -t args <"${argsfile}"
    if ! installed="$("${helm}" install "${release}" "${CHART}" --namespace "${ns}" --dry-run=server "${args[@]}" 2>&1)"; then
      log "FAIL ${name}: helm install --dry-run=server"
      printf '%s\n' "${installed}" >&2
      failed=$((failed + 1))
      continue
    fi
    if ! grep -q '^STATUS: pending-install$' <<<"${installed}" || ! grep -q "^edge-controller-manager .* for cluster id" <<<"${installed}"; then
      log "FAIL ${name}: helm install --dry-run=server printed no pending release with its NOTES"
      printf '%s\n' "${installed}" >&2
      failed=$((failed + 1))
      continue
    fi
    log "ok   ${name}: ${objects} objects accepted by the API server, helm install pending in ${ns}"
  done <"${out}/index"
  log "dry-run installs in $((SECONDS - t)) s; total $((SECONDS - t0)) s"
  ((failed == 0)) || die "${failed} value set(s) failed"
}

main "$@"
