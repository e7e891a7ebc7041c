package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/db"
	"picpipe/jobs"
)

// enqueueTimeout bounds each enqueue of a delivery task, and hookTimeout
// all the dispatching after one commit: the committer (an upload's
// request, a worker's task) waits that long at most when Redis or the
// database is slow, and the sweep takes up what did not make it.
const (
	enqueueTimeout = 2 * time.Second
	hookTimeout    = 2 * time.Second
)

// Dispatcher queues the deliveries of events.
type Dispatcher struct {
	db    *db.DB
	queue *jobs.Queue
	now   func() time.Time
}

// NewDispatcher returns a Dispatcher queueing on queue; now is the clock
// (nil means time.Now).
func NewDispatcher(d *db.DB, queue *jobs.Queue, now func() time.Time) *Dispatcher {
	if now == nil {
		now = time.Now
	}
	return &Dispatcher{db: d, queue: queue, now: now}
}

// Hook dispatches the events ids within hookTimeout, logging what
// fails: the db.OnEvents hook. What it could not queue stays
// undispatched for Sweep.
func (p *Dispatcher) Hook(ctx context.Context, ids []string) {
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	for _, id := range ids {
		if err := p.dispatchID(ctx, id); err != nil {
			slog.Warn("webhook dispatch failed; the sweep will retry", "event_id", id, "err", err)
		}
	}
}

func (p *Dispatcher) dispatchID(ctx context.Context, id string) error {
	ev, err := p.db.EventByID(ctx, id)
	if err != nil {
		return err
	}
	return p.Dispatch(ctx, ev)
}

// Dispatch queues a delivery of ev to each enabled endpoint of its
// account that takes its type, then marks it dispatched. A delivery
// queued before (same task id) counts as queued. On error the event
// stays undispatched; what was queued stays queued.
func (p *Dispatcher) Dispatch(ctx context.Context, ev *db.Event) error {
	if ev.DispatchedAt != nil {
		return nil
	}
	ws, err := p.db.WebhooksFor(ctx, ev.UserID, ev.Type)
	if err != nil {
		return err
	}
	for _, w := range ws {
		if err := p.enqueue(ctx, jobs.WebhookPayload{EventID: ev.ID, WebhookID: w.ID}); err != nil {
			return err
		}
	}
	return p.db.MarkDispatched(ctx, ev.ID, p.now().Unix())
}

// Resend queues one more attempt to deliver the event eventID to the
// webhook webhookID, apart from its automatic deliveries.
func (p *Dispatcher) Resend(ctx context.Context, eventID, webhookID string) error {
	return p.enqueue(ctx, jobs.WebhookPayload{EventID: eventID, WebhookID: webhookID, Manual: true})
}

func (p *Dispatcher) enqueue(ctx context.Context, pl jobs.WebhookPayload) error {
	task, err := jobs.NewWebhookTask(pl)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	if _, err := p.queue.EnqueueContext(ctx, task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("outbox: enqueue delivery of %s to %s: %w", pl.EventID, pl.WebhookID, err)
	}
	return nil
}

// Sweep dispatches up to limit events left undispatched for longer than
// after (a crash between a commit and its dispatch, a queue that was
// away), oldest first, and returns how many it dispatched. It stops at
// the first failure.
func (p *Dispatcher) Sweep(ctx context.Context, after time.Duration, limit int) (int, error) {
	evs, err := p.db.UndispatchedEvents(ctx, p.now().Add(-after).Unix(), limit)
	if err != nil {
		return 0, err
	}
	for i := range evs {
		if err := p.Dispatch(ctx, &evs[i]); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}
