//go:build soak

package chaos

import "time"

// soak is `make soak`: 1000 uploads of photos from 0.15 to 1.4 MP from 8
// clients through 2 API processes, once with one worker process and once
// with two, each time with a worker killed (kill -9) at 30 % and back
// 15 s later, and an API process killed at 60 % and started again.
var soak = soakSpec{
	uploads: 1000, clients: 8, apis: 2, workers: []int{1, 2},
	scales:       []string{"1", "1.5", "2", "3"},
	killWorkerAt: 0.3, workerDown: 15 * time.Second,
	restartAPIAt: 0.6, apiDown: 2 * time.Second,
	// settle is long: AVIF variants, on the low queue, wait behind the
	// WebP of every waiting upload, and the check wants them all made.
	bound: 10 * time.Minute, settle: 20 * time.Minute,
}
