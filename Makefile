GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build test vet race bench fuzz-smoke fmt-check check clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o gowrk .

vet:
	$(GO) vet ./...

# test is what CI runs: vet, then every test under the race detector.
test: vet
	$(GO) test -race -shuffle=on -count=1 -timeout 12m ./...

# allocs: the zero-allocation tests cannot run under -race.
allocs:
	$(GO) test -count=1 -run 'Alloc' ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt-check:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo "gofmt needed"; exit 1)

check: fmt-check test allocs

clean:
	rm -f gowrk
