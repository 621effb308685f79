#!/usr/bin/env bash
# The walkthrough (automatic ELBs) on this machine, in one command: a local
# control plane with kwok nodes (hack/local-cluster), the ENS emulator as
# "the cloud", and edge-controller-manager running as a local process with
# the least-privilege ServiceAccount from manifests/rbac. It waits until
# cube-svc has one EXTERNAL-IP per node pool, shows what a user sees, and
# then keeps running until Ctrl-C; everything it started is stopped on exit.
#
# Usage: hack/demo/demo.sh [--once]
#   --once (or DEMO_EXIT=1)  exit right after showing the result (CI)
# Env:
#   DEMO_DIR       state dir (default <repo>/_output/demo): pids/, logs/, cluster/
#   DEMO_TIMEOUT   seconds to wait for both EXTERNAL-IPs (default 120)
#   KEEP_STATE=1   keep DEMO_DIR (logs) after a successful run; kept anyway on failure
# Stop a demo left behind with hack/demo/down.sh (make demo-down).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEMO_DIR="${DEMO_DIR:-${REPO_ROOT}/_output/demo}"
export LOCAL_CLUSTER_DIR="${DEMO_DIR}/cluster"
# shellcheck source=lib.sh
source "${REPO_ROOT}/hack/demo/lib.sh"

ONCE="${DEMO_EXIT:-0}"
[[ "${1:-}" == "--once" ]] && ONCE=1
TIMEOUT="${DEMO_TIMEOUT:-120}"
NS=edge-controller-manager # the manager's namespace (manifests/deploy/namespace.yaml)
SA=edge-controller-manager
CLUSTER_ID=demo-cluster
BIN="${REPO_ROOT}/bin"
FAILED=0
SHOWN=0
SLEEP_PID=""

k() { "${LC_BIN_DIR}/kubectl" --kubeconfig "${LC_STATE_DIR}/admin.kubeconfig" "$@"; }

prepare() {
  if demo::any_alive; then
    lc::die "a demo is already running in ${DEMO_DIR}; stop it with make demo-down"
  fi
  if [[ -d "${DEMO_DIR}" ]]; then
    [[ -f "${DEMO_DIR}/.demo" ]] || lc::die "${DEMO_DIR} exists and was not created by the demo; refusing to wipe it"
    rm -f "${DEMO_DIR}/pids/demo.pid"
    "${REPO_ROOT}/hack/demo/down.sh" >/dev/null 2>&1 || true
    rm -rf "${DEMO_DIR}"
  fi
  mkdir -p "${DEMO_DIR}/pids" "${DEMO_DIR}/logs" "${DEMO_DIR}/bin"
  touch "${DEMO_DIR}/.demo"
  echo $$ >"${DEMO_DIR}/pids/demo.pid"
}

build() {
  local t
  t=$(lc::now)
  (cd "${REPO_ROOT}" && go build -o "${BIN}/" ./cmd/... &&
    go build -o "${DEMO_DIR}/bin/demo-inventory" ./hack/demo/inventory)
  demo::log "built bin/edge-controller-manager, bin/ens-emulator in $(lc::since "$t")"
}

start_emulator() {
  local port
  port=$(lc::free_port)
  EMULATOR_URL="http://127.0.0.1:${port}"
  demo::start ens-emulator "${BIN}/ens-emulator" --listen-address="127.0.0.1:${port}" \
    --state-file="${DEMO_DIR}/ens-emulator-state.json"
  demo::wait_http ens-emulator "${EMULATOR_URL}/admin/inventory"
  echo "${EMULATOR_URL}" >"${DEMO_DIR}/emulator-url"
}

# install_rbac applies the CRDs and the manager's namespace and RBAC objects
# (not the Deployment: there is no container engine here).
install_rbac() {
  k apply -k "${REPO_ROOT}/manifests/crds" >/dev/null
  k apply -f "${REPO_ROOT}/manifests/deploy/namespace.yaml" >/dev/null
  local f
  for f in service_account cluster_role cluster_role_binding role role_binding; do
    k apply -f "${REPO_ROOT}/manifests/rbac/${f}.yaml" >/dev/null
  done
  k wait --for=condition=Established --timeout=60s \
    crd/nodepools.apps.openyurt.io crd/poolservices.network.openyurt.io >/dev/null
  "${REPO_ROOT}/hack/local-cluster/sa-kubeconfig.sh" "${NS}" "${SA}" "${DEMO_DIR}/manager.kubeconfig" 2>/dev/null
  demo::log "CRDs, namespace ${NS} and RBAC applied; ServiceAccount kubeconfig minted"
}

