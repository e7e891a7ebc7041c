package chaos

import (
	"os"
	"strconv"
	"sync"
	"testing"
)

// TestFaults runs the suite's scenarios (the short subset, or with the
// build tag chaos the whole suite) and prints the table of recovery
// times at the end.
//
// PICPIPE_CHAOS_RUNS, when set, overrides the number of runs of each
// fault (e.g. 1 for a quicker pass over the whole suite).
func TestFaults(t *testing.T) {
	spec := suite
	if v := os.Getenv("PICPIPE_CHAOS_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PICPIPE_CHAOS_RUNS=%q; want a positive number", v)
		}
		spec.runs = n
	}
	picpipeBinary(t) // built once, before the stacks start
	bigJPEGs(t)
	rep := newReport(spec.runs)
	t.Run("fault", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, sc := range spec.scenarios {
			one := func() { t.Run(sc.name, func(t *testing.T) { runScenario(t, sc, spec, rep) }) }
			if !spec.parallel {
				one()
				continue
			}
			// All at once, whatever -parallel says: the subset's
			// scenarios mostly wait for timers, not for the CPU.
			wg.Add(1)
			go func() {
				defer wg.Done()
				one()
			}()
		}
		wg.Wait()
	})
	rep.emit(t)
}
