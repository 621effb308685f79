// Package soak is the randomized soak of edge-controller-manager: a seeded,
// reproducible random workload (Services, pools, nodes, endpoints,
// PoolServices, a user's own ELBs, EIPs, listeners and backends, and their
// hand releases) against the real local control plane, the ENS emulator and
// two manager replicas, under injected faults (auth ones too), leader kills
// and emulator restarts; then it quiesces and judges the result with an
// oracle of its own (oracle*.go) from the API objects, the emulator
// inventory, every mutating call of the managers and the user's ledger.
//
// The oracle files are plain Go with table tests that run in `make test`.
// The soak itself carries the build tag soak and runs with `make soak`
// (SOAK_SEED, SOAK_DURATION), or
//
//	go test -tags soak ./pkg/e2e/soak/ -run TestSoak -v -count=1 -args -seed=1 -duration=90s
//
// It ends with one line
//
//	soak seed=S duration=D ops=N faults=F leader-kills=K emulator-restarts=R foreign-releases=0 duplicates=0 leaks=0 unconverged=0 stuck=0
//
// and fails when any of the last five is not 0; foreign-releases counts
// releases and mutations of what another AccessKey made (the line before
// splits them). SOAK_KEEP=1 keeps its
// directory (logs, cluster state, the op log).
package soak
