package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"picpipe"
	"picpipe/jobs"
)

// reconcileBatch bounds the rows one reconcile run looks at.
const reconcileBatch = 500

// redo is the task that takes stuck work up again, with its task id.
type redo struct {
	id   string
	task *asynq.Task
}

// Reconcile enqueues again the work of every image and file left queued
// or processing for longer than StuckAfter (a crash between commit and
// enqueue, a flushed Redis): image:process for staged images, ingest:url
// for what is still to be fetched. It returns how many tasks it enqueued.
// Work whose task is still in a queue is left alone, so running it twice
// changes nothing.
func (s *Scheduler) Reconcile(ctx context.Context) (int, error) {
	todo, err := s.stuck(ctx)
	if err != nil {
		return 0, err
	}
	client := asynq.NewClient(s.deps.Redis)
	defer client.Close()
	insp := asynq.NewInspector(s.deps.Redis)
	defer insp.Close()
	enqueued := 0
	for _, r := range todo {
		if queued(insp, r.id) {
			continue
		}
		_, err := client.EnqueueContext(ctx, r.task)
		switch {
		case err == nil:
			enqueued++
		case errors.Is(err, asynq.ErrTaskIDConflict):
		default:
			return enqueued, fmt.Errorf("scheduler: re-enqueue %s: %w", r.id, err)
		}
	}
	slog.Info("reconcile", "stuck", len(todo), "enqueued", enqueued)
	return enqueued, nil
}

// queued reports whether a task with id waits or runs on a queue that
// takes urgent or ordinary work: asynq scopes task ids per queue.
func queued(insp *asynq.Inspector, id string) bool {
	for _, q := range []string{jobs.QueueCritical, jobs.QueueDefault} {
		if _, err := insp.GetTaskInfo(q, id); err == nil {
			return true
		}
	}
	return false
}

// stuck lists the tasks that take up stuck images and files again.
func (s *Scheduler) stuck(ctx context.Context) ([]redo, error) {
	before := s.deps.Now().Add(-s.cfg.StuckAfter).Unix()
	imgs, err := s.deps.DB.StuckImages(ctx, before, reconcileBatch)
	if err != nil {
		return nil, err
	}
	files, err := s.deps.DB.StuckFiles(ctx, before, reconcileBatch)
	if err != nil {
		return nil, err
	}
	var todo []redo
	for _, img := range imgs {
		r := redo{id: jobs.ImageTaskID(jobs.TypeImageProcess, img.ID)}
		if img.SourceURL != "" && img.SourceKey == "" {
			p, err := s.planOf(ctx, img.UserID)
			if err != nil {
				return nil, err
			}
			r.id = jobs.IngestTaskID(img.ID)
			r.task, err = jobs.NewIngestURLTask(jobs.IngestFor(jobs.IngestImage, img.ID, p, false))
		} else {
			r.task, err = jobs.NewImageProcessTask(img.ID, false)
		}
		if err != nil {
			return nil, err
		}
		todo = append(todo, r)
	}
	for _, f := range files {
		p, err := s.planOf(ctx, f.UserID)
		if err != nil {
			return nil, err
		}
		task, err := jobs.NewIngestURLTask(jobs.IngestFor(jobs.IngestFile, f.ID, p, false))
		if err != nil {
			return nil, err
		}
		todo = append(todo, redo{id: jobs.IngestTaskID(f.ID), task: task})
	}
	return todo, nil
}

// planOf returns the plan of the user: what limits a fetch runs under.
func (s *Scheduler) planOf(ctx context.Context, userID string) (picpipe.Plan, error) {
	u, err := s.deps.DB.UserByID(ctx, userID)
	if err != nil {
		return picpipe.Plan{}, err
	}
	p, _ := s.cfg.Plans.Of(u.Plan)
	return p, nil
}
