package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"picpipe"
	"picpipe/db"
	"picpipe/jobs"
)

// reconcileBatch bounds the rows of each kind one reconcile run looks at.
const reconcileBatch = 500

// recoverSuffix marks the task id of the copy of a task whose worker
// died (see recoverOrphans).
const recoverSuffix = ":recover"

// work is unfinished work of one row that reconcile looks after: the task
// that does it, where that task may be, and how the row ends when the
// task ran out of retries.
type work struct {
	row    string // for logs: the row id
	task   *asynq.Task
	id     string   // the task id
	queues []string // the queues a task for it may be on
	fail   func(context.Context) error
}

// Reconcile takes up work that no task will finish. First it copies every
// task left active by a worker that died (its lease expired), so the work
// goes on at once instead of after asynq's own recovery. Then, for every
// image, variant and fetch left unfinished for longer than StuckAfter, it
// asks asynq for the state of its task: pending, scheduled, retrying or
// active tasks are left alone; a missing task, or one completed while its
// row is unfinished, is enqueued again; an archived one (out of retries)
// ends the row failed with internal, giving its quota back. Last, it
// queues the webhook deliveries of events left undispatched (a crash
// between a transition's commit and its dispatch). It returns how many
// tasks it enqueued, rows it ended and events it dispatched. Running it
// twice changes nothing more.
func (s *Scheduler) Reconcile(ctx context.Context) (int, error) {
	insp := asynq.NewInspector(s.deps.Redis)
	defer insp.Close()
	client := jobs.OpenQueue(s.deps.Redis)
	defer client.Close()
	n, err := s.recoverOrphans(ctx, insp, client)
	if err != nil {
		return n, err
	}
	todo, err := s.stuck(ctx)
	if err != nil {
		return n, err
	}
	for _, w := range todo {
		done, err := s.reconcile(ctx, insp, client, w)
		if err != nil {
			return n, fmt.Errorf("scheduler: reconcile %s: %w", w.row, err)
		}
		if done {
			n++
		}
	}
	dispatched, err := s.dispatchEvents(ctx, client)
	slog.Info("reconcile", "stuck", len(todo), "handled", n, "events_dispatched", dispatched)
	return n + dispatched, err
}

// reconcile handles one stuck row and reports whether it did anything.
func (s *Scheduler) reconcile(ctx context.Context, insp *asynq.Inspector, client *jobs.Queue, w work) (bool, error) {
	tasks, err := lookup(insp, w)
	if err != nil {
		return false, err
	}
	var completed []*asynq.TaskInfo
	for _, t := range tasks {
		switch t.State {
		case asynq.TaskStateArchived:
			slog.Warn("reconcile: task out of retries; ending its row failed", "row", w.row, "task", t.ID)
			return true, w.fail(ctx)
		case asynq.TaskStateCompleted:
			completed = append(completed, t)
		default:
			return false, nil // in hand: waiting, retrying or running
		}
	}
	for _, t := range completed { // done, yet its row is not: run it again
		if err := insp.DeleteTask(t.Queue, t.ID); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return false, err
		}
	}
	_, err = client.EnqueueContext(ctx, w.task)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return false, nil
	}
	return err == nil, err
}

// lookup returns the tasks of w (its own and its recovery copy) that
// exist on its queues.
func lookup(insp *asynq.Inspector, w work) ([]*asynq.TaskInfo, error) {
	var found []*asynq.TaskInfo
	for _, id := range []string{w.id, w.id + recoverSuffix} {
		for _, q := range w.queues {
			info, err := insp.GetTaskInfo(q, id)
			switch {
			case err == nil:
				found = append(found, info)
			case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
			default:
				return nil, err
			}
		}
	}
	return found, nil
}

// recoverOrphans enqueues a copy of every work task left active with an
// expired lease: its worker died. asynq itself moves such a task back
// only a minute or more after its lease ran out; the copy starts at once.
// Both may run: the attempt token of the row decides which run's outcome
// counts.
func (s *Scheduler) recoverOrphans(ctx context.Context, insp *asynq.Inspector, client *jobs.Queue) (int, error) {
	n := 0
	for q := range jobs.Queues {
		active, err := insp.ListActiveTasks(q, asynq.PageSize(1000))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		} else if err != nil {
			return n, fmt.Errorf("scheduler: list active tasks: %w", err)
		}
		for _, t := range active {
			if !t.IsOrphaned || !jobs.IsWork(t.Type) {
				continue
			}
			_, err := client.EnqueueContext(ctx, asynq.NewTask(t.Type, t.Payload,
				asynq.Queue(t.Queue), asynq.TaskID(t.ID+recoverSuffix), asynq.MaxRetry(t.MaxRetry),
				asynq.Timeout(t.Timeout), asynq.Retention(jobs.Retention)))
			switch {
			case err == nil:
				slog.Warn("reconcile: worker died; task copied", "task", t.ID, "type", t.Type)
				n++
			case !errors.Is(err, asynq.ErrTaskIDConflict):
				return n, fmt.Errorf("scheduler: copy orphaned task %s: %w", t.ID, err)
			}
		}
	}
	return n, nil
}

