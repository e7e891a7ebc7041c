package outbox_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"picpipe/db"
	"picpipe/outbox"
	"picpipe/resource"
	"picpipe/webhook"
)

// TestBackoff: the retries of a failed delivery double from 30 s up to
// 4 h, ±10%, and those within a day after the event make 15 attempts.
func TestBackoff(t *testing.T) {
	nominal := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 4 * time.Hour, 4 * time.Hour, 4 * time.Hour}
	for n, want := range nominal {
		for range 50 {
			if got := outbox.Backoff(n); got < want*9/10 || got > want*11/10 {
				t.Fatalf("Backoff(%d) = %s; want %s ± 10%%", n, got, want)
			}
		}
	}
	if got := outbox.Backoff(40); got > 4*time.Hour*11/10 {
		t.Fatalf("Backoff(40) = %s; want at most 4 h + 10%%", got)
	}
	// Attempts at 0, then after each nominal wait, while the previous
	// one was less than a day after the event.
	attempts, at := 1, time.Duration(0)
	for n := 0; at < outbox.DefaultRetryFor; n++ {
		at += nominalAt(n)
		attempts++
	}
	if attempts != 15 {
		t.Fatalf("%d attempts within a day; the README says 15", attempts)
	}
}

func nominalAt(n int) time.Duration {
	if n >= 9 {
		return 4 * time.Hour
	}
	return 30 * time.Second << n
}

func TestRetryDelay(t *testing.T) {
	f := outbox.RetryDelay(func(n int) time.Duration { return time.Duration(n) * time.Hour })
	for range 50 {
		if d := f(7, outbox.ErrBusy, nil); d < 500*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("busy delay %s; want 0.5–1.5 s", d)
		}
	}
	if d := f(3, errors.New("500"), nil); d != 3*time.Hour {
		t.Fatalf("failure delay %s; want the backoff's", d)
	}
	if outbox.IsFailure(outbox.ErrBusy) || !outbox.IsFailure(errors.New("500")) {
		t.Fatal("IsFailure")
	}
}

// TestBody: a delivery's body is a webhook.Event whose data is the
// resource exactly as package resource renders it.
func TestBody(t *testing.T) {
	img := &db.Image{ID: "img_1", UserID: "usr_1", Status: db.StatusReady, Link: "abc", Format: "webp",
		SourceSize: 100, OutputSize: 40, Width: 2, Height: 3, Quality: 82, CreatedAt: 5}
	vs := []db.Variant{{ImageID: "img_1", Kind: db.VariantAVIF, Status: db.StatusReady, Size: 30}}
	snap, _ := json.Marshal(db.EventSnapshot{Image: img, Variants: vs, Variant: db.VariantAVIF})
	ev := &db.Event{Seq: 42, ID: "evt_1", Type: db.EventImageVariantReady, Snapshot: string(snap), CreatedAt: 7}
	b, err := outbox.Body("https://img.example.com", ev)
	if err != nil {
		t.Fatal(err)
	}
	var got webhook.Event
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(resource.NewImage("https://img.example.com", img, vs))
	if got.ID != "evt_1" || got.Object != "event" || got.Type != db.EventImageVariantReady || got.Sequence != 42 ||
		got.CreatedAt != 7 || got.Variant != "avif" || string(got.Data) != string(want) {
		t.Fatalf("body %s\nwant data %s", b, want)
	}
	if _, err := outbox.Body("x", &db.Event{ID: "evt_2", Snapshot: `{}`}); err == nil {
		t.Fatal("a body of an event with no resource")
	}
}
