# invoicelake — see README.md. Every target works on a fresh machine with Go
# installed; `make test` installs the test servers it needs when missing.
SHELL := /bin/bash
GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin
# RELEASE is the release this tree prepares: the image tag the manifests in configs/kubernetes
# and the Dockerfile name (go test ./configs keeps the three equal). Releasing: docs/RELEASING.md.
RELEASE := 0.2.0
# VERSION of a build, from git: the tag vX.Y.Z on HEAD gives X.Y.Z, a later commit X.Y.Z-N-gHASH;
# with no release tag yet, RELEASE-dev.HASH; -dirty with uncommitted changes; RELEASE-dev without git.
GIT_DESCRIBE := $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null)
GIT_HASH := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
GIT_DIRTY := $(if $(shell git status --porcelain --untracked-files=no 2>/dev/null),-dirty)
VERSION ?= $(if $(GIT_DESCRIBE),$(patsubst v%,%,$(GIT_DESCRIBE)),$(RELEASE)-dev$(if $(GIT_HASH),.$(GIT_HASH)$(GIT_DIRTY)))
COMMIT ?= $(or $(shell git rev-parse HEAD 2>/dev/null),unknown)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
IMAGE ?= ghcr.io/invoicelake/invoicelake
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)
VERSITYGW := $(GOBIN)/versitygw
STATICCHECK := $(GOBIN)/staticcheck

.PHONY: all build image version test lint bench bench-baseline fuzz chaos demo tools clean

all: build

## build: static binaries in bin/ (CGO_ENABLED=0)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

## version: the version a build of this tree gets
version:
	@echo $(VERSION)

## image: the container image, tagged with VERSION (docker buildx for other platforms: see docs/DEPLOY.md)
image:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg BUILD_DATE=$(BUILD_DATE) \
	  -t $(IMAGE):$(VERSION) .

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
	CGO_ENABLED=0 $(GO) vet ./...   # the benchmarks' static child is built without cgo
	@test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	$(STATICCHECK) ./...

## bench: benchmarks; the pipeline's figures are written into docs/BENCHMARKS.md
## (BENCH_SIZES=100k,1M,5M, BENCH_RUNS=3: medians; the 5M account takes most of the time)
BENCH_SIZES ?= 100k,1M,5M
BENCH_RUNS ?= 3
bench: tools
	set -o pipefail; INVOICELAKE_BENCH=1 INVOICELAKE_BENCH_SIZES=$(BENCH_SIZES) INVOICELAKE_BENCH_RUNS=$(BENCH_RUNS) \
	  INVOICELAKE_BENCH_DOC=$(CURDIR)/docs/BENCHMARKS.md PATH="$(GOBIN):$$PATH" \
	  $(GO) test -run '^$$' -bench '^BenchmarkPipeline' -benchtime 1x -timeout 60m ./cmd/invoicelake/ | tee bench.out
	set -o pipefail; PATH="$(GOBIN):$$PATH" $(GO) test -run '^$$' -bench . -benchmem -count 5 -timeout 60m \
	  $$($(GO) list ./... | grep -v -e '/cmd/invoicelake$$' -e '/extract$$') | tee -a bench.out
	# the extractor against the API's latency and limit (one run: ~1 min, plus slcli on 40 invoices)
	set -o pipefail; PATH="$(GOBIN):$$PATH" $(GO) test -run '^$$' -bench Extract -benchtime 1x -timeout 30m \
	  ./extract/ -args -slcli.invoices 40 | tee -a bench.out

## bench-baseline: the CPU race with revision BASELINE's command too (before/after in one run)
BASELINE ?= 5b821b9,bench/issue11
bench-baseline: tools
	set -o pipefail; INVOICELAKE_BENCH=1 INVOICELAKE_BENCH_SIZES=$(BENCH_SIZES) INVOICELAKE_BENCH_RUNS=$(BENCH_RUNS) \
	  INVOICELAKE_BENCH_BASELINE=$(BASELINE) INVOICELAKE_BENCH_DOC=$(CURDIR)/docs/BENCHMARKS.md PATH="$(GOBIN):$$PATH" \
	  $(GO) test -run '^$$' -bench '^BenchmarkPipelineCPU$$' -benchtime 1x -timeout 90m ./cmd/invoicelake/ | tee bench-baseline.out

