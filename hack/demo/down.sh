#!/usr/bin/env bash
# Stops a demo left behind (hack/demo/demo.sh): the demo script itself if it
# still runs (it then cleans up), else the manager, the emulator and the local
# cluster by their recorded PIDs, and removes the state dir unless KEEP_STATE=1.
# Env: DEMO_DIR (default <repo>/_output/demo), KEEP_STATE=1.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEMO_DIR="${DEMO_DIR:-${REPO_ROOT}/_output/demo}"
export LOCAL_CLUSTER_DIR="${DEMO_DIR}/cluster"
# shellcheck source=lib.sh
source "${REPO_ROOT}/hack/demo/lib.sh"

if [[ ! -d "${DEMO_DIR}" ]]; then
  demo::log "nothing to stop: ${DEMO_DIR} does not exist"
  exit 0
fi
[[ -f "${DEMO_DIR}/.demo" ]] || lc::die "${DEMO_DIR} was not created by the demo; not touching it"

# A running demo.sh (recorded as pids/demo.pid) cleans up after SIGTERM.
pid=$(demo::pid demo)
if [[ -n "$pid" && "$pid" != "$$" && -r "/proc/$pid/cmdline" ]] &&
  tr "\0" " " 2>/dev/null <"/proc/$pid/cmdline" | grep -q "hack/demo/demo.sh"; then
  demo::log "stopping demo.sh (pid ${pid})"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    [[ -d "/proc/$pid" ]] || break
    sleep 0.1
  done
fi
for ((i = ${#DEMO_COMPONENTS[@]} - 1; i >= 0; i--)); do
  demo::stop "${DEMO_COMPONENTS[i]}"
done
if [[ -d "${LOCAL_CLUSTER_DIR}" ]]; then
  "${REPO_ROOT}/hack/local-cluster/down.sh"
fi
if [[ "${KEEP_STATE:-0}" == 1 ]]; then
  demo::log "kept ${DEMO_DIR}"
else
  rm -rf "${DEMO_DIR}"
fi
demo::log "demo stopped"
