package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// doneChannel is the Redis pub/sub channel on which workers and API
// processes announce that an image or a file changed: its status (queued
// to processing, a final status, deleted) or a variant's.
const doneChannel = "picpipe:image:done"

// PublishDone announces that the image or file id changed, waking API
// requests that wait for it or follow its status in any process. The
// payload is the id alone: listeners read the row, the truth.
func PublishDone(ctx context.Context, rdb redis.UniversalClient, id string) error {
	return rdb.Publish(ctx, doneChannel, id).Err()
}

// PublishStarted announces that a worker took the image or file id up
// (processing): a change for those who follow its every status (Watch),
// which those waiting for its end (WatchEnds, Wait) are not woken for.
// A synchronous upload would read its row for nothing at each claim.
func PublishStarted(ctx context.Context, rdb redis.UniversalClient, id string) error {
	return rdb.Publish(ctx, doneChannel, startPrefix+id).Err()
}

// startPrefix begins the payload of a PublishStarted, which no id does.
// An API process that knows no starts wakes nobody for one: its status
// streams show processing at their next recheck instead.
const startPrefix = "start:"

// Waiter lets requests wait for images and files to change. One
// subscription per process serves all waiting requests (Wait, woken once)
// and status streams (Watch, told of every change). A Waiter only wakes
// them; the database stays the truth, so callers re-read the row after
// waking (and on timeout).
//
// A subscription can outlive what it hears: after a Sentinel failover it
// stays connected to the demoted master, which hears nothing published
// on the new one until it has become its replica (tens of seconds). So a
// Waiter publishes a probe of its own every probeEvery, and when a probe
// is not heard by the next, subscribes again — through the client, to
// whichever server is master now — before dropping the old subscription.
type Waiter struct {
	rdb   redis.UniversalClient
	probe string // this Waiter's probes are probe:N

	mu       sync.Mutex
	waiting  map[string][]chan struct{}
	watching map[string]map[chan struct{}]bool // true: told of starts too
	stop     chan struct{}
	done     chan struct{}
}

// probeEvery is how often a Waiter checks that its subscription hears
// what is published; a probe not heard by the next one renews it.
const probeEvery = time.Second

// probePrefix begins a probe's payload, which no image id does.
const probePrefix = "probe:"

// NewWaiter subscribes to completion announcements. Close it to unsubscribe.
func NewWaiter(ctx context.Context, rdb redis.UniversalClient) (*Waiter, error) {
	ps, err := subscribe(ctx, rdb)
	if err != nil {
		return nil, err
	}
	var id [8]byte
	rand.Read(id[:])
	w := &Waiter{rdb: rdb, probe: probePrefix + hex.EncodeToString(id[:]) + ":",
		waiting: map[string][]chan struct{}{}, watching: map[string]map[chan struct{}]bool{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(ps)
	return w, nil
}

// subscribe subscribes to doneChannel on a connection of its own and
// waits for the confirmation.
func subscribe(ctx context.Context, rdb redis.UniversalClient) (*redis.PubSub, error) {
	ps := rdb.Subscribe(ctx, doneChannel)
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, err
	}
	return ps, nil
}

// run wakes the waiters of each announcement, and probes the
// subscription, renewing it when a probe goes unheard.
func (w *Waiter) run(ps *redis.PubSub) {
	defer close(w.done)
	defer func() { ps.Close() }()
	msgs := ps.Channel()
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	var n int
	pending := "" // the probe in flight, "" when it was heard
	for {
		select {
		case <-w.stop:
			return
		case msg, ok := <-msgs:
			if !ok {
				return
			}
			switch {
			case msg.Payload == pending:
				pending = ""
			case strings.HasPrefix(msg.Payload, probePrefix):
			case strings.HasPrefix(msg.Payload, startPrefix):
				w.wake(strings.TrimPrefix(msg.Payload, startPrefix), true)
			default:
				w.wake(msg.Payload, false)
			}
		case <-tick.C:
			if pending != "" {
				ctx, cancel := context.WithTimeout(context.Background(), probeEvery)
				fresh, err := subscribe(ctx, w.rdb)
				cancel()
				if err == nil {
					slog.Warn("completion announcements went unheard: subscribed again", "probe", pending)
					ps.Close()
					ps, msgs = fresh, fresh.Channel()
				}
			}
			n++
			pending = w.probe + strconv.Itoa(n)
			go func(p string) {
				ctx, cancel := context.WithTimeout(context.Background(), probeEvery)
				defer cancel()
				w.rdb.Publish(ctx, doneChannel, p)
			}(pending)
		}
	}
}

// wake closes the channels of id's waiters and tells its watchers; of a
// start, only the watchers of every change.
func (w *Waiter) wake(id string, start bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !start {
		for _, ch := range w.waiting[id] {
			close(ch)
		}
		delete(w.waiting, id)
	}
	for ch, starts := range w.watching[id] {
		if start && !starts {
			continue
		}
		select {
		case ch <- struct{}{}:
		default: // one is pending already: the watcher reads the row once for both
		}
	}
}

// Watch returns a channel that receives a value after each announcement
// of id until stop is called: for a caller that follows every change of
// id, where Wait wakes once. Announcements that arrive while one is
// pending make one: the caller reads the row anyway. Watch before reading
// the row, so that no change between the two goes unheard.
func (w *Waiter) Watch(id string) (<-chan struct{}, func()) { return w.watch(id, true) }

// WatchEnds is Watch for a caller waiting for id to end: it is not told
// of starts (PublishStarted).
func (w *Waiter) WatchEnds(id string) (<-chan struct{}, func()) { return w.watch(id, false) }

func (w *Waiter) watch(id string, starts bool) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.watching[id] == nil {
		w.watching[id] = map[chan struct{}]bool{}
	}
	w.watching[id][ch] = starts
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.watching[id], ch)
		if len(w.watching[id]) == 0 {
			delete(w.watching, id)
		}
	}
}

// Listeners returns how many Wait and Watch calls are listening now: the
// fan-out's subscribers, which all share the Waiter's one subscription.
func (w *Waiter) Listeners() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, l := range w.waiting {
		n += len(l)
	}
	for _, m := range w.watching {
		n += len(m)
	}
	return n
}

// Wait returns a channel closed when imageID is announced done, and a
// cancel func that must be called when the caller stops waiting.
func (w *Waiter) Wait(imageID string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	w.mu.Lock()
	w.waiting[imageID] = append(w.waiting[imageID], ch)
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		list := w.waiting[imageID]
		for i, c := range list {
			if c == ch {
				w.waiting[imageID] = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(w.waiting[imageID]) == 0 {
			delete(w.waiting, imageID)
		}
	}
}

// Close unsubscribes and stops the Waiter.
func (w *Waiter) Close() error {
	close(w.stop)
	<-w.done
	return nil
}
