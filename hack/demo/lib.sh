#!/usr/bin/env bash
# Helpers shared by hack/demo/demo.sh and down.sh. Source it after setting
# DEMO_DIR and LOCAL_CLUSTER_DIR; do not run it.
# shellcheck source=../lib/local-cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/local-cluster.sh"

# Processes the demo starts itself, in start order.
DEMO_COMPONENTS=(ens-emulator edge-controller-manager)

demo::log() { printf '[demo %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# demo::pid_alive PID succeeds if PID runs and its command line mentions
# DEMO_DIR (so a reused PID is never signalled).
demo::pid_alive() {
  local pid=$1 cmdline
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  cmdline=$(tr "\0" " " 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ "$cmdline" == *"${DEMO_DIR}"* ]]
}

demo::pid() { cat "${DEMO_DIR}/pids/$1.pid" 2>/dev/null || true; }

# demo::any_alive succeeds if a recorded demo process still runs.
demo::any_alive() {
  local name
  for name in "${DEMO_COMPONENTS[@]}"; do
    demo::pid_alive "$(demo::pid "$name")" && return 0
  done
  return 1
}

# demo::start NAME BIN ARGS... runs BIN detached, logging to logs/NAME.log.
demo::start() {
  local name=$1
  shift
  setsid "$@" </dev/null >"${DEMO_DIR}/logs/${name}.log" 2>&1 &
  echo $! >"${DEMO_DIR}/pids/${name}.pid"
}

# demo::check_alive NAME... fails with the log tail if one has exited.
demo::check_alive() {
  local name
  for name in "$@"; do
    if ! demo::pid_alive "$(demo::pid "$name")"; then
      tail -n 30 "${DEMO_DIR}/logs/${name}.log" >&2 || true
      lc::die "${name} exited; log: ${DEMO_DIR}/logs/${name}.log"
    fi
  done
}

# demo::wait_http NAME URL waits (60s) until URL answers 200.
demo::wait_http() {
  local name=$1 url=$2 t0 deadline=$((SECONDS + 60))
  t0=$(lc::now)
  until curl -sf -o /dev/null "$url"; do
    demo::check_alive "$name"
    ((SECONDS < deadline)) || lc::die "${name} did not answer ${url} within 60s; log: ${DEMO_DIR}/logs/${name}.log"
    sleep 0.1
  done
  demo::log "${name} ready in $(lc::since "$t0") (pid $(demo::pid "$name"))"
}

# demo::stop NAME: SIGTERM, 10s grace, then SIGKILL; by recorded PID only.
demo::stop() {
  local name=$1 pid i
  pid=$(demo::pid "$name")
  if demo::pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      demo::pid_alive "$pid" || break
      sleep 0.1
    done
    if demo::pid_alive "$pid"; then
      demo::log "${name} (pid ${pid}) ignored SIGTERM for 10s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "${DEMO_DIR}/pids/${name}.pid"
}