start_manager() {
  local metrics health
  cat >"${DEMO_DIR}/cloud-config.yaml" <<EOF
accessKeyID: emulator-ak
accessKeySecret: emulator-secret
region: cn-hefei-cmcc-2
endpoint: ${EMULATOR_URL#http://}
scheme: HTTP
EOF
  metrics=$(lc::free_port)
  health=$(lc::free_port)
  demo::start edge-controller-manager "${BIN}/edge-controller-manager" \
    --kubeconfig="${DEMO_DIR}/manager.kubeconfig" --cluster-id="${CLUSTER_ID}" \
    --cloud-config="${DEMO_DIR}/cloud-config.yaml" --leader-elect=true \
    --leader-elect-resource-namespace="${NS}" --metrics-bind-address="127.0.0.1:${metrics}" \
    --health-probe-bind-address="127.0.0.1:${health}" --v=2
  demo::wait_http edge-controller-manager "http://127.0.0.1:${health}/readyz"
}

# apply_walkthrough: Step 2 (annotated, labelled node pools and their
# nodes), Step 1 (the cube DaemonSet) and Step 3 (cube-svc).
apply_walkthrough() {
  k apply -f "${REPO_ROOT}/manifests/examples/nodepools.yaml"
  k apply -f "${REPO_ROOT}/hack/demo/nodes.yaml"
  k apply -f "${REPO_ROOT}/manifests/examples/cube-daemonset.yaml"
  k apply -f "${REPO_ROOT}/manifests/examples/cube-svc.yaml"
}

wait_external_ips() {
  local deadline=$((SECONDS + TIMEOUT)) ips=""
  while ((SECONDS < deadline)); do
    ips=$(k get svc cube-svc -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null || true)
    [[ $(wc -w <<<"${ips}") -ge 2 ]] && return 0
    demo::check_alive ens-emulator edge-controller-manager
    sleep 0.5
  done
  demo::log "ERROR: cube-svc has no two EXTERNAL-IPs after ${TIMEOUT}s (has: '${ips}'). State:"
  k get np,ps -o wide >&2 || true
  k get svc cube-svc -o wide >&2 || true
  k get events --sort-by=.lastTimestamp >&2 2>&1 | tail -n 20 >&2 || true
  "${DEMO_DIR}/bin/demo-inventory" -url "${EMULATOR_URL}" >&2 || true
  demo::log "manager log: ${DEMO_DIR}/logs/edge-controller-manager.log (last lines below)"
  tail -n 30 "${DEMO_DIR}/logs/edge-controller-manager.log" >&2 || true
  demo::log "emulator log: ${DEMO_DIR}/logs/ens-emulator.log; cluster logs: ${LC_STATE_DIR}/logs"
  return 1
}

show() {
  local header=$'\n\033[1m$ %s\033[0m\n'
  [[ -t 1 ]] || header=$'\n$ %s\n'
  # shellcheck disable=SC2059 # header is the format on purpose.
  printf "$header" "kubectl get ds cube"
  k get ds cube
  # The pools' Step 2 label and annotations (pool status counts are
  # OpenYurt's yurt-manager's job, which the demo does not run).
  local cols='NAME:.metadata.name,K8S-SVC:.metadata.labels.k8s-svc'
  cols+=',REGION:.metadata.annotations.alibabacloud\.com/ens-region-id'
  cols+=',NETWORK:.metadata.annotations.alibabacloud\.com/ens-network-id'
  cols+=',VSWITCHES:.metadata.annotations.alibabacloud\.com/ens-vswitch-id'
  printf "$header" "kubectl get np -o custom-columns=..."
  k get np -o "custom-columns=${cols}"
  printf "$header" "kubectl get ps"
  k get ps
  printf "$header" "kubectl get svc cube-svc"
  k get svc cube-svc
  printf "$header" "ENS (emulator ${EMULATOR_URL}): ELBs, listeners, backends and EIPs"
  "${DEMO_DIR}/bin/demo-inventory" -url "${EMULATOR_URL}"
  echo
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n "${SLEEP_PID}" ]] && kill "${SLEEP_PID}" 2>/dev/null
  ((rc != 0 && rc != 130)) && FAILED=1
  demo::log "stopping the demo"
  demo::stop edge-controller-manager
  demo::stop ens-emulator
  if ((FAILED)) || [[ "${KEEP_STATE:-0}" == 1 ]]; then
    KEEP_STATE=1 "${REPO_ROOT}/hack/local-cluster/down.sh" 2>/dev/null || true
    rm -rf "${DEMO_DIR}/pids"
    demo::log "logs kept in ${DEMO_DIR}/logs and ${LC_STATE_DIR}/logs"
  else
    "${REPO_ROOT}/hack/local-cluster/down.sh" 2>/dev/null || true
    rm -rf "${DEMO_DIR}"
  fi
  exit "${rc}"
}

main() {
  local t0 t
  t0=$(lc::now)
  prepare
  trap cleanup EXIT
  # Ctrl-C once the demo is shown is the normal way to end it.
  trap 'if ((SHOWN)); then exit 0; else exit 130; fi' INT TERM
  build
  t=$(lc::now)
  "${REPO_ROOT}/hack/local-cluster/up.sh" >/dev/null
  demo::log "local cluster up in $(lc::since "$t")"
  start_emulator
  install_rbac
  start_manager
  t=$(lc::now)
  apply_walkthrough
  wait_external_ips
  demo::log "cube-svc has both EXTERNAL-IPs $(lc::since "$t") after kubectl apply ($(lc::since "$t0") in total)"
  show
  SHOWN=1
  if ((ONCE)); then
    return 0
  fi
  cat <<EOF
The demo is running. Try it yourself:
  export KUBECONFIG=${LC_STATE_DIR}/admin.kubeconfig
  alias kubectl=${LC_BIN_DIR}/kubectl
  kubectl label np np-chengdu k8s-svc-       # the Chengdu ELB and EIP are released
  curl -s ${EMULATOR_URL}/admin/inventory | jq '.loadBalancers[] | {id, name, listeners, backends}'
Logs: ${DEMO_DIR}/logs. Press Ctrl-C to stop everything (or run make demo-down elsewhere).
EOF
  sleep infinity &
  SLEEP_PID=$!
  wait "${SLEEP_PID}" || true
}

main "$@"
