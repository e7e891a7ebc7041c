//go:build !soak

package chaos

import "time"

// soak is the short soak `go test ./chaos/` (and so `make test` and CI)
// runs: 100 small uploads from 4 clients through 2 API processes, with
// 2 workers, one of them killed (kill -9) and one API process killed
// and started again. `make soak` (the build tag soak) runs the long one.
var soak = soakSpec{
	uploads: 100, clients: 4, apis: 2, workers: []int{2},
	scales:       []string{"1", "1.5"},
	killWorkerAt: 0.3, workerDown: 3 * time.Second,
	restartAPIAt: 0.6, apiDown: time.Second,
	bound: 2 * time.Minute, settle: 10 * time.Second,
}
