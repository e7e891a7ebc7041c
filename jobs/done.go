package jobs

import (
	"context"
	"sync"

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
type Waiter struct {
	ps *redis.PubSub

	mu      sync.Mutex
	waiting map[string][]chan struct{}
	done    chan struct{}
}

// NewWaiter subscribes to completion announcements. Close it to unsubscribe.
func NewWaiter(ctx context.Context, rdb redis.UniversalClient) (*Waiter, error) {
	ps := rdb.Subscribe(ctx, doneChannel)
	if _, err := ps.Receive(ctx); err != nil { // the subscription confirmation
		ps.Close()
		return nil, err
	}
	w := &Waiter{ps: ps, waiting: map[string][]chan struct{}{}, done: make(chan struct{})}
	go w.run()
	return w, nil
}

func (w *Waiter) run() {
	defer close(w.done)
	for msg := range w.ps.Channel() {
		w.mu.Lock()
		for _, ch := range w.waiting[msg.Payload] {
			close(ch)
		}
		delete(w.waiting, msg.Payload)
		w.mu.Unlock()
	}
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
	err := w.ps.Close()
	<-w.done
	return err
}
