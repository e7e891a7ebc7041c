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
	"picpipe/storage"
)

// TestEventsSweptAndPurged: an event whose dispatch never ran (a crash
// right after its commit) is dispatched by reconcile — a delivery task
// per endpoint on the webhooks queue — and purge removes it, with the
// delivery log, once older than EventRetention.
func TestEventsSweptAndPurged(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		redisOpt, err := jobs.RedisOpt(testenv.Redis(t))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		clock := func() time.Time { return now }
		st, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		s, err := scheduler.New(scheduler.Config{}, scheduler.Deps{DB: d, Store: st, Redis: redisOpt, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		u, _, _, err := d.CreateUserWithKey(ctx, "u", "free", "", now.Unix())
		if err != nil {
			t.Fatal(err)
		}
		w := &db.Webhook{ID: db.NewID(db.PrefixWebhook), UserID: u.ID, URL: "https://example.com/h", Events: "*", CreatedAt: now.Unix(), UpdatedAt: now.Unix()}
		if err := d.CreateWebhook(ctx, w, 10); err != nil {
			t.Fatal(err)
		}
		// No OnEvents hook: as if the process died after the commit.
		f := &db.File{ID: db.NewID(db.PrefixFile), UserID: u.ID, Status: db.StatusReady, Name: "a.txt", StorageKey: "k", CreatedAt: now.Unix(), UpdatedAt: now.Unix()}
		if _, err := d.InsertFile(ctx, f, db.Quota{}); err != nil {
			t.Fatal(err)
		}
		evs, _ := d.UndispatchedEvents(ctx, now.Unix()+1, 10)
		if len(evs) != 1 {
			t.Fatalf("%d undispatched events; want the file.ready", len(evs))
		}
		if _, err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if left, _ := d.UndispatchedEvents(ctx, now.Unix()+1, 10); len(left) != 1 {
			t.Fatal("a fresh event swept: it is the committer's to dispatch for a few seconds")
		}
		now = now.Add(time.Minute)
		if n, err := s.Reconcile(ctx); err != nil || n != 1 {
			t.Fatalf("Reconcile = %d, %v; want the event dispatched", n, err)
		}
		insp := asynq.NewInspector(redisOpt)
		defer insp.Close()
		info, err := insp.GetTaskInfo(jobs.QueueWebhooks, jobs.WebhookTaskID(evs[0].ID, w.ID))
		if err != nil || info.Type != jobs.TypeWebhookDeliver {
			t.Fatalf("delivery task: %+v, %v", info, err)
		}
		if left, _ := d.UndispatchedEvents(ctx, now.Unix()+1, 10); len(left) != 0 {
			t.Fatalf("%d events still undispatched", len(left))
		}
		if n, _ := s.Reconcile(ctx); n != 0 {
			t.Fatalf("a second reconcile did %d more", n)
		}

		a := &db.Delivery{ID: db.NewID(db.PrefixDelivery), WebhookID: w.ID, EventID: evs[0].ID, EventType: evs[0].Type,
			Attempt: 1, Succeeded: true, StatusCode: 200, CreatedAt: now.Unix()}
		if _, err := d.RecordDelivery(ctx, a, 3*86400); err != nil {
			t.Fatal(err)
		}
		now = now.Add(29 * 24 * time.Hour)
		if _, err := s.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := d.EventByID(ctx, evs[0].ID); err != nil {
			t.Fatalf("event purged before 30 days: %v", err)
		}
		now = now.Add(2 * 24 * time.Hour)
		if _, err := s.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := d.EventByID(ctx, evs[0].ID); err != db.ErrEventNotFound {
			t.Fatalf("event after 31 days: %v; want purged", err)
		}
		if log, _ := d.ListDeliveries(ctx, w.ID, "", 10); len(log) != 0 {
			t.Fatalf("delivery log after 31 days: %d rows", len(log))
		}
	})
}
