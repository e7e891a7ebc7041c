# picpipe. `make run` and `make test` do all set-up on a fresh Debian 12
# machine with Go: they install the Debian packages they need first.

GO       ?= go
BIN      := bin/picpipe
# VERSION is what picpipe version reports (main.version).
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null)
RUN_PKGS := pkg-config libvips-dev redis-server
# curl, python3-requests and nodejs run the seeds' own client examples (seeds/);
# redis-sentinel runs the failover tests (testenv.StartSentinel); chromium
# runs the web upload page's browser test (api/webapp, through chromedp).
TEST_PKGS := $(RUN_PKGS) libvips-tools libimage-exiftool-perl postgresql \
	curl python3-requests nodejs redis-sentinel chromium
BENCH_PKGS := $(RUN_PKGS) libvips-tools libimage-exiftool-perl
# glibc makes an arena per thread; with libvips that fragments memory.
export MALLOC_ARENA_MAX ?= 2

# FUZZ lists the fuzz targets, package:Target. make fuzz runs each in turn
# for FUZZTIME; make test runs each for FUZZTIME_SHORT.
FUZZ := .:FuzzCleanName \
	./imaging/sniff:FuzzDetect ./imaging/sniff:FuzzImage ./imaging/sniff:FuzzFile \
	./imaging/sniff:FuzzISOBMFF ./imaging/sniff:FuzzRIFF ./imaging/sniff:FuzzWalk \
	./imaging/sniff:FuzzJPEGEnd \
	./imaging:FuzzGIFContainer ./imaging:FuzzWebPContainer ./imaging:FuzzISOBMFFContainer \
	./imaging/strip:FuzzStripJPEG ./imaging/strip:FuzzStripPNG ./imaging/strip:FuzzStripGIF \
	./imaging/strip:FuzzStripWebP ./imaging/strip:FuzzStripHEIC ./imaging/strip:FuzzStripAVIF \
	./intake:FuzzReadJSON ./intake:FuzzDecodeData ./intake:FuzzStageMultipart \
	./intake:FuzzMarkup ./intake:FuzzCheckURL ./fetch:FuzzGuardURL \
	./api:FuzzPrefer ./api:FuzzImageOptions ./api:FuzzExpiresIn ./api:FuzzRange \
	./api:FuzzFramedConn
FUZZTIME ?= 30s
FUZZTIME_SHORT ?= 2s
# FUZZMINTIME bounds the minimising of each new input (the default, 60s,
# stalls short runs on large seeds).
FUZZMINTIME ?= 10s

.PHONY: run build test chaos soak vet deps deps-test deps-bench bench imgproxy clean fuzz

## run: install what is missing, build, and run everything on this machine
run: deps build
	./$(BIN) serve

## build: compile bin/picpipe
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/picpipe

## test: install what is missing, check formatting and vet, run all tests
## on SQLite and on a throwaway PostgreSQL cluster (127.0.0.1:55432), which
## is stopped again at the end unless it was running before
test: deps-test vet
	@if ! scripts/pg-test.sh status; then \
		trap 'scripts/pg-test.sh stop' EXIT; trap 'exit 130' INT TERM; fi; \
	url=$$(scripts/pg-test.sh start) && \
	PICPIPE_TEST_POSTGRES_URL=$$url $(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_SHORT) FUZZMINTIME=1s

## fuzz: run every fuzz target of FUZZ in turn for FUZZTIME (30s) each,
## e.g. make fuzz FUZZTIME=10m; a failing input is kept in the package's
## testdata/fuzz, where go test runs it from then on
## (The fuzzing engine itself sometimes ends a run with "context deadline
## exceeded" while stopping its workers on a loaded machine, a failure of
## no input: such a run is tried once more.)
fuzz:
	@for t in $(FUZZ); do \
		echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		for try in 1 2; do \
			out=$$($(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) \
				-fuzzminimizetime $(FUZZMINTIME) $${t%%:*} 2>&1) && { echo "$$out" | tail -1; break; }; \
			echo "$$out"; \
			if [ $$try = 1 ] && echo "$$out" | grep -q 'context deadline exceeded' && \
				! echo "$$out" | grep -q 'Failing input written'; then \
				echo "fuzz $${t#*:}: the engine timed out stopping, not an input; once more"; continue; fi; \
			exit 1; \
		done; \
	done

## chaos: the fault suite against real processes (redis-server, PostgreSQL,
## api/worker/scheduler), every fault three times (tens of minutes; make
## test runs only its short subset). PICPIPE_CHAOS_REPORT=FILE keeps the table.
chaos: deps-test
	$(GO) test -count=1 -tags chaos -run . -timeout 90m -v ./chaos/

## soak: the multi-process soak with zero loss: 2 picpipe api behind a
## round-robin proxy, picpipe worker x1 then x2, one scheduler, PostgreSQL,
## redis-server and an S3 server (versitygw, built into GOCACHE); 1000
## uploads from 8 clients with a worker and an API process killed midway
## (about 20-30 minutes). Prints the figures (throughput, p50/p99, losses);
## PICPIPE_SOAK_REPORT=FILE keeps the table. make test runs a short one.
soak: deps-test
	$(GO) test -count=1 -tags soak -run '^TestSoak$$' -timeout 120m -v ./chaos/

## bench: measure picpipe against the vips CLI and, when bin/imgproxy (or
## imgproxy on PATH) exists, beside imgproxy, on real photos, and rewrite
## BENCHMARKS.md (~30 minutes; not part of test or CI). The kernels and
## the seed mounts against the native upload are Go benchmarks of their own:
##   go test ./imaging/ ./api/ ./intake/ ./db/ -run '^$' -bench . -count 6 >b.txt
##   go run golang.org/x/perf/cmd/benchstat@latest b.txt
bench: deps-bench build
	@bench/corpus.sh bench/corpus
	VIPS_WARNING=0 $(GO) run ./cmd/picpipe-bench -corpus bench/corpus -bin $(BIN) -imgproxy bin/imgproxy -out BENCHMARKS.md

## imgproxy: build bin/imgproxy from IMGPROXY_SRC, a checkout of
## github.com/imgproxy/imgproxy, for make bench to compare with
imgproxy: deps-bench
	@bench/imgproxy.sh bin/imgproxy

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt needed: $$out"; exit 1; }
	$(GO) vet ./...

deps:
	@scripts/deps.sh $(RUN_PKGS)

deps-test:
	@scripts/deps.sh $(TEST_PKGS)

deps-bench:
	@scripts/deps.sh $(BENCH_PKGS)

clean:
	rm -rf bin
	scripts/pg-test.sh stop
