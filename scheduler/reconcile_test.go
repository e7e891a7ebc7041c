package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/scheduler"
)

func TestReconcileReenqueuesStuckImagesOnce(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		opt, err := jobs.RedisOpt(testenv.Redis(t))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Unix(1_800_000_000, 0)
		s, err := scheduler.New(scheduler.Config{StuckAfter: 5 * time.Minute},
			scheduler.Deps{DB: d, Redis: opt, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		u, _, _, err := d.CreateUserWithKey(ctx, "u", "free", "", now.Unix())
		if err != nil {
			t.Fatal(err)
		}
		mk := func(hash string, age time.Duration, status string) *db.Image {
			ts := now.Add(-age).Unix()
			img := &db.Image{ID: db.NewID(db.PrefixImage), UserID: u.ID, Status: status, Hash: hash,
				SourceSHA256: hash, Quality: 82, CreatedAt: ts, UpdatedAt: ts}
			if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
				t.Fatal(err)
			}
			return img
		}
		lost := mk("lost", 10*time.Minute, db.StatusQueued)       // its task vanished
		crashed := mk("crash", time.Hour, db.StatusProcessing)    // its worker died
		inFlight := mk("flight", 10*time.Minute, db.StatusQueued) // its task still waits
		mk("fresh", time.Minute, db.StatusQueued)                 // not stuck yet
		fetching := mk("fetching", 10*time.Minute, db.StatusQueued)
		if err := d.Exec(ctx, "UPDATE images SET source_url = 'https://example.com/a.jpg' WHERE id = ?", fetching.ID); err != nil {
			t.Fatal(err)
		}
		ts := now.Add(-time.Hour).Unix()
		file := &db.File{ID: db.NewID(db.PrefixFile), UserID: u.ID, Status: db.StatusQueued,
			SourceURL: "https://example.com/a.pdf", CreatedAt: ts, UpdatedAt: ts}
		if _, err := d.InsertFile(ctx, file, db.Quota{}); err != nil {
			t.Fatal(err)
		}

		client := asynq.NewClient(opt)
		defer client.Close()
		task, _ := jobs.NewImageProcessTask(inFlight.ID, true)
		if _, err := client.Enqueue(task); err != nil {
			t.Fatal(err)
		}

		n, err := s.Reconcile(ctx)
		if err != nil || n != 4 {
			t.Fatalf("first Reconcile = %d, %v; want 4 (lost, crashed, fetching, file)", n, err)
		}
		n, err = s.Reconcile(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second Reconcile = %d, %v; want 0: the tasks are already queued", n, err)
		}
		insp := asynq.NewInspector(opt)
		defer insp.Close()
		for _, img := range []*db.Image{lost, crashed} {
			if _, err := insp.GetTaskInfo(jobs.QueueDefault, jobs.ImageTaskID(jobs.TypeImageProcess, img.ID)); err != nil {
				t.Errorf("no task for stuck image %s: %v", img.ID, err)
			}
		}
		for _, id := range []string{fetching.ID, file.ID} {
			info, err := insp.GetTaskInfo(jobs.QueueDefault, jobs.IngestTaskID(id))
			if err != nil || info.Type != jobs.TypeIngestURL {
				t.Errorf("no ingest:url task for %s: %v", id, err)
			}
		}
		pending, err := insp.ListPendingTasks(jobs.QueueDefault)
		if err != nil || len(pending) != 4 {
			t.Fatalf("default queue holds %d tasks (%v); want 4", len(pending), err)
		}
	})
}
