package db_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"picpipe/db"
	"picpipe/internal/testenv"
)

func newWebhook(t *testing.T, d *db.DB, u *db.User, events string) *db.Webhook {
	t.Helper()
	w := &db.Webhook{ID: db.NewID(db.PrefixWebhook), UserID: u.ID, URL: "https://example.com/hook", Events: events, CreatedAt: 1, UpdatedAt: 1}
	if err := d.CreateWebhook(context.Background(), w, 10); err != nil {
		t.Fatal(err)
	}
	return w
}

// hooked records the ids the OnEvents hook is called with.
type hooked struct {
	mu  sync.Mutex
	ids []string
}

func (h *hooked) fn(_ context.Context, ids []string) {
	h.mu.Lock()
	h.ids = append(h.ids, ids...)
	h.mu.Unlock()
}

func (h *hooked) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.ids
	h.ids = nil
	return ids
}

// events returns every event of the outbox, oldest first.
func events(t *testing.T, d *db.DB) []db.Event {
	t.Helper()
	evs, err := d.UndispatchedEvents(context.Background(), 1<<40, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func types(evs []db.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// TestOutboxImageLifecycle follows an image from upload to deletion:
// each transition writes its event in its own transaction, with the
// image as that transaction left it, and the hook hears of each once it
// has committed.
func TestOutboxImageLifecycle(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var h hooked
		d.OnEvents(h.fn)
		u, quiet := newUser(t, d), newUser(t, d)
		newWebhook(t, d, u, "*")
		img, other := newImage(u, "h1"), newImage(quiet, "h1")
		for _, i := range []*db.Image{img, other} {
			if err := d.InsertImage(ctx, i, db.Quota{}); err != nil {
				t.Fatal(err)
			}
			claimed, err := d.ClaimImage(ctx, i.ID, 11)
			if err != nil {
				t.Fatal(err)
			}
			claimed.Format, claimed.OutputKey, claimed.UpdatedAt = "webp", "out/"+i.ID, 12
			if err := d.FinishImage(ctx, claimed, db.VariantAVIF); err != nil {
				t.Fatal(err)
			}
			v, _, err := d.ClaimVariant(ctx, i.ID, db.VariantAVIF, 13)
			if err != nil {
				t.Fatal(err)
			}
			v.Status, v.StorageKey, v.Size, v.UpdatedAt = db.StatusReady, "avif/"+i.ID, 99, 14
			if _, err := d.EndVariant(ctx, v); err != nil {
				t.Fatal(err)
			}
			if err := d.DeleteImage(ctx, i.UserID, i.ID, 15); err != nil {
				t.Fatal(err)
			}
		}
		evs := events(t, d)
		want := []string{db.EventImageReady, db.EventImageVariantReady, db.EventImageDeleted}
		if got := types(evs); !slices.Equal(got, want) {
			t.Fatalf("events %v; want %v (and none for the account without webhooks)", got, want)
		}
		var ids []string
		for i, ev := range evs {
			ids = append(ids, ev.ID)
			if ev.UserID != u.ID || ev.ResourceID != img.ID || !strings.HasPrefix(ev.ID, db.PrefixEvent) {
				t.Fatalf("event %+v; want one of %s about %s", ev, u.ID, img.ID)
			}
			if i > 0 && ev.Seq <= evs[i-1].Seq {
				t.Fatalf("seq %d after %d", ev.Seq, evs[i-1].Seq)
			}
			if ev.CreatedAt != []int64{12, 14, 15}[i] {
				t.Fatalf("%s created_at %d", ev.Type, ev.CreatedAt)
			}
		}
		if got := h.take(); !slices.Equal(got, ids) {
			t.Fatalf("hook heard %v; want %v", got, ids)
		}
		snap := func(i int) *db.EventSnapshot {
			s, err := evs[i].Snap()
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		if s := snap(0); s.Image.Status != db.StatusReady || s.Image.OutputKey != "out/"+img.ID ||
			len(s.Variants) != 1 || s.Variants[0].Status != db.StatusQueued {
			t.Fatalf("image.ready snapshot %+v %+v", s.Image, s.Variants)
		}
		if s := snap(1); s.Variant != db.VariantAVIF || s.Variants[0].Status != db.StatusReady || s.Variants[0].Size != 99 {
			t.Fatalf("variant snapshot %+v", s)
		}
		if s := snap(2); s.Image.DeletedAt == nil || *s.Image.DeletedAt != 15 {
			t.Fatalf("deleted snapshot %+v", s.Image)
		}
	})
}

// TestOutboxIsTransactional: an event exists exactly when its transition
// does. A transition refused (a stale attempt), or rolled back after the
// event was written, leaves no event and calls no hook.
func TestOutboxIsTransactional(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var h hooked
		d.OnEvents(h.fn)
		u := newUser(t, d)
		newWebhook(t, d, u, "image.failed,image.ready")
		img := newImage(u, "h")
		if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
			t.Fatal(err)
		}
		first, _ := d.ClaimImage(ctx, img.ID, 11)
		second, _ := d.ClaimImage(ctx, img.ID, 12)
		first.ErrorCode, first.UpdatedAt = "decode_failed", 13
		if err := d.FailImage(ctx, first); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("stale FailImage = %v", err)
		}
		boom := errors.New("boom")
		err := d.RunInTx(ctx, func(tx *db.DB) error {
			second.ErrorCode, second.UpdatedAt = "decode_failed", 14
			if err := tx.FailImage(ctx, second); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if evs := events(t, d); len(evs) != 0 || len(h.take()) != 0 {
			t.Fatalf("events %v after refused and rolled-back transitions", types(evs))
		}
		if err := d.FailImage(ctx, second); err != nil {
			t.Fatal(err)
		}
		if evs := events(t, d); !slices.Equal(types(evs), []string{db.EventImageFailed}) || len(h.take()) != 1 {
			t.Fatalf("events %v; want image.failed, heard once", types(evs))
		}
	})
}

