#!/usr/bin/env bash
# Starts a local control plane on 127.0.0.1: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok (fake kubelets).
# Prints KUBECONFIG=<path> on stdout when the cluster is ready; everything
# else goes to stderr. Stop it with hack/local-cluster/down.sh.
#
# Env:
#   LOCAL_CLUSTER_DIR      state dir (default <repo>/_output/local-cluster)
#   LOCAL_CLUSTER_CACHE    binary cache (default ~/.cache/edge-controller-manager/k8s-<ver>)
#   LOCAL_CLUSTER_SKIP_BUILD=1   do not run build.sh first
#   LOCAL_CLUSTER_TIMEOUT  seconds to wait for each component (default 90)
#   LOCAL_CLUSTER_{ETCD,ETCD_PEER,APISERVER,KCM,SCHEDULER,KWOK}_PORT  pin ports (default: free ports)
#   LOCAL_CLUSTER_KUBE_ARGS  extra kube-apiserver flags (space separated)
#   LOCAL_CLUSTER_KCM_CONTROLLERS  replaces the kube-controller-manager --controllers list
#   LOCAL_CLUSTER_AUDIT_LOG  kube-apiserver audit log (JSON lines) at this path (default: no audit)
#   LOCAL_CLUSTER_AUDIT_POLICY  audit policy for it (default: every request at Metadata level)
set -euo pipefail
# shellcheck source=../lib/local-cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/local-cluster.sh"

STATE="${LC_STATE_DIR}"
BIN="${LC_BIN_DIR}"
TIMEOUT="${LOCAL_CLUSTER_TIMEOUT:-90}"
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1
# Controllers needed for DaemonSet/Deployment pods, EndpointSlices, owner GC,
# namespace deletion and ServiceAccounts. No node-lifecycle-controller: Node
# readiness is whatever kwok (or a test) writes to status, never a taint or
# a lease timeout; kube-apiserver runs without TaintNodesByCondition for the
# same reason (nobody would remove its not-ready taint).
KCM_CONTROLLERS="daemonset-controller,deployment-controller,replicaset-controller,endpointslice-controller"
KCM_CONTROLLERS+=",garbage-collector-controller,namespace-controller,serviceaccount-controller"
KCM_CONTROLLERS+=",serviceaccount-token-controller,root-ca-certificate-publisher-controller"
KCM_CONTROLLERS+=",pod-garbage-collector-controller,service-cidr-controller,clusterrole-aggregation-controller"
KCM_CONTROLLERS="${LOCAL_CLUSTER_KCM_CONTROLLERS:-${KCM_CONTROLLERS}}"

prepare_state_dir() {
  if [[ -d "${STATE}/pids" ]]; then
    local name
    for name in "${LC_COMPONENTS[@]}"; do
      if lc::pid_alive "$(cat "${STATE}/pids/${name}.pid" 2>/dev/null)"; then
        lc::die "a cluster is already running in ${STATE} (${name}); run hack/local-cluster/down.sh"
      fi
    done
  fi
  if [[ -n "$(ls -A "${STATE}" 2>/dev/null)" ]]; then
    [[ -f "${STATE}/.local-cluster" ]] || lc::die "${STATE} is not empty and was not created by up.sh; refusing to wipe it"
    rm -rf "${STATE}"
  fi
  mkdir -p "${STATE}/pids" "${STATE}/logs"
  touch "${STATE}/.local-cluster"
}

pick_ports() {
  ETCD_PORT=${LOCAL_CLUSTER_ETCD_PORT:-$(lc::free_port)}
  ETCD_PEER_PORT=${LOCAL_CLUSTER_ETCD_PEER_PORT:-$(lc::free_port)}
  APISERVER_PORT=${LOCAL_CLUSTER_APISERVER_PORT:-$(lc::free_port)}
  KCM_PORT=${LOCAL_CLUSTER_KCM_PORT:-$(lc::free_port)}
  SCHEDULER_PORT=${LOCAL_CLUSTER_SCHEDULER_PORT:-$(lc::free_port)}
  KWOK_PORT=${LOCAL_CLUSTER_KWOK_PORT:-$(lc::free_port)}
  SERVER="https://127.0.0.1:${APISERVER_PORT}"
}

# start NAME ARGS... runs BIN/NAME detached (own session, no inherited
# stdio, so callers piping our output are not held open) and records its PID.
start() {
  local name=$1
  shift
  setsid "${BIN}/${name}" "$@" </dev/null >"${STATE}/logs/${name}.log" 2>&1 &
  echo $! >"${STATE}/pids/${name}.pid"
}

