#!/usr/bin/env bash
# Stops the cluster started by up.sh (by recorded PID only) and removes its
# state dir unless KEEP_STATE=1. Safe to run when nothing is running.
# Env: LOCAL_CLUSTER_DIR (same as up.sh), KEEP_STATE=1 keeps logs/etcd data.
set -euo pipefail
# shellcheck source=../lib/local-cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/local-cluster.sh"

t0=$(lc::now)
if [[ ! -d "${LC_STATE_DIR}" ]]; then
  lc::log "nothing to stop: ${LC_STATE_DIR} does not exist"
  exit 0
fi
[[ -f "${LC_STATE_DIR}/.local-cluster" ]] || lc::die "${LC_STATE_DIR} was not created by up.sh; not touching it"
for ((i = ${#LC_COMPONENTS[@]} - 1; i >= 0; i--)); do
  t=$(lc::now)
  name=${LC_COMPONENTS[i]}
  if [[ -f "${LC_STATE_DIR}/pids/${name}.pid" ]]; then
    lc::stop "${name}"
    lc::log "${name} stopped in $(lc::since "$t")"
  fi
done
if [[ "${KEEP_STATE:-0}" == 1 ]]; then
  lc::log "kept state in ${LC_STATE_DIR}"
else
  rm -rf "${LC_STATE_DIR}"
fi
lc::log "down in $(lc::since "$t0")"