// TestOutboxSubscriptions: an event is written only for a type an
// enabled webhook of the account takes.
func TestOutboxSubscriptions(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		w := newWebhook(t, d, u, "file.deleted")
		f := &db.File{ID: db.NewID(db.PrefixFile), UserID: u.ID, Status: db.StatusReady, Name: "a.txt", StorageKey: "k", CreatedAt: 5, UpdatedAt: 5}
		if _, err := d.InsertFile(ctx, f, db.Quota{}); err != nil {
			t.Fatal(err)
		}
		if evs := events(t, d); len(evs) != 0 {
			t.Fatalf("file.ready written for a webhook taking only file.deleted: %v", types(evs))
		}
		w.UpdatedAt = 6
		if err := d.DisableWebhook(ctx, w, "test"); err != nil {
			t.Fatal(err)
		}
		if err := d.DeleteFile(ctx, u.ID, f.ID, 7); err != nil {
			t.Fatal(err)
		}
		if evs := events(t, d); len(evs) != 0 {
			t.Fatalf("an event for a disabled webhook: %v", types(evs))
		}
		if !db.Takes("image.ready,file.deleted", "file.deleted") || db.Takes("image.ready", "image.read") || !db.Takes("*", "file.expired") {
			t.Fatal("Takes")
		}
	})
}

// TestOutboxFiles covers the files' events: ready at insert, replaced at
// a path, failed, expired by the purge.
func TestOutboxFiles(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		newWebhook(t, d, u, "*")
		exp := int64(20)
		a := &db.File{ID: db.NewID(db.PrefixFile), UserID: u.ID, Status: db.StatusReady, Name: "a.txt", Path: "p/a.txt", StorageKey: "k1", ExpiresAt: &exp, CreatedAt: 5, UpdatedAt: 5}
		b := &db.File{ID: db.NewID(db.PrefixFile), UserID: u.ID, Status: db.StatusReady, Name: "a.txt", Path: "p/a.txt", StorageKey: "k2", ExpiresAt: &exp, CreatedAt: 6, UpdatedAt: 6}
		c := &db.File{ID: db.NewID(db.PrefixFile), UserID: u.ID, Status: db.StatusQueued, Name: "c", CreatedAt: 7, UpdatedAt: 7}
		for _, f := range []*db.File{a, b, c} {
			if _, err := d.InsertFile(ctx, f, db.Quota{}); err != nil {
				t.Fatal(err)
			}
		}
		c.ErrorCode, c.UpdatedAt = "fetch_failed", 8
		if err := d.FailFile(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := d.PurgeFile(ctx, b.ID, 21); err != nil {
			t.Fatal(err)
		}
		evs := events(t, d)
		want := []string{db.EventFileReady, db.EventFileDeleted, db.EventFileReady, db.EventFileFailed, db.EventFileExpired}
		if got := types(evs); !slices.Equal(got, want) {
			t.Fatalf("events %v; want %v", got, want)
		}
		res := []string{a.ID, a.ID, b.ID, c.ID, b.ID}
		for i, ev := range evs {
			s, err := ev.Snap()
			if err != nil || s.File == nil || s.File.ID != res[i] || ev.ResourceID != res[i] {
				t.Fatalf("event %d %s: snapshot %+v, %v; want file %s", i, ev.Type, s, err, res[i])
			}
		}
	})
}

