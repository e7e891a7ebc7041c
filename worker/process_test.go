package worker

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"picpipe"
	"picpipe/db"
	"picpipe/imaging"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/storage"
)

type fixture struct {
	w    *Worker
	d    *db.DB
	st   *storage.Local
	user *db.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f, _ := newFixtureWith(t, Config{})
	return f
}

// newFixtureWith is a worker of cfg on real Redis (whose URL it returns
// too), SQLite and a blob directory, with a user.
func newFixtureWith(t *testing.T, cfg Config) (*fixture, string) {
	t.Helper()
	return newFixtureActivity(t, cfg, nil)
}

// newFixtureActivity is newFixtureWith for a worker whose variants give
// way to the image pool of activity (Deps.Activity).
func newFixtureActivity(t *testing.T, cfg Config, activity *Activity) (*fixture, string) {
	t.Helper()
	d := testenv.SQLite(t)
	url := testenv.Redis(t)
	opt, err := jobs.RedisOpt(url)
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := imaging.Startup(); err != nil {
		t.Fatal(err)
	}
	proc, err := imaging.NewProcessor(imaging.Config{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(cfg, Deps{DB: d, Store: st, Redis: opt, Processor: proc, Activity: activity})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.queue.Close(); w.rdb.Close() })
	u, _, _, err := d.CreateUserWithKey(context.Background(), "u", "free", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{w: w, d: d, st: st, user: u}, url
}

// stage records a queued image whose staged source is the given fixture
// file ("" for none).
func (f *fixture) stage(t *testing.T, file string) *db.Image {
	t.Helper()
	if file == "" {
		return f.stageAs(t, "", nil)
	}
	b, err := os.ReadFile("../imaging/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	return f.stageAs(t, file, b)
}

// stageAs records a queued image named name whose staged source holds
// data (none for nil).
func (f *fixture) stageAs(t *testing.T, name string, data []byte) *db.Image {
	t.Helper()
	ctx := context.Background()
	img := &db.Image{ID: db.NewID(db.PrefixImage), UserID: f.user.ID, Status: db.StatusQueued,
		Hash: db.NewID(""), Quality: 82, SourceName: name, CreatedAt: 1, UpdatedAt: 1}
	img.SourceKey = "staging/" + img.UserID + "/" + img.ID
	if data != nil {
		if _, err := f.st.Put(ctx, img.SourceKey, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.d.InsertImage(ctx, img, db.Quota{}); err != nil {
		t.Fatal(err)
	}
	return img
}

func (f *fixture) process(t *testing.T, id string) error {
	t.Helper()
	task, _ := jobs.NewImageProcessTask(id, false)
	return f.w.processImage(context.Background(), task)
}

func (f *fixture) avif(t *testing.T, id string) error {
	t.Helper()
	task, _ := jobs.NewVariantTask(id, db.VariantAVIF)
	return f.w.encodeAVIF(context.Background(), task)
}

func (f *fixture) variant(t *testing.T, id string) *db.Variant {
	t.Helper()
	v, err := f.d.VariantOf(context.Background(), id, db.VariantAVIF)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (f *fixture) row(t *testing.T, id string) *db.Image {
	t.Helper()
	img, err := f.d.ImageForWork(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestProcessImageIsIdempotent(t *testing.T) {
	f := newFixture(t)
	img := f.stage(t, "photo.jpg")
	if err := f.process(t, img.ID); err != nil {
		t.Fatal(err)
	}
	done := f.row(t, img.ID)
	if done.Status != db.StatusReady || done.Attempts != 1 || done.OutputKey == "" {
		t.Fatalf("after processing: %+v; want ready, 1 attempt, an output", done)
	}
	blob, err := f.st.Open(context.Background(), done.OutputKey)
	if err != nil {
		t.Fatal(err)
	}
	mod := blob.ModTime()
	blob.Close()
	time.Sleep(10 * time.Millisecond)
	if err := f.process(t, img.ID); err != nil {
		t.Fatalf("second delivery of the task: %v", err)
	}
	again := f.row(t, img.ID)
	blob, _ = f.st.Open(context.Background(), done.OutputKey)
	defer blob.Close()
	if again.Attempts != 1 || !blob.ModTime().Equal(mod) {
		t.Fatalf("second delivery worked again: attempts %d, output rewritten %v", again.Attempts, !blob.ModTime().Equal(mod))
	}
	// The source stays for the AVIF variant, which then drops it.
	if _, err := f.st.Open(context.Background(), img.SourceKey); err != nil {
		t.Fatalf("source gone before the AVIF variant: %v", err)
	}
	if err := f.avif(t, img.ID); err != nil {
		t.Fatal(err)
	}
	withAVIF, v := f.row(t, img.ID), f.variant(t, img.ID)
	if v.Status != db.StatusReady || withAVIF.SourceKey != "" {
		t.Fatalf("after avif: status %q source %q; want ready and no source", v.Status, withAVIF.SourceKey)
	}
	if _, err := f.st.Open(context.Background(), img.SourceKey); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("source after avif: %v; want deleted", err)
	}
}

func TestProcessDeletedImageDoesNothing(t *testing.T) {
	f := newFixture(t)
	img := f.stage(t, "photo.jpg")
	if err := f.d.DeleteImage(context.Background(), f.user.ID, img.ID, 2); err != nil {
		t.Fatal(err)
	}
	if err := f.process(t, img.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.row(t, img.ID); got.Status != db.StatusQueued || got.OutputKey != "" {
		t.Fatalf("deleted image processed: %+v", got)
	}
}

func TestProcessFailures(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		name, file, code string
	}{
		{"missing source", "", picpipe.ECodeInternal},
		{"animated gif passes through", "anim.gif", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			img := f.stage(t, tt.file)
			err := f.process(t, img.ID)
			got := f.row(t, img.ID)
			if tt.code == "" {
				if err != nil || got.Status != db.StatusReady || got.Format != "gif" || got.SourceKey != "" {
					t.Fatalf("= %v, %+v; want ready gif without a kept source", err, got)
				}
				return
			}
			if !errors.Is(err, asynq.SkipRetry) || got.Status != db.StatusFailed || got.ErrorCode != tt.code {
				t.Fatalf("= %v, status %q code %q; want SkipRetry, failed %s", err, got.Status, got.ErrorCode, tt.code)
			}
		})
	}
}

// TestClientErrorsCompleteTheirTask: a bad file ends its row failed with
// its code and the task done (nil: not retried, not archived), counted by
// code; our own failure is archived (SkipRetry) and counted as internal.
func TestClientErrorsCompleteTheirTask(t *testing.T) {
	f := newFixture(t)
	png, err := os.ReadFile("../imaging/testdata/alpha.png")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, file string
		data       []byte
		code       string
		archived   bool
	}{
		{"png bytes named .jpg", "photo.jpg", png, picpipe.ECodeUnsupportedFormat, false},
		{"not an image", "notes.jpg", []byte("hello, this is text and no image at all"), picpipe.ECodeUnsupportedFormat, false},
		{"missing source", "gone.jpg", nil, picpipe.ECodeInternal, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			img := f.stageAs(t, tt.file, tt.data)
			counter := outcomes.WithLabelValues(jobs.TypeImageProcess, tt.code)
			before := value(t, counter)
			err := f.process(t, img.ID)
			if got := errors.Is(err, asynq.SkipRetry); got != tt.archived || (!tt.archived && err != nil) {
				t.Fatalf("task result %v; want archived %v (nil for a client error)", err, tt.archived)
			}
			got := f.row(t, img.ID)
			if got.Status != db.StatusFailed || got.ErrorCode != tt.code {
				t.Fatalf("row %s %q; want failed %s", got.Status, got.ErrorCode, tt.code)
			}
			if n := value(t, counter) - before; n != 1 {
				t.Fatalf("picpipe_outcomes_total{code=%q} grew by %v; want 1", tt.code, n)
			}
		})
	}
}

// value reads a counter.
func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestOurTroubleIsRetried: a full or failing store, or a database away,
// is retried while retries remain, never ended as the client's failure
// (seen by the fault suite: a full disk failed acknowledged uploads for
// good); a client's bad file is final at once.
func TestOurTroubleIsRetried(t *testing.T) {
	ctx := context.Background() // not the last attempt
	for _, code := range []string{picpipe.ECodeStorageFull, picpipe.ECodeUnavailable, picpipe.ECodeTranscodeUnavailable} {
		if got := finalError(ctx, picpipe.Errorf(code, "x")); got != nil {
			t.Errorf("finalError(%s) = %v; want nil: retry", code, got)
		}
	}
	if got := finalError(ctx, picpipe.Errorf(picpipe.ECodeDecodeFailed, "x")); got == nil || got.Code != picpipe.ECodeDecodeFailed {
		t.Errorf("finalError(decode_failed) = %v; want it final", got)
	}
}
