# invoicelake — see README.md. Every target works on a fresh machine with Go
# installed; `make test` installs the test servers it needs when missing.
SHELL := /bin/bash
GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
VERSITYGW := $(GOBIN)/versitygw
STATICCHECK := $(GOBIN)/staticcheck

.PHONY: all build test lint bench fuzz demo tools clean

all: build

## build: static binaries in bin/ (CGO_ENABLED=0)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

## tools: the real servers and clients the tests talk to
tools: $(VERSITYGW)

$(VERSITYGW):
	$(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

## test: the whole suite (real HTTP, the simulator, slcli, softlayer-go, versitygw, DuckDB)
test: tools
	PATH="$(GOBIN):$$PATH" $(GO) test -count=1 -timeout 30m ./...

## lint: go vet + staticcheck
lint:
	$(GO) vet ./...
	@test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	$(STATICCHECK) ./...

## bench: benchmarks (figures go to docs/BENCHMARKS.md)
bench: tools
	PATH="$(GOBIN):$$PATH" $(GO) test -run '^$$' -bench . -benchmem -count 5 -timeout 60m ./... | tee bench.out

## fuzz: run every fuzz target for FUZZTIME each (default 20s)
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin lake bench.out
