package chaos

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// killWorker: kill -9 of the worker while it encodes a batch of big
// JPEGs; a new worker starts at once, as a supervisor would. Recovery is
// measured from the kill.
func killWorker(batch int) scenario {
	return scenario{name: "kill -9 worker mid-encode", bound: 120 * time.Second,
		inject: func(t *testing.T, r *run) {
			r.batch(batch)
			r.midEncode()
			r.faultEnd = time.Now()
			r.worker.kill()
			if err := r.startWorker(r.worker); err != nil {
				t.Fatal(err)
			}
		}}
}

// termWorker: SIGTERM of the worker mid-batch. It must stop within its
// shutdown timeout (finishing or handing back its jobs); then a new one
// starts. Recovery is measured from the signal.
func termWorker(batch int) scenario {
	return scenario{name: "SIGTERM worker mid-batch", bound: 120 * time.Second,
		inject: func(t *testing.T, r *run) {
			r.batch(batch)
			r.midEncode()
			r.faultEnd = time.Now()
			if err := r.worker.signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			margin := 15 * time.Second
			err := r.worker.wait(workerShutdown + margin)
			took := time.Since(r.faultEnd).Round(100 * time.Millisecond)
			switch {
			case errors.Is(err, errTimeout):
				t.Errorf("worker still running %v after SIGTERM (shutdown timeout %v)", workerShutdown+margin, workerShutdown)
				r.worker.kill()
			case err != nil:
				t.Errorf("worker exited with %v after SIGTERM; want 0", err)
			default:
				r.note("the worker exited %v after SIGTERM (shutdown timeout %v)", took, workerShutdown)
			}
			if err := r.startWorker(r.worker); err != nil {
				t.Fatal(err)
			}
		}}
}
