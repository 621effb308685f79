// Package e2e is the end-to-end suite of edge-controller-manager: a real
// local control plane (hack/local-cluster), the ens-emulator and the
// manager binary run as separate processes, and the tests drive them with
// client-go, kubectl and the emulator's admin API, as a user would.
//
// The tests carry the build tag e2e; run them with `make e2e` or
//
//	go test -tags e2e ./pkg/e2e/... -v -timeout 30m
//
// E2E_KEEP=1 keeps the temporary directory (logs, cluster state) afterwards.
package e2e
