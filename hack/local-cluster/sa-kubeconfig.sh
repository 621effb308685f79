#!/usr/bin/env bash
# Writes a kubeconfig that authenticates as ServiceAccount NS/SA with a bound
# token (TokenRequest API), creating the namespace and ServiceAccount if they
# are missing. RBAC is not touched: bind the roles the test needs yourself.
#
# Usage: hack/local-cluster/sa-kubeconfig.sh NAMESPACE SERVICEACCOUNT OUT [SECONDS]
#   SECONDS token lifetime (default 86400)
# Env: LOCAL_CLUSTER_DIR (same as up.sh)
set -euo pipefail
# shellcheck source=../lib/local-cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/local-cluster.sh"

[[ $# -ge 3 ]] || lc::die "usage: $0 NAMESPACE SERVICEACCOUNT OUT [SECONDS]"
NS=$1 SA=$2 OUT=$3 TTL=${4:-86400}
[[ -f "${LC_STATE_DIR}/env" ]] || lc::die "no cluster state in ${LC_STATE_DIR}; run up.sh"
SERVER=$(sed -n 's/^LOCAL_CLUSTER_SERVER=//p' "${LC_STATE_DIR}/env")
PKI="${LC_STATE_DIR}/pki"

# api METHOD PATH [BODY]: admin request; prints the body, fails on HTTP errors
# other than 409 (already exists).
api() {
  local out code
  out=$(mktemp)
  code=$(curl -s -o "$out" -w '%{http_code}' --cacert "${PKI}/ca.crt" --cert "${PKI}/admin.crt" \
    --key "${PKI}/admin.key" -X "$1" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "${SERVER}$2")
  if [[ "$code" != 2* && "$code" != 409 ]]; then
    cat "$out" >&2
    rm -f "$out"
    lc::die "$1 $2: HTTP $code"
  fi
  cat "$out"
  rm -f "$out"
}

api POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"${NS}\"}}" >/dev/null
api POST "/api/v1/namespaces/${NS}/serviceaccounts" \
  "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"${SA}\"}}" >/dev/null
TOKEN=$(api POST "/api/v1/namespaces/${NS}/serviceaccounts/${SA}/token" \
  "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"expirationSeconds\":${TTL}}}" |
  jq -r .status.token)
[[ -n "$TOKEN" && "$TOKEN" != null ]] || lc::die "empty token for ${NS}/${SA}"

mkdir -p "$(dirname "$OUT")"
umask 077
cat >"$OUT" <<EOT
apiVersion: v1
kind: Config
clusters:
- name: local-cluster
  cluster:
    server: ${SERVER}
    certificate-authority-data: $(base64 -w0 <"${PKI}/ca.crt")
users:
- name: ${NS}-${SA}
  user:
    token: ${TOKEN}
contexts:
- name: local-cluster
  context:
    cluster: local-cluster
    namespace: ${NS}
    user: ${NS}-${SA}
current-context: local-cluster
EOT
lc::log "wrote ${OUT} for system:serviceaccount:${NS}:${SA} (token ${TTL}s)"
