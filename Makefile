# edge-controller-manager developer targets. Run `make help` for a list.
GO ?= go
BIN_DIR ?= bin
# Hand-written Go files: gofmt must leave them unchanged.
GO_FILES = $(shell find . -name '*.go' -not -path './.git/*' -not -path './_output/*' \
	-not -path './pkg/generated/*' -not -name 'zz_generated.*')

# What the binaries and the image say they are (pkg/version); override with
# e.g. `make image VERSION=v0.3.0`. Each is computed once, and only by the
# targets that use it.
VERSION ?= $(eval VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev))$(VERSION)
GIT_COMMIT ?= $(eval GIT_COMMIT := $(shell git rev-parse HEAD 2>/dev/null || echo unknown))$(GIT_COMMIT)
BUILD_DATE ?= $(eval BUILD_DATE := $(shell date -u +%Y-%m-%dT%H:%M:%SZ))$(BUILD_DATE)
VERSION_PKG = github.com/edge-lb/edge-controller-manager/pkg/version
LDFLAGS = -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).GitCommit=$(GIT_COMMIT) -X $(VERSION_PKG).BuildDate=$(BUILD_DATE)

.PHONY: all help build image test generate verify verify-fmt vet verify-codegen verify-manifests verify-deps verify-chart chart-dry-run demo demo-down e2e soak bench bench-scale bench-scale-inproc clean

all: build

help:
	@echo "build      bin/edge-controller-manager (and bin/ens-emulator)"
	@echo "image      container image without an engine: _output/image/oci (OCI layout), _output/image/edge-controller-manager.tar (docker load)"
	@echo "test       go test -race -count=1 ./... (no test cache)"
	@echo "generate   deepcopy, clientset/listers/informers and CRDs (manifests/crds)"
	@echo "verify     gofmt, go vet, generated files up to date, manifests build, no controller-runtime, Helm chart"
	@echo "chart-dry-run  the Helm chart's value sets through server-side dry-run installs on a local cluster of its own"
	@echo "demo       local cluster + ENS emulator + controller walkthrough; demo-down stops it"
	@echo "e2e, bench end-to-end tests and benchmarks against the local cluster and emulator"
	@echo "bench-scale scale benchmark: the manager binary, local cluster and emulator under ENS's documented limits; converge, no-op resync, endpoint moves, restart at 20k PoolServices (BENCH_SCALE_PROFILE=small: CI's 2-minute run); _output/bench/scale.json"
	@echo "bench-scale-inproc  the same questions in one process (fake clientsets), sized by SCALE_SERVICES, SCALE_POOLS"
	@echo "soak       seeded random workload with faults, leader kills, emulator restarts (SOAK_SEED, SOAK_DURATION)"

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN_DIR)/edge-controller-manager ./cmd/edge-controller-manager
	@if [ -d cmd/ens-emulator ]; then echo "$(GO) build -o $(BIN_DIR)/ens-emulator ./cmd/ens-emulator"; \
		$(GO) build -o $(BIN_DIR)/ens-emulator ./cmd/ens-emulator; fi

