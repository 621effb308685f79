// Package scale is the scale benchmark of the ELB controller: N Services
// over P pools (N×P PoolServices, each a TCP and a UDP port) converged,
// resynced, their endpoints moved and all deleted again against the ENS
// emulator with ENS's documented per-action rate limits on, an injected
// round trip and realistic transition delays, through the real ENS client
// with its documented per-action buckets. Everything runs in one process:
// fake clientsets with real informers, the real poolservice-set and elb
// controllers, the emulator over loopback. No API server is needed.
//
// Each phase prints its measured figure next to the lower bound the
// documented limits allow for the workload (bound.go: from the calls the
// workload needs at least, not from what the controller made). The
// benchmark carries the build tag scale; run it with `make bench-scale-inproc` or
//
//	go test -tags scale -run TestScale -v -timeout 60m ./pkg/e2e/scale
//
// SCALE_SERVICES (50), SCALE_POOLS (2), SCALE_NODES (nodes per pool, 5),
// SCALE_RTT (20ms), SCALE_RESYNC (the resync period; default 60s or a
// quarter second per PoolService, whichever is longer), SCALE_ELB_WORKERS
// (4), SCALE_OUT (the raw numbers, _output/bench/scale.txt) and SCALE_V
// (log verbosity of the controllers, logged to scale.log beside SCALE_OUT)
// change it. The bound arithmetic is plain Go, table-tested in `make test`.
package scale
