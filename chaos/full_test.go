//go:build chaos

package chaos

import "time"

// suite is the whole fault suite, `make chaos`: every fault three times,
// one after the other, the median recovery reported.
var suite = suiteSpec{runs: 3, settle: 3 * time.Minute, scenarios: []scenario{
	killWorker(6),
	termWorker(6),
	restartRedis(6),
	flushRedis(6),
	hangRedis(6, 15*time.Second),
	killAPI(4),
	postgresDown(10*time.Second, 6),
	postgresDown(3*time.Minute, 6),
	diskFull(6, 10*time.Second),
	poison(200, 10),
}}
