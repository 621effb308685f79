#!/usr/bin/env bash
# Runs the in-process scale benchmark (pkg/e2e/scale): N Services over P pools
# converged, resynced, their endpoints moved and deleted, in one process
# against the ENS emulator with the documented rate limits on; prints the
# summary table (measured next to the bound the limits allow) and writes
# the raw numbers. Called by `make bench-scale-inproc`.
#
# Environment: SCALE_SERVICES (50), SCALE_POOLS (2), SCALE_NODES (nodes
# per pool, 5), SCALE_RTT (20ms), SCALE_RESYNC (resync period; default 60s
# or 0.25s per PoolService, whichever is longer), SCALE_ELB_WORKERS (4),
# SCALE_V (controller log verbosity), SCALE_TIMEOUT (go test -timeout, 60m),
# SCALE_OUT (raw numbers, default _output/bench/scale.txt; the test output
# goes to scale.out and the controllers' log to scale.log beside it).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
GO=${GO:-go}
SCALE_OUT=${SCALE_OUT:-_output/bench/scale.txt}
case "${SCALE_OUT}" in
/*) ;;
*) SCALE_OUT="${PWD}/${SCALE_OUT}" ;; # go test runs in the package directory
esac
export SCALE_OUT
mkdir -p "$(dirname "${SCALE_OUT}")"
log="${SCALE_OUT%.txt}.out"

echo "go test -tags scale -run TestScale -v ./pkg/e2e/scale  (raw numbers: ${SCALE_OUT}, output: ${log})" >&2
set +e
"${GO}" test -tags scale -run TestScale -v -count=1 -timeout "${SCALE_TIMEOUT:-60m}" ./pkg/e2e/scale 2>&1 | tee "${log}"
status=${PIPESTATUS[0]}
set -e
if [[ ${status} -ne 0 ]]; then
	echo "scale benchmark failed (exit ${status}); see ${log}" >&2
fi
exit "${status}"
