#!/usr/bin/env bash
# Runs the scale benchmark (pkg/e2e/benchscale): the manager binary against
# the local control plane (hack/local-cluster, kwok nodes) and the
# ens-emulator process with ENS's documented rate limits and a 30 ms round
# trip; cold converge, a no-op resync pass, endpoint moves during a resync,
# and a restart at 20,000 PoolServices. Writes the figures to
# _output/bench/scale.json and prints the table. Called by `make bench-scale`.
#
# Environment: BENCH_SCALE_PROFILE (full, the default: 50 Services × 20
# pools, the restart at 20,000 PoolServices, 20-40 minutes; small: 5 × 4 and
# 500, under 2 minutes), BENCH_SCALE_OUT (default _output/bench/scale.json;
# the test output goes to scale-run.log beside it), BENCH_SCALE_TIMEOUT (go test
# -timeout; 90m), BENCH_SCALE_KEEP=1 (keep the run directory with every
# log), and the overrides listed in pkg/e2e/benchscale/profile.go
# (BENCH_SCALE_SERVICES, _POOLS, _NODES, _RTT, _MOVE_RATE, _MOVE_DURATION,
# _RESTART_POOLSERVICES, _RESTART_ENDPOINTS, _LIMIT_SCALE, _ELB_WORKERS, _V).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
GO=${GO:-go}
BENCH_SCALE_OUT=${BENCH_SCALE_OUT:-_output/bench/scale.json}
case "${BENCH_SCALE_OUT}" in
/*) ;;
*) BENCH_SCALE_OUT="${PWD}/${BENCH_SCALE_OUT}" ;; # go test runs in the package directory
esac
export BENCH_SCALE_OUT
mkdir -p "$(dirname "${BENCH_SCALE_OUT}")"
log="${BENCH_SCALE_OUT%.json}-run.log"

echo "go test -tags benchscale -run TestBenchScale ./pkg/e2e/benchscale  (profile ${BENCH_SCALE_PROFILE:-full}; figures: ${BENCH_SCALE_OUT}, output: ${log})" >&2
start=$(date +%s)
set +e
"${GO}" test -tags benchscale -run TestBenchScale -v -count=1 -timeout "${BENCH_SCALE_TIMEOUT:-90m}" ./pkg/e2e/benchscale 2>&1 | tee "${log}"
status=${PIPESTATUS[0]}
set -e
echo "bench-scale (${BENCH_SCALE_PROFILE:-full}) took $(($(date +%s) - start))s" >&2
if [[ ${status} -ne 0 ]]; then
	echo "scale benchmark failed (exit ${status}); see ${log}" >&2
fi
exit "${status}"
