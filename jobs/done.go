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

// doneChannel is the Redis pub/sub channel on which workers announce that
// an image reached a final status.
const doneChannel = "picpipe:image:done"

// PublishDone announces that imageID reached a final status, waking API
// requests that wait for it in any process.
func PublishDone(ctx context.Context, rdb redis.UniversalClient, imageID string) error {
	return rdb.Publish(ctx, doneChannel, imageID).Err()
}

// Waiter lets requests wait for images to finish. One subscription per
// process serves all waiting requests. A Waiter only wakes waiters; the
// database stays the truth, so callers re-read the row after waking (and
// on timeout).
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

	mu      sync.Mutex
	waiting map[string][]chan struct{}
	stop    chan struct{}
	done    chan struct{}
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
		waiting: map[string][]chan struct{}{}, stop: make(chan struct{}), done: make(chan struct{})}
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
			default:
				w.wake(msg.Payload)
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

// wake closes the channels of imageID's waiters.
func (w *Waiter) wake(imageID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.waiting[imageID] {
		close(ch)
	}
	delete(w.waiting, imageID)
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
