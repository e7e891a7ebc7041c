//go:build !chaos

package chaos

import "time"

// suite is the short subset `make test` and CI run, one run of each, side
// by side, in under two minutes: kill -9 of a worker, FLUSHALL, poison
// with fewer files, PostgreSQL stopped for 10 s. `make chaos` (the build
// tag chaos) runs the whole suite instead.
// Its settle is short: a duplicate run that comes later is left to the
// whole suite.
var suite = suiteSpec{runs: 1, parallel: true, settle: 30 * time.Second, scenarios: []scenario{
	killWorker(4),
	flushRedis(4),
	poison(40, 4),
	postgresDown(10*time.Second, 4),
}}
