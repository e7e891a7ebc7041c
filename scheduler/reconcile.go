package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"picpipe/jobs"
)

// reconcileBatch bounds the rows one reconcile run looks at.
const reconcileBatch = 500

// Reconcile enqueues image:process again for every image queued or
// processing for longer than StuckAfter, and returns how many it
// enqueued. An image whose task is still in the queue is left alone
// (its task id conflicts), so running it twice changes nothing.
func (s *Scheduler) Reconcile(ctx context.Context) (int, error) {
	before := s.deps.Now().Add(-s.cfg.StuckAfter).Unix()
	stuck, err := s.deps.DB.StuckImages(ctx, before, reconcileBatch)
	if err != nil {
		return 0, err
	}
	client := asynq.NewClient(s.deps.Redis)
	defer client.Close()
	insp := asynq.NewInspector(s.deps.Redis)
	defer insp.Close()
	enqueued := 0
	for _, img := range stuck {
		// A waiting upload's task sits on the critical queue, where the
		// default queue's task id check does not see it.
		if _, err := insp.GetTaskInfo(jobs.QueueCritical, jobs.ImageTaskID(jobs.TypeImageProcess, img.ID)); err == nil {
			continue
		}
		task, err := jobs.NewImageProcessTask(img.ID, false)
		if err != nil {
			return enqueued, err
		}
		_, err = client.EnqueueContext(ctx, task)
		switch {
		case err == nil:
			enqueued++
		case errors.Is(err, asynq.ErrTaskIDConflict):
		default:
			return enqueued, fmt.Errorf("scheduler: re-enqueue %s: %w", img.ID, err)
		}
	}
	slog.Info("reconcile", "stuck", len(stuck), "enqueued", enqueued)
	return enqueued, nil
}
