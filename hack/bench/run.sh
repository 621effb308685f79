#!/usr/bin/env bash
# Runs the micro and controller benchmarks (model, elb controller against the
# ENS emulator over loopback, poolservice-set fan-out) one package at a time,
# keeps the raw output and prints a summary table. Called by `make bench`.
#
# Environment: BENCH (regexp, default .), BENCHTIME (e.g. 2s or 5x; default
# go test's 1s), COUNT (default 1), OUT (raw output, default
# _output/bench/bench.txt; feed several to benchstat to compare runs).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
GO=${GO:-go}
OUT=${OUT:-_output/bench/bench.txt}
PKGS=(./pkg/elbmodel ./pkg/controller/elb ./pkg/controller/poolserviceset)

args=(-run '^$' -bench "${BENCH:-.}" -benchmem -count "${COUNT:-1}")
if [[ -n "${BENCHTIME:-}" ]]; then
	args+=(-benchtime "${BENCHTIME}")
fi

mkdir -p "$(dirname "${OUT}")"
echo "go test ${args[*]} ${PKGS[*]}  (raw output: ${OUT})" >&2
# -p 1: packages run one after another so they do not skew each other's timings.
set +e
"${GO}" test -p 1 "${args[@]}" "${PKGS[@]}" 2>&1 | tee "${OUT}" | { grep -E '^(ok|FAIL|---|panic)' >&2; true; }
status=${PIPESTATUS[0]}
set -e
echo
"${GO}" run ./hack/bench <"${OUT}"
if [[ ${status} -ne 0 ]]; then
	echo "benchmarks failed (exit ${status}); see ${OUT}" >&2
	exit "${status}"
fi
