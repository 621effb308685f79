#!/usr/bin/env bash
# Smoke-tests a running local cluster (hack/local-cluster/up.sh): a kwok Node
# becomes Ready, DaemonSet pods get scheduled and go Running/Ready, the
# Service's EndpointSlice lists them as ready, and owner-reference GC plus
# namespace deletion clean up. Exits non-zero on the first failure.
# Env: LOCAL_CLUSTER_DIR (same as up.sh)
set -euo pipefail
# shellcheck source=../lib/local-cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/local-cluster.sh"

export KUBECONFIG="${LC_STATE_DIR}/admin.kubeconfig"
[[ -f "$KUBECONFIG" ]] || lc::die "no ${KUBECONFIG}; run up.sh"
k() { "${LC_BIN_DIR}/kubectl" "$@"; }
NS=local-cluster-smoke
NODES=(smoke-node-1 smoke-node-2)
t0=$(lc::now)

for n in "${NODES[@]}"; do
  # Only the annotation is required for kwok to manage the Node.
  k apply -f - <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: $n, local-cluster/smoke: "true"}
EOF
done
k wait --for=condition=Ready --timeout=60s "${NODES[@]/#/node/}"
lc::log "nodes Ready after $(lc::since "$t0")"

k create namespace "$NS"
k apply -n "$NS" -f - <<'EOF'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {local-cluster/smoke: "true"}
      containers:
      - {name: web, image: fake.example/web:1, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
EOF
# poll DESC WANT CMD...: rerun CMD until it prints WANT (30s).
poll() {
  local desc=$1 want=$2 got i
  shift 2
  for i in $(seq 1 100); do
    got=$("$@")
    [[ "$got" == "$want" ]] && return 0
    sleep 0.3
  done
  lc::die "${desc}: got ${got}, want ${want}"
}
ds_ready() {
  k get -n "$NS" daemonset/web -o jsonpath='{.status.desiredNumberScheduled}/{.status.numberReady}'
}
# rollout status can pass before the controller has counted the nodes.
poll "DaemonSet desired/ready" "${#NODES[@]}/${#NODES[@]}" ds_ready
k get -n "$NS" pods -o wide
lc::log "DaemonSet pods Ready after $(lc::since "$t0")"

ready_endpoints() {
  k get endpointslices -n "$NS" -l kubernetes.io/service-name=web -o json |
    jq '[.items[].endpoints[]? | select(.conditions.ready == true and (.addresses | length) > 0)] | length'
}
poll "ready endpoints" "${#NODES[@]}" ready_endpoints
k get endpointslices -n "$NS" -l kubernetes.io/service-name=web
lc::log "EndpointSlice has ${#NODES[@]} ready endpoints after $(lc::since "$t0")"

# Background deletion leaves the pods to the garbage collector.
k delete -n "$NS" daemonset/web --cascade=background
k wait -n "$NS" --for=delete pod -l app=web --timeout=60s
lc::log "garbage collector removed DaemonSet pods after $(lc::since "$t0")"

k delete namespace "$NS" --timeout=60s
k delete node "${NODES[@]}"
lc::log "smoke OK in $(lc::since "$t0")"