// stuck lists the work of the images, variants and files left unfinished
// for longer than StuckAfter.
func (s *Scheduler) stuck(ctx context.Context) ([]work, error) {
	before := s.deps.Now().Add(-s.cfg.StuckAfter).Unix()
	imgs, err := s.deps.DB.StuckImages(ctx, before, reconcileBatch)
	if err != nil {
		return nil, err
	}
	variants, err := s.deps.DB.StuckVariants(ctx, before, reconcileBatch)
	if err != nil {
		return nil, err
	}
	files, err := s.deps.DB.StuckFiles(ctx, before, reconcileBatch)
	if err != nil {
		return nil, err
	}
	var todo []work
	for i := range imgs {
		w, err := s.imageWork(ctx, &imgs[i])
		if err != nil {
			return nil, err
		}
		todo = append(todo, w)
	}
	for i := range variants {
		w, err := s.variantWork(&variants[i])
		if err != nil {
			return nil, err
		}
		todo = append(todo, w)
	}
	for i := range files {
		w, err := s.fileWork(ctx, &files[i])
		if err != nil {
			return nil, err
		}
		todo = append(todo, w)
	}
	return todo, nil
}

// urgentOrNot are the queues image:process and ingest:url tasks go to.
var urgentOrNot = []string{jobs.QueueCritical, jobs.QueueDefault}

// imageWork is the work of an unfinished image: its fetch while it has
// a URL and no source yet, its processing otherwise.
func (s *Scheduler) imageWork(ctx context.Context, img *db.Image) (work, error) {
	w := work{row: img.ID, queues: urgentOrNot, fail: func(ctx context.Context) error {
		return s.failImage(ctx, img)
	}}
	var err error
	if img.SourceURL != "" && img.SourceKey == "" {
		p, perr := s.planOf(ctx, img.UserID)
		if perr != nil {
			return w, perr
		}
		w.id = jobs.IngestTaskID(img.ID)
		w.task, err = jobs.NewIngestURLTask(jobs.IngestFor(jobs.IngestImage, img.ID, p, false))
	} else {
		w.id = jobs.ImageTaskID(jobs.TypeImageProcess, img.ID)
		w.task, err = jobs.NewImageProcessTask(img.ID, false)
	}
	return w, err
}

// variantWork is the work of an unfinished variant.
func (s *Scheduler) variantWork(v *db.Variant) (work, error) {
	task, err := jobs.NewVariantTask(v.ImageID, v.Kind)
	return work{row: v.ImageID + "/" + v.Kind, task: task,
		id:     jobs.ImageTaskID(jobs.VariantTaskType(v.Kind), v.ImageID),
		queues: []string{jobs.QueueLow},
		fail:   func(ctx context.Context) error { return s.failVariant(ctx, v) },
	}, err
}

// fileWork is the work of an unfinished file: its fetch while queued,
// its clean while processing.
func (s *Scheduler) fileWork(ctx context.Context, f *db.File) (work, error) {
	w := work{row: f.ID, queues: urgentOrNot, fail: func(ctx context.Context) error { return s.failFile(ctx, f) }}
	var err error
	if f.Status == db.StatusProcessing {
		w.id = jobs.FileCleanTaskID(f.ID)
		w.task, err = jobs.NewFileCleanTask(f.ID, false)
		return w, err
	}
	p, err := s.planOf(ctx, f.UserID)
	if err != nil {
		return w, err
	}
	w.id = jobs.IngestTaskID(f.ID)
	w.task, err = jobs.NewIngestURLTask(jobs.IngestFor(jobs.IngestFile, f.ID, p, false))
	return w, err
}

// outOfRetries is how a row whose task ran out of retries ends.
var outOfRetries = picpipe.Errorf(picpipe.ECodeInternal, "processing failed after retries")

// failImage ends img failed with internal, unless it moved on since it
// was read, and drops its staged source.
func (s *Scheduler) failImage(ctx context.Context, img *db.Image) error {
	source := img.SourceKey
	img.ErrorCode, img.ErrorMessage, img.SourceKey = outOfRetries.Code, outOfRetries.Message, ""
	img.UpdatedAt = s.deps.Now().Unix()
	err := s.deps.DB.FailImage(ctx, img)
	if errors.Is(err, db.ErrImageNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return s.dropBlob(ctx, source)
}

// failVariant ends v failed with internal, unless it moved on since it
// was read, and drops the image's source when no variant needs it.
func (s *Scheduler) failVariant(ctx context.Context, v *db.Variant) error {
	v.Status, v.ErrorCode, v.StorageKey, v.Size = db.StatusFailed, outOfRetries.Code, "", 0
	v.UpdatedAt = s.deps.Now().Unix()
	source, err := s.deps.DB.EndVariant(ctx, v)
	if errors.Is(err, db.ErrVariantNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return s.dropBlob(ctx, source)
}

// failFile ends the unfinished file f failed with internal, unless it
// moved on since it was read, and drops its bytes.
func (s *Scheduler) failFile(ctx context.Context, f *db.File) error {
	key := f.StorageKey
	f.ErrorCode, f.ErrorMessage = outOfRetries.Code, outOfRetries.Message
	f.UpdatedAt = s.deps.Now().Unix()
	err := s.deps.DB.FailFile(ctx, f)
	if errors.Is(err, db.ErrFileNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return s.dropBlob(ctx, key)
}

// dropBlob deletes key, if any; a blob left by a failure here is
// collected by the purge of staged uploads.
func (s *Scheduler) dropBlob(ctx context.Context, key string) error {
	if key == "" || s.deps.Store == nil {
		return nil
	}
	return s.deps.Store.Delete(ctx, key)
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