# A static binary in an image over an empty base (hack/image; no engine,
# no base image to pull). IMAGE_PLATFORM=linux/arm64 for arm64.
IMAGE_PLATFORM ?= linux/amd64
IMAGE_NAME ?= edge-controller-manager
IMAGE_BIN = _output/$(subst /,_,$(IMAGE_PLATFORM))/edge-controller-manager
image:
	CGO_ENABLED=0 GOOS=$(word 1,$(subst /, ,$(IMAGE_PLATFORM))) GOARCH=$(word 2,$(subst /, ,$(IMAGE_PLATFORM))) \
		$(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(IMAGE_BIN) ./cmd/edge-controller-manager
	$(GO) run ./hack/image --binary $(IMAGE_BIN) --platform $(IMAGE_PLATFORM) \
		--version "$(VERSION)" --revision "$(GIT_COMMIT)" --created "$(BUILD_DATE)" \
		--tag $(IMAGE_NAME):latest --tag $(IMAGE_NAME):$(VERSION) \
		--oci _output/image/oci --tar _output/image/$(IMAGE_NAME).tar

# The ELB controller tests run again against an emulator that sets running
# listeners (real ENS documents stop-before-set for HTTP only).
test:
	$(GO) test -race -count=1 ./...
	$(GO) test -race -count=1 ./pkg/controller/elb -args -set-requires-stopped-listener=false

generate:
	hack/update-codegen.sh
	hack/update-crds.sh
	hack/verify-chart.sh --update-crds

verify: verify-fmt vet verify-deps verify-codegen verify-manifests verify-chart

verify-fmt:
	@out="$$(gofmt -l $(GO_FILES))"; if [ -n "$$out" ]; then \
		echo "gofmt -l reports (run gofmt -w):" >&2; echo "$$out" >&2; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./pkg/e2e/...
	$(GO) vet -tags soak ./pkg/e2e/soak/...
	$(GO) vet -tags scale ./pkg/e2e/scale/...
	$(GO) vet -tags benchscale ./pkg/e2e/benchscale/...

# The project uses hand-written informer controllers only.
verify-deps:
	@if $(GO) list -deps ./... | grep -q '^sigs.k8s.io/controller-runtime'; then \
		echo "a package imports sigs.k8s.io/controller-runtime" >&2; exit 1; fi

verify-codegen:
	hack/verify-codegen.sh

# kubectl kustomize checks that both install variants build (kubectl from
# PATH, else the one hack/local-cluster builds); the Go test in pkg/manager
# checks their content either way, and the e2e suite applies them to a real
# API server with --dry-run.
KUBECTL ?= $(shell command -v kubectl 2>/dev/null || { d=$$(hack/local-cluster/build.sh --bin-dir 2>/dev/null) && [ -x "$$d/kubectl" ] && echo "$$d/kubectl"; })
verify-manifests:
	@if [ -n "$(KUBECTL)" ]; then \
		$(KUBECTL) kustomize manifests >/dev/null && $(KUBECTL) kustomize manifests/standalone >/dev/null && \
		echo "manifests/ and manifests/standalone build"; \
	else echo "kubectl not found: skipping kustomize build (TestKustomizations still ran)"; fi

# helm lint and helm template of the chart for a table of value sets; its
# RBAC against manifests/rbac, its CRDs against manifests/crds, its args
# against the manager's flags (hack/chartcheck). helm is built once from the
# Go module proxy into ~/.cache/edge-controller-manager/tools (HELM=... to
# use another).
verify-chart:
	hack/verify-chart.sh

# Every value set through kubectl apply --dry-run=server and helm install
# --dry-run=server on a local control plane of its own (about 10 s).
chart-dry-run:
	hack/chart-dry-run.sh

# DEMO_EXIT=1 make demo exits after showing the result (used by CI).
demo:
	hack/demo/demo.sh

demo-down:
	hack/demo/down.sh

# A real local control plane (hack/local-cluster), the emulator and the
# manager binary as separate processes; then the chart's dry-run installs.
e2e:
	$(GO) test -tags e2e ./pkg/e2e/... -v -count=1 -timeout 30m
	hack/chart-dry-run.sh

# A seeded, reproducible random workload against the local cluster, the
# emulator and two manager replicas under faults, leader kills and emulator
# restarts; then quiesce and the oracle (pkg/e2e/soak). CI: SOAK_DURATION=90s.
SOAK_SEED ?= 1
SOAK_DURATION ?= 10m
SOAK_TIMEOUT ?= 3h
soak:
	$(GO) test -tags soak ./pkg/e2e/soak/ -run TestSoak -v -count=1 -timeout $(SOAK_TIMEOUT) \
		-args -seed=$(SOAK_SEED) -duration=$(SOAK_DURATION)

bench:
	hack/bench/run.sh

# The scale benchmark of issue 9 (pkg/e2e/benchscale): the manager binary
# against the local control plane and the emulator process with ENS's
# documented limits and a 30 ms round trip; cold converge of 50 Services x
# 20 pools, a no-op resync pass, endpoint moves at 5/s during a resync, and a
# restart at 20,000 PoolServices, each next to the bound the limits allow.
# Figures in _output/bench/scale.json. The full profile takes 20-40 minutes;
# BENCH_SCALE_PROFILE=small (CI) under 2.
bench-scale:
	hack/bench/scale.sh

# The in-process variant (pkg/e2e/scale): SCALE_SERVICES x SCALE_POOLS
# PoolServices (default 50 x 2) converged, resynced, moved and deleted with
# fake clientsets and the real controllers against the emulator library.
bench-scale-inproc:
	hack/bench/scale-inproc.sh

clean:
	rm -rf $(BIN_DIR) _output
