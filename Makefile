GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/gowrk/gowrk/cli.version=$(VERSION)

.PHONY: build test k8s-test vet bench fuzz-smoke fmt-check check clean

# FUZZTIME is how long each fuzz target runs in fuzz-smoke.
FUZZTIME ?= 20s

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o gowrk .

vet:
	$(GO) vet -tags=$(TAGS) ./...

# TAGS: build tags for the tests (none is needed: the Kubernetes tests are
# their own module, run by k8s-test).
TAGS ?=

# test is what CI runs: vet, the tests the race detector cannot run
# (zero-allocation locks, 10k/s rate), then every test under the race
# detector. scripts/gotest.go runs both stages through go test -json,
# prints what plain go test prints, and ends with one line naming the
# tests that skipped, why, and what to install for them.
test: vet
	GO=$(GO) $(GO) run scripts/gotest.go \
		"-tags=$(TAGS) -count=1 -run Alloc|RateAccuracy ./loadgen/..." \
		"-tags=$(TAGS) -race -shuffle=on -count=1 -timeout 12m ./..."

# k8s-test runs scripts/k8s (the Indexed Job recipe) end to end on a real
# control plane on loopback (test/k8s). build.sh builds etcd, kube-apiserver,
# kube-controller-manager and kubectl once into ~/.cache/gowrk-k8s/<hash of
# go.mod and go.sum> (about 26 minutes cold on 2 cores; nothing when cached).
k8s-test:
	GOWRK_K8S_BIN=$$(test/k8s/controlplane/build.sh) && \
		cd test/k8s && GOWRK_K8S_BIN=$$GOWRK_K8S_BIN $(GO) test -count=1 -timeout 15m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fuzz-smoke runs every fuzz target briefly (CI does, after test).
fuzz-smoke:
	@for t in FuzzFlagValues FuzzHeaders FuzzURL FuzzArgs FuzzThreshold; do \
		echo "fuzz $$t"; bash scripts/fuzz.sh $$t ./cli/ $(FUZZTIME) || exit 1; done
	@for t in FuzzResponse FuzzParser; do \
		echo "fuzz $$t"; bash scripts/fuzz.sh $$t ./loadgen/h1/ $(FUZZTIME) || exit 1; done
	@echo "fuzz FuzzShape"; bash scripts/fuzz.sh FuzzShape ./loadgen/ $(FUZZTIME)
	@for t in FuzzDecode FuzzHdrLog FuzzRedactText; do \
		echo "fuzz $$t"; bash scripts/fuzz.sh $$t ./report/ $(FUZZTIME) || exit 1; done
	@for t in FuzzFrames FuzzStatusDecoder; do \
		echo "fuzz $$t"; bash scripts/fuzz.sh $$t ./loadgen/h2/ $(FUZZTIME) || exit 1; done

fmt-check:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo "gofmt needed"; exit 1)

check: fmt-check test fuzz-smoke

clean:
	rm -f gowrk
