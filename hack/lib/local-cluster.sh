#!/usr/bin/env bash
# Shared pins, paths and small helpers for hack/local-cluster/*.sh. Source it; do not run it.

# Pinned versions. Changing any of these rebuilds the affected binaries.
LC_K8S_VERSION="${LC_K8S_VERSION:-v1.37.2}"
LC_STAGING_VERSION="${LC_STAGING_VERSION:-v0.37.2}" # k8s.io/<staging repo> tag matching LC_K8S_VERSION
LC_ETCD_VERSION="${LC_ETCD_VERSION:-v3.7.0}"         # what k8s.io/kubernetes@v1.37.2 pins
LC_KWOK_VERSION="${LC_KWOK_VERSION:-v0.8.0}"

LC_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Binaries live outside the repo, keyed by the Kubernetes version.
LC_CACHE_DIR="${LOCAL_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edge-controller-manager/k8s-${LC_K8S_VERSION}}"
LC_BIN_DIR="${LC_CACHE_DIR}/bin"
LC_STATE_DIR="${LOCAL_CLUSTER_DIR:-${LC_REPO_ROOT}/_output/local-cluster}"

lc::log() { printf '[local-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
lc::die() { lc::log "ERROR: $*"; exit 1; }

# lc::now prints a monotonic-enough timestamp in milliseconds.
lc::now() { date +%s%3N; }
# lc::since START prints seconds elapsed since START (from lc::now) with one decimal.
lc::since() { local d=$(( $(lc::now) - $1 )); printf '%d.%01ds' $((d / 1000)) $(((d % 1000) / 100)); }

# Components in start order; down.sh stops them in reverse.
LC_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# lc::port_in_use PORT succeeds if something listens on 127.0.0.1:PORT (or any address).
lc::port_in_use() { [[ -n "$(ss -Htln "( sport = :$1 )" 2>/dev/null)" ]]; }

# lc::free_port prints an unused TCP port not in LC_TAKEN_PORTS, from 20000
# up to below the kernel's ephemeral range (ip_local_port_range, 32768 by
# default): a port in that range can be taken by any outbound connection
# (the apiserver's to etcd, say) between the pick and the bind, which once
# failed kwok's listen in .ci/run. Still racy against other listeners, so
# ports can also be pinned by env.
LC_TAKEN_PORTS=" "
lc::free_port() {
  local p i low=32768
  if [[ -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  fi
  ((low > 21000)) || low=60000 # an unusual range: the old span
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % (low - 20000)))
    [[ "${LC_TAKEN_PORTS}" == *" $p "* ]] && continue
    lc::port_in_use "$p" && continue
    LC_TAKEN_PORTS+="$p "
    echo "$p"
    return 0
  done
  lc::die "no free port found"
}

# lc::pid_alive PID succeeds if PID runs and its command line mentions the
# state dir (guards against PID reuse after a crash or reboot).
lc::pid_alive() {
  local pid=$1
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  local cmdline
  cmdline=$(tr "\0" " " 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ "$cmdline" == *"${LC_STATE_DIR}"* ]]
}

# lc::stop NAME stops the component recorded in $LC_STATE_DIR/pids/NAME.pid.
lc::stop() {
  local name=$1 pidfile="${LC_STATE_DIR}/pids/$1.pid" pid i
  [[ -f "$pidfile" ]] || return 0
  pid=$(cat "$pidfile")
  if lc::pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      lc::pid_alive "$pid" || break
      sleep 0.1
    done
    if lc::pid_alive "$pid"; then
      lc::log "$name (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}
