# picpipe. `make run` and `make test` do all set-up on a fresh Debian 12
# machine with Go: they install the Debian packages they need first.

GO       ?= go
BIN      := bin/picpipe
RUN_PKGS := pkg-config libvips-dev redis-server
# curl, python3-requests and nodejs run the seeds' own client examples (seeds/).
TEST_PKGS := $(RUN_PKGS) libvips-tools libimage-exiftool-perl postgresql \
	curl python3-requests nodejs
BENCH_PKGS := $(RUN_PKGS) libvips-tools libimage-exiftool-perl
# glibc makes an arena per thread; with libvips that fragments memory.
export MALLOC_ARENA_MAX ?= 2

.PHONY: run build test chaos vet deps deps-test deps-bench bench clean

## run: install what is missing, build, and run everything on this machine
run: deps build
	./$(BIN) serve

## build: compile bin/picpipe
build:
	$(GO) build -o $(BIN) ./cmd/picpipe

## test: install what is missing, check formatting and vet, run all tests
## on SQLite and on a throwaway PostgreSQL cluster
test: deps-test vet
	@url=$$(scripts/pg-test.sh start) && \
	PICPIPE_TEST_POSTGRES_URL=$$url $(GO) test -count=1 ./...

## chaos: the fault suite against real processes (redis-server, PostgreSQL,
## api/worker/scheduler), every fault three times (tens of minutes; make
## test runs only its short subset). PICPIPE_CHAOS_REPORT=FILE keeps the table.
chaos: deps-test
	$(GO) test -count=1 -tags chaos -run . -timeout 90m -v ./chaos/

## bench: measure picpipe against the vips CLI on real photos and rewrite
## BENCHMARKS.md (~10 minutes; not part of test or CI). The seed mounts
## against the native upload are Go benchmarks of their own:
##   go test ./api/ -run '^$' -bench Upload -count 6 >b.txt
##   go run golang.org/x/perf/cmd/benchstat@latest -col /route b.txt
bench: deps-bench build
	@bench/corpus.sh bench/corpus
	$(GO) run ./cmd/picpipe-bench -corpus bench/corpus -bin $(BIN) -out BENCHMARKS.md

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
