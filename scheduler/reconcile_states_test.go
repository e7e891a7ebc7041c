package scheduler_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"picpipe"
	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/scheduler"
	"picpipe/storage"
)

// stateEnv is a scheduler on a real database, store and redis-server,
// with a clock an hour ahead of the rows it makes: every row is stuck.
type stateEnv struct {
	d    *db.DB
	st   *storage.Local
	root string
	s    *scheduler.Scheduler
	opt  asynq.RedisConnOpt
	insp *asynq.Inspector
	user *db.User
	now  time.Time
}

func newStateEnv(t *testing.T, d *db.DB) *stateEnv {
	t.Helper()
	opt, err := jobs.RedisOpt(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	st, err := storage.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	e := &stateEnv{d: d, st: st, root: root, opt: opt, now: time.Unix(1_800_000_000, 0)}
	e.s, err = scheduler.New(scheduler.Config{StuckAfter: 5 * time.Minute},
		scheduler.Deps{DB: d, Store: st, Redis: opt, Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e.insp = asynq.NewInspector(opt)
	t.Cleanup(func() { e.insp.Close() })
	e.user, _, _, err = d.CreateUserWithKey(context.Background(), "u", "free", "", e.now.Unix())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// image records an image an hour old in status with a staged source.
func (e *stateEnv) image(t *testing.T, status string) *db.Image {
	t.Helper()
	ctx := context.Background()
	ts := e.now.Add(-time.Hour).Unix()
	img := &db.Image{ID: db.NewID(db.PrefixImage), UserID: e.user.ID, Status: db.StatusQueued,
		Hash: db.NewID(""), Quality: 82, SourceSize: 100, CreatedAt: ts, UpdatedAt: ts}
	img.SourceKey = "staging/" + e.user.ID + "/" + img.ID
	if _, err := e.st.Put(ctx, img.SourceKey, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := e.d.InsertImage(ctx, img, db.Quota{}); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Exec(ctx, "UPDATE images SET status = ? WHERE id = ?", status, img.ID); err != nil {
		t.Fatal(err)
	}
	return img
}

// setOutput makes img a ready image of format with an output key, and
// its blob unless lost; the source is released.
func (e *stateEnv) setOutput(t *testing.T, img *db.Image, format string, blob bool) {
	t.Helper()
	ctx := context.Background()
	img.OutputKey = "images/" + img.UserID + "/" + img.ID + ".a." + format
	if blob {
		if _, err := e.st.Put(ctx, img.OutputKey, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.st.Delete(ctx, img.SourceKey); err != nil {
		t.Fatal(err)
	}
	err := e.d.Exec(ctx, "UPDATE images SET status = 'ready', format = ?, output_key = ?, source_key = '' WHERE id = ?",
		format, img.OutputKey, img.ID)
	if err != nil {
		t.Fatal(err)
	}
}

func (e *stateEnv) enqueue(t *testing.T, task *asynq.Task) *asynq.TaskInfo {
	t.Helper()
	c := asynq.NewClient(e.opt)
	defer c.Close()
	info, err := c.Enqueue(task)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func (e *stateEnv) reconcile(t *testing.T) int {
	t.Helper()
	n, err := e.s.Reconcile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// complete runs a worker whose handler for typ does nothing, until the
// task id is completed: as if it had run while its row was not claimable.
func (e *stateEnv) complete(t *testing.T, typ, queue, id string) {
	t.Helper()
	srv := asynq.NewServer(e.opt, asynq.Config{Queues: map[string]int{queue: 1},
		TaskCheckInterval: 20 * time.Millisecond, Logger: jobs.Logger{}, LogLevel: asynq.ErrorLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc(typ, func(context.Context, *asynq.Task) error { return nil })
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if info, err := e.insp.GetTaskInfo(queue, id); err == nil && info.State == asynq.TaskStateCompleted {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s never completed", id)
		}
	}
}

// TestReconcileArchivedTaskFailsItsRow: a row whose task ran out of
// retries (database down through every retry, say) ends failed with
// internal, gives its quota back and drops its source; asynqmon keeps
// the archived task.
func TestReconcileArchivedTaskFailsItsRow(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newStateEnv(t, d)
		ctx := context.Background()
		img := e.image(t, db.StatusProcessing)
		task, _ := jobs.NewImageProcessTask(img.ID, false)
		e.enqueue(t, task)
		if err := e.insp.ArchiveTask(jobs.QueueDefault, img.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.reconcile(t); n != 1 {
			t.Fatalf("Reconcile = %d; want 1", n)
		}
		got, err := d.ImageForWork(ctx, img.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != db.StatusFailed || got.ErrorCode != picpipe.ECodeInternal || got.SourceKey != "" {
			t.Fatalf("row = %s %q source %q; want failed internal, no source", got.Status, got.ErrorCode, got.SourceKey)
		}
		u, _ := d.UserByID(ctx, e.user.ID)
		if u.ImageCount != 0 || u.StorageBytes != 0 {
			t.Fatalf("quota in use %d images %d bytes; want all given back", u.ImageCount, u.StorageBytes)
		}
		if _, err := e.st.Open(ctx, img.SourceKey); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("source after failure: %v; want removed", err)
		}
		if n := e.reconcile(t); n != 0 {
			t.Fatalf("second Reconcile = %d; want 0", n)
		}
	})
}

// TestReconcileCompletedTaskRunsAgain: a task that completed while its
// row is still unfinished (a duplicate that found nothing to claim, a
// lost write) is enqueued again, under the same id.
func TestReconcileCompletedTaskRunsAgain(t *testing.T) {
	e := newStateEnv(t, testenv.SQLite(t))
	img := e.image(t, db.StatusQueued)
	task, _ := jobs.NewImageProcessTask(img.ID, false)
	e.enqueue(t, task)
	e.complete(t, jobs.TypeImageProcess, jobs.QueueDefault, img.ID)
	if n := e.reconcile(t); n != 1 {
		t.Fatalf("Reconcile = %d; want 1", n)
	}
	info, err := e.insp.GetTaskInfo(jobs.QueueDefault, img.ID)
	if err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("task after reconcile: %+v, %v; want pending", info, err)
	}
}

// TestReconcileRedoesLostVariants: a ready image whose AVIF task was lost
// (Redis flushed or down when it was enqueued) gets it again, and a
// variant whose task ran out of retries ends failed and drops the source.
func TestReconcileRedoesLostVariants(t *testing.T) {
	e := newStateEnv(t, testenv.SQLite(t))
	ctx := context.Background()
	lost, spent := e.image(t, db.StatusReady), e.image(t, db.StatusReady)
	for _, img := range []*db.Image{lost, spent} {
		err := e.d.Exec(ctx, "INSERT INTO variants (image_id, kind, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
			img.ID, db.VariantAVIF, db.StatusQueued, img.UpdatedAt, img.UpdatedAt)
		if err != nil {
			t.Fatal(err)
		}
	}
	task, _ := jobs.NewVariantTask(spent.ID, db.VariantAVIF)
	info := e.enqueue(t, task)
	if err := e.insp.ArchiveTask(info.Queue, info.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.reconcile(t); n != 2 {
		t.Fatalf("Reconcile = %d; want 2", n)
	}
	id := jobs.ImageTaskID(jobs.TypeImageAVIF, lost.ID)
	if info, err := e.insp.GetTaskInfo(jobs.QueueLow, id); err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("lost variant's task: %+v, %v; want pending", info, err)
	}
	v, err := e.d.VariantOf(ctx, spent.ID, db.VariantAVIF)
	if err != nil || v.Status != db.StatusFailed || v.ErrorCode != picpipe.ECodeInternal {
		t.Fatalf("spent variant: %+v, %v; want failed internal", v, err)
	}
	img, _ := e.d.ImageForWork(ctx, spent.ID)
	if img.SourceKey != "" {
		t.Fatalf("source kept after the last variant failed: %q", img.SourceKey)
	}
	if _, err := e.st.Open(ctx, spent.SourceKey); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("source blob after the last variant failed: %v; want removed", err)
	}
}
