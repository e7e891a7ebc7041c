package scheduler

import (
	"context"
	"time"

	"picpipe/jobs"
	"picpipe/outbox"
)

// DefaultEventRetention is how long webhook events and the delivery log
// are kept.
const DefaultEventRetention = 30 * 24 * time.Hour

// sweepAfter is how old an undispatched event must be before reconcile
// dispatches it: younger ones are the dispatcher's right after their
// commit (both dispatching is harmless, merely wasted).
const sweepAfter = 10 * time.Second

// dispatchEvents queues the deliveries of the events a crash or a queue
// outage left undispatched, and returns how many events it dispatched.
func (s *Scheduler) dispatchEvents(ctx context.Context, client *jobs.Queue) (int, error) {
	return outbox.NewDispatcher(s.deps.DB, client, s.deps.Now).Sweep(ctx, sweepAfter, reconcileBatch)
}

// purgeEvents removes the dispatched events and the delivery log older
// than EventRetention, and returns how many rows it removed.
func (s *Scheduler) purgeEvents(ctx context.Context) (int, error) {
	return s.deps.DB.PurgeEvents(ctx, s.deps.Now().Add(-s.cfg.EventRetention).Unix())
}
