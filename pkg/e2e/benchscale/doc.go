// Package benchscale is the process-level scale benchmark (`make
// bench-scale`, issue 9): the manager binary against the real local control
// plane (hack/local-cluster: etcd, kube-apiserver, kwok nodes) and the
// ens-emulator process with ENS's documented per-action rate limits and a
// 30 ms round trip, each phase's figure next to the lower bound those limits
// allow for the workload (from the calls the workload needs at least, never
// from what the controller made):
//
//  1. cold converge of S Services × P pools (TCP+UDP, 5 kwok nodes a pool);
//  2. one no-op resync pass over all of them: reads per PoolService, writes;
//  3. endpoint moves of a Local-policy Service at 5/s while a resync pass
//     runs: EndpointSlice write → the emulator answering the backend call
//     that gives that ELB the new backends;
//  4. restart at 20,000 PoolServices / 50,000 endpoints with the cloud state
//     and the ownership records already there (seeded, the limits scaled by
//     limit_scale): adopt time and bound, creates, duplicates, and the
//     manager's RSS afterwards.
//
// It writes _output/bench/scale.json and prints a table. The test carries
// the build tag benchscale (hack/bench/scale.sh runs it); the arithmetic
// (profiles, bounds, windows, move latencies, the report) is plain Go,
// table-tested in `make test`. BENCH_SCALE_PROFILE=small is the quick
// profile CI runs; see profile.go for every knob.
package benchscale
