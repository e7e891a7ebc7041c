package chaos

import (
	"fmt"
	"testing"
	"time"
)

// scenario is one fault: what it does to a running stack and the bound
// within which every acknowledged upload must be final after the fault's
// end. The bounds are generous correctness limits, not performance
// targets: the measured times are reported, not asserted.
type scenario struct {
	name  string
	bound time.Duration
	// blobs, when set, returns where the stack keeps its blobs, or a
	// reason to skip the scenario on this machine.
	blobs func(t *testing.T) (dir, skip string)
	// inject sends the run's uploads, does the fault and sets
	// r.faultEnd.
	inject func(t *testing.T, r *run)
	// after, when set, checks and reports more once the invariant held.
	after func(t *testing.T, r *run)
}

// suiteSpec is which scenarios run, how often, and whether at once.
type suiteSpec struct {
	runs     int  // runs of each scenario; the table gives the median
	parallel bool // scenarios side by side, each with its own stack
	// settle bounds the wait, once every upload is final, for the queues
	// to run dry (a late duplicate run of a task whose worker died comes
	// up to ~2 minutes after the kill) before the final reading.
	settle    time.Duration
	scenarios []scenario
}

// runScenario injects the fault spec.runs times, each time into a stack
// of its own (so that one run's leftovers cannot fail the next) with a
// fresh account, checking the invariant after each.
func runScenario(t *testing.T, sc scenario, spec suiteSpec, rep *report) {
	for i := 1; i <= spec.runs; i++ {
		skipped := false
		t.Run(fmt.Sprintf("run%d", i), func(t *testing.T) {
			blobs := ""
			if sc.blobs != nil {
				dir, skip := sc.blobs(t)
				if skip != "" {
					skipped = true
					rep.skip(sc.name, skip)
					t.Skip(skip)
				}
				blobs = dir
			}
			res := &result{fault: sc.name, run: i}
			t.Cleanup(func() {
				res.passed = !t.Failed()
				rep.add(*res)
			})
			s := newStack(t, stackOptions{blobs: blobs})
			r := s.newRun(t, res)
			sc.inject(t, r)
			r.finish(sc.bound, spec.settle)
			if sc.after != nil {
				sc.after(t, r)
			}
		})
		if skipped {
			return
		}
	}
}
