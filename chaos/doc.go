// Package chaos is picpipe's fault suite: it runs redis-server (AOF on), a
// PostgreSQL cluster of its own and `picpipe api`, `picpipe worker` and
// `picpipe scheduler` as separate processes on loopback, uploads batches
// of multi-megapixel JPEGs, injects one fault at a time and then checks
// the promise of the job lifecycle: every acknowledged upload (a 200, 201
// or 202 answer with an image id) ends `ready` or `failed` exactly once,
// within a bound, nothing acknowledged is lost, and `picpipe check`
// against the same database, blobs and Redis exits 0.
//
// The faults: kill -9 of a worker mid-encode; SIGTERM of a worker
// mid-batch; Redis restarted, flushed (FLUSHALL) and hung (SIGSTOP, then
// SIGCONT); kill -9 of the API with uploads in flight; PostgreSQL stopped
// for 10 s and for 3 minutes; a full disk (the blobs on a small tmpfs,
// where the machine lets the suite mount one); 200 corrupt files sent
// beside good ones. For each it measures the recovery time — from the
// fault's end (or the kill) until every acknowledged upload is final —
// and prints a table at the end, written also to the file named by
// PICPIPE_CHAOS_REPORT when set.
//
// The package holds only tests. Without build tags `go test ./chaos/`
// runs a short subset (kill -9 of a worker, FLUSHALL, poison with fewer
// files, PostgreSQL stopped for 10 s) in under two minutes, as part of
// `make test`; the build tag chaos selects the whole suite, each fault
// three times with the median reported:
//
//	make chaos
//	go test -tags chaos -run . -timeout 90m -v ./chaos/
//
// TestSoak is the multi-process soak on the same harness: two `picpipe
// api` behind a round-robin proxy, workers, the scheduler, PostgreSQL,
// redis-server and an S3 server (versitygw) holding the blobs; clients
// upload while a worker and an API process are killed, and afterwards
// every upload must be acknowledged and ready, served by every API
// process, made once (rows and bucket objects), and `picpipe check`
// clean. It prints throughput and latency figures. Without build tags it
// is short (100 uploads); the build tag soak runs 1000 uploads with one
// worker and then with two:
//
//	make soak
//	go test -tags soak -run '^TestSoak$' -timeout 120m -v ./chaos/
//
// It needs redis-server, the PostgreSQL server binaries, the vips CLI and
// Go on the machine (`make test` installs them). PICPIPE_CHAOS_LOGS, when
// set, names a directory the processes' logs are copied into.
package chaos