# wait_for NAME CMD... polls CMD until it succeeds, the component dies, or TIMEOUT.
wait_for() {
  local name=$1 t0 deadline
  shift
  t0=$(lc::now)
  deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ! lc::pid_alive "$(cat "${STATE}/pids/${name}.pid")"; then
      tail -n 30 "${STATE}/logs/${name}.log" >&2 || true
      lc::die "${name} exited; log: ${STATE}/logs/${name}.log"
    fi
    if ((SECONDS > deadline)); then
      tail -n 30 "${STATE}/logs/${name}.log" >&2 || true
      lc::die "${name} not ready after ${TIMEOUT}s; log: ${STATE}/logs/${name}.log"
    fi
    sleep 0.2
  done
  lc::log "${WAIT_LABEL:-${name}} ready in $(lc::since "$t0") (pid $(cat "${STATE}/pids/${name}.pid"))"
}

# api GET-path: curl against kube-apiserver as the admin.
api() {
  curl -sf --cacert "${STATE}/pki/ca.crt" --cert "${STATE}/pki/admin.crt" \
    --key "${STATE}/pki/admin.key" "${SERVER}$1"
}
healthz_ok() { [[ "$(curl -skf "$1")" == ok ]]; }
etcd_ok() { curl -sf "http://127.0.0.1:${ETCD_PORT}/health" | grep -q '"health":"true"'; }
apiserver_ok() { [[ "$(api /readyz)" == ok ]]; }
default_sa_ok() { api /api/v1/namespaces/default/serviceaccounts/default; }

start_etcd() {
  local peer="http://127.0.0.1:${ETCD_PEER_PORT}" client="http://127.0.0.1:${ETCD_PORT}"
  # --unsafe-no-fsync: throwaway data, and fsync dominates apiserver latency on shared disks.
  start etcd --name=local --data-dir="${STATE}/etcd" \
    --listen-client-urls="${client}" --advertise-client-urls="${client}" \
    --listen-peer-urls="${peer}" --initial-advertise-peer-urls="${peer}" \
    --initial-cluster="local=${peer}" --unsafe-no-fsync --log-level=warn
  wait_for etcd etcd_ok
}

# audit_flags prints the kube-apiserver audit flags when LOCAL_CLUSTER_AUDIT_LOG is set.
audit_flags() {
  [[ -n "${LOCAL_CLUSTER_AUDIT_LOG:-}" ]] || return 0
  local policy="${LOCAL_CLUSTER_AUDIT_POLICY:-}"
  if [[ -z "${policy}" ]]; then
    policy="${STATE}/audit-policy.yaml"
    cat >"${policy}" <<'EOT'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
EOT
  fi
  [[ -f "${policy}" ]] || lc::die "LOCAL_CLUSTER_AUDIT_POLICY ${policy} does not exist"
  mkdir -p "$(dirname "${LOCAL_CLUSTER_AUDIT_LOG}")"
  echo "--audit-policy-file=${policy} --audit-log-path=${LOCAL_CLUSTER_AUDIT_LOG} --audit-log-format=json --audit-log-mode=blocking"
}

# The default admission plugins, plus OwnerReferencesPermissionEnforcement
# (as many production clusters run): setting blockOwnerDeletion on an owner
# reference then needs update on the owner's finalizers, which the e2e RBAC
# test proves the manager's ClusterRole grants and needs.
start_apiserver() {
  local pki="${STATE}/pki" audit
  audit=$(audit_flags) # on its own line, so that its failure stops up.sh
  # shellcheck disable=SC2086 # LOCAL_CLUSTER_KUBE_ARGS and audit are word lists on purpose.
  start kube-apiserver --etcd-servers="http://127.0.0.1:${ETCD_PORT}" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="${APISERVER_PORT}" \
    --endpoint-reconciler-type=none --cert-dir="${pki}" \
    --tls-cert-file="${pki}/apiserver.crt" --tls-private-key-file="${pki}/apiserver.key" \
    --client-ca-file="${pki}/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="${pki}/sa.pub" --service-account-signing-key-file="${pki}/sa.key" \
    --service-cluster-ip-range="${SERVICE_CIDR}" --authorization-mode=Node,RBAC \
    --requestheader-client-ca-file="${pki}/ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --enable-admission-plugins=OwnerReferencesPermissionEnforcement \
    --disable-admission-plugins=TaintNodesByCondition \
    --allow-privileged=true --profiling=false ${audit} ${LOCAL_CLUSTER_KUBE_ARGS:-}
  wait_for kube-apiserver apiserver_ok
}

