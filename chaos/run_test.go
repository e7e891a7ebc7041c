package chaos

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// uploadTimeout bounds one upload request of the suite.
const uploadTimeout = 2 * time.Minute

// run is one injection of a fault on a stack: a fresh account, the
// uploads it sent, and when the fault ended.
type run struct {
	*stack
	t   *testing.T
	res *result
	key string
	w   *watcher

	mu  sync.Mutex // guards seq and res.notes
	seq int        // uploads sent, for distinct options

	// faultEnd is when the fault ended (the process came back, the disk
	// was freed), or the moment of a kill: recovery is measured from it.
	faultEnd time.Time
}

func (s *stack) newRun(t *testing.T, res *result) *run {
	r := &run{stack: s, t: t, res: res, key: s.newKey(t)}
	r.w = s.watch(r.key)
	t.Cleanup(r.w.close)
	return r
}

// note records an observation for the report and the test log.
func (r *run) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.res.notes = append(r.res.notes, msg)
	r.mu.Unlock()
	r.t.Log(msg)
}

// send uploads one file with options distinct from every other upload of
// the run, and watches it if it was acknowledged.
func (r *run) send(path string, o sendOptions, poison bool) answer {
	r.mu.Lock()
	r.seq++
	n := r.seq
	r.mu.Unlock()
	if o.fields == nil {
		o.fields = distinct(n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), uploadTimeout)
	defer cancel()
	sent := time.Now()
	a := r.upload(ctx, r.key, path, o)
	r.w.add(a, path, poison, sent)
	return a
}

// batch uploads n big JPEGs with Prefer: respond-async, two at a time,
// and fails the test unless each is acknowledged: it is the work in
// progress when the fault strikes.
func (r *run) batch(n int) {
	r.t.Helper()
	big := bigJPEGs(r.t)
	answers := make([]answer, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			answers[i] = r.send(big[i%len(big)], sendOptions{async: true}, false)
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if !a.acked() {
			r.t.Fatalf("batch upload %d before the fault: %v; want 202 with an id", i, a)
		}
	}
}

// midEncode waits until a worker is processing one of the run's uploads,
// and a little longer, so that a fault hits it mid-encode.
func (r *run) midEncode() {
	r.t.Helper()
	if err := r.w.waitStatus("processing", time.Minute); err != nil {
		r.t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
}

// during runs fn in the background while a fault lasts and returns a
// function that waits for it.
func during(fn func()) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	return func() { <-done }
}
