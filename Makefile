GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build test vet bench fuzz-smoke fmt-check check clean

# FUZZTIME is how long each fuzz target runs in fuzz-smoke.
FUZZTIME ?= 20s

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o gowrk .

vet:
	$(GO) vet ./...

# test is what CI runs: vet, the tests the race detector cannot run
# (zero-allocation locks, 10k/s rate), then every test under the race detector.
test: vet
	$(GO) test -count=1 -run 'Alloc|RateAccuracy' ./loadgen/...
	$(GO) test -race -shuffle=on -count=1 -timeout 12m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fuzz-smoke runs every fuzz target briefly (CI does, after test).
fuzz-smoke:
	@for t in FuzzFlagValues FuzzHeaders FuzzURL FuzzArgs FuzzThreshold; do \
		echo "fuzz $$t"; bash scripts/fuzz.sh $$t . $(FUZZTIME) || exit 1; done
	@for t in FuzzResponse FuzzParser; do \
		echo "fuzz $$t"; bash scripts/fuzz.sh $$t ./loadgen/h1/ $(FUZZTIME) || exit 1; done
	@echo "fuzz FuzzShape"; bash scripts/fuzz.sh FuzzShape ./loadgen/ $(FUZZTIME)
	@for t in FuzzDecode FuzzHdrLog; do \
		echo "fuzz $$t"; bash scripts/fuzz.sh $$t ./report/ $(FUZZTIME) || exit 1; done
	@for t in FuzzFrames FuzzStatusDecoder; do \
		echo "fuzz $$t"; bash scripts/fuzz.sh $$t ./loadgen/h2/ $(FUZZTIME) || exit 1; done

fmt-check:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo "gofmt needed"; exit 1)

check: fmt-check test fuzz-smoke

clean:
	rm -f gowrk