# component_flags NAME PORT: kubeconfig and secure-serving flags shared by
# kube-controller-manager and kube-scheduler.
component_flags() {
  local kc="${STATE}/$1.kubeconfig"
  echo "--kubeconfig=${kc} --authentication-kubeconfig=${kc} --authorization-kubeconfig=${kc}" \
    "--bind-address=127.0.0.1 --secure-port=$2 --cert-dir=${STATE}/certs/$1 --leader-elect=false"
}

start_controller_manager() {
  # shellcheck disable=SC2046 # component_flags prints a word list.
  start kube-controller-manager $(component_flags kube-controller-manager "${KCM_PORT}") \
    --controllers="${KCM_CONTROLLERS}" --use-service-account-credentials=true \
    --service-account-private-key-file="${STATE}/pki/sa.key" --root-ca-file="${STATE}/pki/ca.crt" \
    --service-cluster-ip-range="${SERVICE_CIDR}"
  wait_for kube-controller-manager healthz_ok "https://127.0.0.1:${KCM_PORT}/healthz"
}

start_scheduler() {
  # The DaemonSet controller only sets node affinity; the scheduler binds pods.
  # shellcheck disable=SC2046
  start kube-scheduler $(component_flags kube-scheduler "${SCHEDULER_PORT}")
  wait_for kube-scheduler healthz_ok "https://127.0.0.1:${SCHEDULER_PORT}/healthz"
}

start_kwok() {
  # HOME points into the state dir so a developer's ~/.kwok/kwok.yaml is never merged in.
  mkdir -p "${STATE}/kwok-home"
  HOME="${STATE}/kwok-home" start kwok --kubeconfig="${STATE}/kwok.kubeconfig" \
    --config="${LC_REPO_ROOT}/hack/local-cluster/kwok.yaml" \
    --server-address="127.0.0.1:${KWOK_PORT}"
  wait_for kwok healthz_ok "http://127.0.0.1:${KWOK_PORT}/healthz"
}

write_env() {
  cat >"${STATE}/env" <<EOT
# Written by hack/local-cluster/up.sh; source it.
LOCAL_CLUSTER_DIR=${STATE}
LOCAL_CLUSTER_BIN_DIR=${BIN}
LOCAL_CLUSTER_SERVER=${SERVER}
KUBECONFIG=${STATE}/admin.kubeconfig
LOCAL_CLUSTER_ETCD_PORT=${ETCD_PORT}
LOCAL_CLUSTER_ETCD_PEER_PORT=${ETCD_PEER_PORT}
LOCAL_CLUSTER_APISERVER_PORT=${APISERVER_PORT}
LOCAL_CLUSTER_KCM_PORT=${KCM_PORT}
LOCAL_CLUSTER_SCHEDULER_PORT=${SCHEDULER_PORT}
LOCAL_CLUSTER_KWOK_PORT=${KWOK_PORT}
EOT
}

on_exit() {
  local rc=$?
  ((rc == 0)) && return 0
  lc::log "up failed; stopping what was started (logs kept in ${STATE}/logs)"
  local i
  for ((i = ${#LC_COMPONENTS[@]} - 1; i >= 0; i--)); do lc::stop "${LC_COMPONENTS[i]}"; done
}

main() {
  local t0 t
  t0=$(lc::now)
  if [[ "${LOCAL_CLUSTER_SKIP_BUILD:-0}" != 1 ]]; then
    "${LC_REPO_ROOT}/hack/local-cluster/build.sh" >&2
  fi
  local b
  for b in "${LC_COMPONENTS[@]}"; do
    [[ -x "${BIN}/${b}" ]] || lc::die "missing ${BIN}/${b}; run hack/local-cluster/build.sh"
  done
  prepare_state_dir
  trap on_exit EXIT
  trap "exit 130" INT TERM # make the EXIT trap clean up on Ctrl-C too
  pick_ports
  t=$(lc::now)
  (cd "${LC_REPO_ROOT}" && GOFLAGS=-buildvcs=false go run ./hack/local-cluster/certgen \
    -dir "${STATE}" -server "${SERVER}" -service-ip "${SERVICE_IP}")
  lc::log "certificates in $(lc::since "$t")"
  write_env
  t=$(lc::now)
  start_etcd
  start_apiserver
  start_controller_manager
  start_scheduler
  start_kwok
  WAIT_LABEL="default ServiceAccount" wait_for kube-controller-manager default_sa_ok
  lc::log "cluster ready at ${SERVER} in $(lc::since "$t") (total $(lc::since "$t0")); state ${STATE}"
  echo "KUBECONFIG=${STATE}/admin.kubeconfig"
}

main "$@"
