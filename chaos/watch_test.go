package chaos

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Poll intervals: unfinished images are read every pollEvery, finished
// ones every recheckEvery, to see whether a final status ever changes.
const (
	pollEvery    = 250 * time.Millisecond
	recheckEvery = 2 * time.Second
	pollers      = 4
)

// tracked is one acknowledged upload and what polling saw of it.
type tracked struct {
	id     string
	file   string
	poison bool
	sent   time.Time // when the request started
	ack    answer

	final   string    // "ready" or "failed" once first seen so
	finalAt time.Time // when it was first seen final
	code    string    // the error code of a failed image
	url     string    // the direct link of a ready image
	last    string    // the last status seen ("404" for not found)
	changes []string  // final status changes seen afterwards
	seen404 int
	checked time.Time // last poll
}

// watcher polls GET /v1/images/{id} of every acknowledged upload of one
// account in the background, from its acknowledgement on, and records
// when each became final and whether it ever changed afterwards.
type watcher struct {
	s   *stack
	key string

	mu      sync.Mutex
	ups     map[string]*tracked
	order   []string
	recheck time.Duration // how often a final upload is read again

	stop chan struct{}
	done chan struct{}
}

func (s *stack) watch(key string) *watcher {
	w := &watcher{s: s, key: key, ups: map[string]*tracked{}, recheck: recheckEvery, stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// add starts watching an upload if it was acknowledged, and reports
// whether it was. A second acknowledgement of the same id (a dedup hit)
// is watched once.
func (w *watcher) add(a answer, file string, poison bool, sent time.Time) bool {
	if !a.acked() {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.ups[a.ID]; !ok {
		u := &tracked{id: a.ID, file: file, poison: poison, sent: sent, ack: a, last: a.State}
		if a.State == "ready" || a.State == "failed" { // a 201, or a 200 dedup hit
			u.final, u.finalAt, u.code = a.State, sent.Add(a.Took), a.Code
		}
		w.ups[a.ID] = u
		w.order = append(w.order, a.ID)
	}
	return true
}

// setRecheck makes final uploads be read again every d instead of
// recheckEvery: fewer reads when there are many.
func (w *watcher) setRecheck(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.recheck = d
}

func (w *watcher) close() {
	close(w.stop)
	<-w.done
}

func (w *watcher) loop() {
	defer close(w.done)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		w.round()
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
	}
}

// round polls, with a few goroutines, every upload that is due.
func (w *watcher) round() {
	due := w.due(time.Now())
	work := make(chan *tracked)
	var wg sync.WaitGroup
	for range min(pollers, len(due)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				w.poll(u)
			}
		}()
	}
	for _, u := range due {
		work <- u
	}
	close(work)
	wg.Wait()
}

func (w *watcher) due(now time.Time) []*tracked {
	w.mu.Lock()
	defer w.mu.Unlock()
	var due []*tracked
	for _, id := range w.order {
		u := w.ups[id]
		if u.final == "" || now.Sub(u.checked) >= w.recheck {
			due = append(due, u)
		}
	}
	return due
}

// poll reads one image and records what it saw. Transport errors and 5xx
// answers (an outage) are ignored; a 404 is counted.
func (w *watcher) poll(u *tracked) {
	status, img, err := w.s.image(context.Background(), w.key, u.id)
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	u.checked = now
	switch {
	case status == http.StatusNotFound:
		u.seen404++
		u.last = "404"
	case status == http.StatusOK && err == nil:
		w.observe(u, img, now)
	}
}

func (w *watcher) observe(u *tracked, img imageView, now time.Time) {
	u.last = img.Status
	final := img.Status == "ready" || img.Status == "failed"
	switch {
	case u.final == "" && final:
		u.final, u.finalAt, u.code, u.url = img.Status, now, img.Error.Code, img.URL
	case u.final != "" && img.Status != u.final:
		c := fmt.Sprintf("%s → %s at %s", u.final, img.Status, now.Format("15:04:05.000"))
		if len(u.changes) == 0 || u.changes[len(u.changes)-1] != c {
			u.changes = append(u.changes, c)
		}
	}
}

// waitFinal waits until every watched upload is final or the deadline
// passes. It returns when the last one became final and those still
// unfinished.
func (w *watcher) waitFinal(deadline time.Time) (time.Time, []tracked) {
	for {
		last, pending := w.progress()
		if len(pending) == 0 || time.Now().After(deadline) {
			return last, pending
		}
		time.Sleep(pollEvery)
	}
}

func (w *watcher) progress() (last time.Time, pending []tracked) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range w.order {
		u := w.ups[id]
		if u.final == "" {
			pending = append(pending, *u)
		} else if u.finalAt.After(last) {
			last = u.finalAt
		}
	}
	return last, pending
}

// snapshot copies what was seen of every upload, in order of
// acknowledgement.
func (w *watcher) snapshot() []tracked {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]tracked, 0, len(w.order))
	for _, id := range w.order {
		out = append(out, *w.ups[id])
	}
	return out
}

// waitStatus waits until one of the watched uploads is seen with status
// (e.g. "processing"): the moment to inject a fault mid-encode.
func (w *watcher) waitStatus(status string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, u := range w.snapshot() {
			if u.final != "" {
				continue
			}
			code, img, err := w.s.image(context.Background(), w.key, u.id)
			if err == nil && code == http.StatusOK && img.Status == status {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no upload seen %s within %v", status, timeout)
}