## fuzz: run every fuzz target for FUZZTIME each (default 20s); a package whose tests do not build fails it.
## A failure that wrote a reproducer under testdata/fuzz is a bug and fails at once; one that did not
## (the fuzzing engine's worker starved on a loaded machine) is retried once.
FUZZTIME ?= 20s
fuzz:
	@set -eo pipefail; for pkg in $$($(GO) list ./...); do \
	  targets=$$($(GO) test -list '^Fuzz' $$pkg) || { echo "fuzz: cannot list the fuzz targets of $$pkg"; exit 1; }; \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep '^Fuzz' <<<"$$targets" || true); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg && continue; \
	    if [ -n "$$(ls -A $$dir/testdata/fuzz/$$f 2>/dev/null | grep -v -x -F -f <(git -C $$dir ls-files testdata/fuzz/$$f | xargs -rn1 basename) || true)" ]; then \
	      echo "fuzz: $$f found a failing input (saved under $$dir/testdata/fuzz/$$f)"; exit 1; fi; \
	    echo "fuzz: $$f failed without a reproducer; retrying once"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## chaos: the reliability scenarios (API faults at rising rates, S3 outages mid-publish, SIGKILL at
## KILL_POINTS random points), each followed by a clean rerun compared with the ground truth in DuckDB;
## writes docs/RELIABILITY.md (about 15 minutes)
CHAOS_RUNS ?= 3
KILL_POINTS ?= 50
chaos: tools
	PATH="$(GOBIN):$$PATH" INVOICELAKE_CHAOS=1 INVOICELAKE_CHAOS_RUNS=$(CHAOS_RUNS) INVOICELAKE_KILL_POINTS=$(KILL_POINTS) \
	  $(GO) test -count=1 -timeout 40m -parallel 4 -run '^TestChaos$$' ./cmd/invoicelake

## demo: the main job on the embedded default: the simulator as source, ./lake as the lake
DEMO_MONTHS ?= 24
demo: build
	@set -euo pipefail; rm -rf lake .demo; mkdir -p .demo; \
	bin/slsim --addr 127.0.0.1:0 --seed 42 --months $(DEMO_MONTHS) --truth .demo/truth.json >.demo/slsim.out 2>.demo/slsim.log & \
	pid=$$!; trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null || true' EXIT; \
	for i in $$(seq 100); do grep -q '^listening on ' .demo/slsim.out && break; sleep 0.1; done; \
	url=$$(sed -n 's/^listening on //p' .demo/slsim.out); test -n "$$url" || { cat .demo/slsim.log; exit 1; }; \
	to=$$(date -u +%Y-%m); from=$$(date -u -d "$$(date -u +%Y-%m-15) -$$(( $(DEMO_MONTHS) - 1 )) months" +%Y-%m); \
	echo "== simulator: $$url (seed 42, $(DEMO_MONTHS) months; ground truth in .demo/truth.json)"; \
	echo "== export $$from..$$to into ./lake, with the account snapshot and the invoice PDFs"; \
	export SL_USERNAME=simuser SL_API_KEY=simkey SL_ENDPOINT_URL=$$url; \
	printf 'lake:\n  location: ./lake\ndocuments:\n  enabled: true\n' >.demo/invoicelake.yaml; \
	bin/invoicelake export --config .demo/invoicelake.yaml --from $$from --to $$to --log-format text --log-level warn; \
	echo "== read back from the Parquet files and reconciled with the API"; \
	bin/invoicelake verify --out ./lake --log-format text --log-level warn; \
	echo; echo "== what it cost, the next invoice forecast next to last month, the balance"; \
	bin/invoicelake report --out ./lake --top 5 --log-format text --log-level warn | sed -n '/^Cost per month$$/,/^$$/p;/^Next invoice forecast/,$$p'; \
	echo; echo "== query it with DuckDB:"; \
	echo "   duckdb -c \"\$$(bin/invoicelake ddl duckdb --location ./lake) SELECT * FROM cost_by_service_month ORDER BY billing_period, total_amount DESC;\""; \
	echo "   duckdb -c \"\$$(bin/invoicelake ddl duckdb --location ./lake) SELECT * FROM next_invoice_vs_last_recurring ORDER BY forecast_amount DESC;\""

clean:
	rm -rf bin lake .demo bench.out