func TestWebhookStore(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, other := newUser(t, d), newUser(t, d)
		w := newWebhook(t, d, u, "*")
		if !strings.HasPrefix(w.Secret, db.WebhookSecretPrefix) || len(w.Secret) < 40 {
			t.Fatalf("secret %q", w.Secret)
		}
		if _, err := d.WebhookByID(ctx, other.ID, w.ID); !errors.Is(err, db.ErrWebhookNotFound) {
			t.Fatalf("another account's webhook: %v", err)
		}
		if err := d.DeleteWebhook(ctx, other.ID, w.ID); !errors.Is(err, db.ErrWebhookNotFound) {
			t.Fatalf("another account deletes: %v", err)
		}
		// The limit holds under concurrent creations.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- d.CreateWebhook(ctx, &db.Webhook{ID: db.NewID(db.PrefixWebhook), UserID: u.ID, URL: "https://x", Events: "*"}, 5)
			}()
		}
		wg.Wait()
		close(errs)
		made := 0
		for err := range errs {
			switch {
			case err == nil:
				made++
			case !errors.Is(err, db.ErrTooManyWebhooks):
				t.Fatal(err)
			}
		}
		if ws, _ := d.ListWebhooks(ctx, u.ID, "", 100); made != 4 || len(ws) != 5 {
			t.Fatalf("made %d more, %d in all; want 4 and 5", made, len(ws))
		}
		// Rolling keeps the old secret for a while, or not at all.
		old := w.Secret
		w.UpdatedAt = 100
		if err := d.RollWebhookSecret(ctx, w, 200); err != nil {
			t.Fatal(err)
		}
		got, _ := d.WebhookByID(ctx, u.ID, w.ID)
		if got.Secret == old || got.PreviousSecret != old || *got.PreviousSecretExpiresAt != 200 {
			t.Fatalf("after roll: %+v", got)
		}
		if err := d.RollWebhookSecret(ctx, got, 0); err != nil {
			t.Fatal(err)
		}
		if got, _ = d.WebhookByID(ctx, u.ID, w.ID); got.PreviousSecret != "" || got.PreviousSecretExpiresAt != nil {
			t.Fatalf("after an immediate roll: %+v", got)
		}
	})
}

// TestDeliveryHealth: failures since the last success disable the
// endpoint once they span disableAfter; a success in between starts
// over; enabling clears it all.
func TestDeliveryHealth(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		w := newWebhook(t, d, u, "*")
		const day = 86400
		record := func(at int64, ok bool, resp string) *db.Webhook {
			t.Helper()
			a := &db.Delivery{ID: db.NewID(db.PrefixDelivery), WebhookID: w.ID, EventID: "evt_x", EventType: "image.ready",
				Attempt: 1, Succeeded: ok, StatusCode: 500, Response: resp, CreatedAt: at}
			if ok {
				a.StatusCode = 200
			}
			got, err := d.RecordDelivery(ctx, a, 3*day)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		record(1000, false, "")
		record(1000+2*day, true, "ok")
		if got := record(1000+2*day+1, false, ""); got.FailingSince == nil || *got.FailingSince != 1000+2*day+1 {
			t.Fatalf("failing since %v; want the first failure after the success", got.FailingSince)
		}
		if got := record(1000+5*day, false, ""); got.DisabledAt != nil {
			t.Fatalf("disabled after less than 3 days of failure: %+v", got)
		}
		got := record(1000+5*day+1, false, "nope\x00\xff"+strings.Repeat("x", 2000))
		if got.DisabledAt == nil || !strings.Contains(got.DisabledReason, "3 days") || !strings.Contains(got.DisabledReason, "500") {
			t.Fatalf("after 3 days of failure: %+v", got)
		}
		log, err := d.ListDeliveries(ctx, w.ID, "", 100)
		if err != nil || len(log) != 5 {
			t.Fatalf("log %d, %v", len(log), err)
		}
		if r := log[0].Response; len(r) > 1024 || !strings.HasPrefix(r, "nope\uFFFD\uFFFD") {
			t.Fatalf("stored response %q (%d bytes)", r[:20], len(r))
		}
		got.URL, got.UpdatedAt = "https://example.com/new", 1000+6*day
		if err := d.UpdateWebhook(ctx, got, true); err != nil {
			t.Fatal(err)
		}
		if got, _ = d.WebhookByID(ctx, u.ID, w.ID); got.DisabledAt != nil || got.FailingSince != nil || got.DisabledReason != "" || got.URL != "https://example.com/new" {
			t.Fatalf("after enabling: %+v", got)
		}
		if n, err := d.PurgeEvents(ctx, 1000+2*day+1); err != nil || n != 2 {
			t.Fatalf("PurgeEvents = %d, %v; want the 2 oldest attempts", n, err)
		}
		if err := d.DeleteWebhook(ctx, u.ID, w.ID); err != nil {
			t.Fatal(err)
		}
		if log, _ := d.ListDeliveries(ctx, w.ID, "", 100); len(log) != 0 {
			t.Fatalf("log of a deleted webhook: %d rows", len(log))
		}
	})
}

func TestTimeOfID(t *testing.T) {
	before := time.Now().Truncate(time.Millisecond)
	id := db.NewID(db.PrefixEvent)
	after := time.Now()
	got, ok := db.TimeOfID(id)
	if !ok || got.Before(before) || got.After(after) {
		t.Fatalf("TimeOfID(%s) = %v, %v; want between %v and %v", id, got, ok, before, after)
	}
	if _, ok := db.TimeOfID("evt_nope"); ok {
		t.Fatal("TimeOfID of a short id")
	}
}
