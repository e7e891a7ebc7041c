package worker

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"picpipe/db"
	"picpipe/jobs"
	"picpipe/storage"
)

// gatedStore is the real local store with a gate after each Put of a run
// named in its context: the write is done, but the run waits there until
// the test opens its gate. It lets a test order two runs of one task.
type gatedStore struct {
	*storage.Local
	mu    sync.Mutex
	gates map[string]chan struct{} // run name -> closed to let it go on
	at    chan string              // run names as they reach their gate
}

type runKey struct{}

func newGatedStore(st *storage.Local) *gatedStore {
	return &gatedStore{Local: st, gates: map[string]chan struct{}{}, at: make(chan string, 4)}
}

func (g *gatedStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, err := g.Local.Put(ctx, key, r)
	name, _ := ctx.Value(runKey{}).(string)
	if name == "" || !strings.HasPrefix(key, "images/") {
		return n, err
	}
	g.mu.Lock()
	gate := g.gates[name]
	g.mu.Unlock()
	if gate != nil {
		g.at <- name
		<-gate
	}
	return n, err
}

// hold makes run name wait at its gate.
func (g *gatedStore) hold(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gates[name] = make(chan struct{})
}

func (g *gatedStore) release(name string) { close(g.gates[name]) }

// waitAt waits until run name reached its gate.
func (g *gatedStore) waitAt(t *testing.T, name string) {
	t.Helper()
	select {
	case got := <-g.at:
		if got != name {
			t.Fatalf("run %s reached its gate; want %s", got, name)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("run %s never reached its gate", name)
	}
}

// imageBlobs lists the blobs under images/ of the fixture's user.
func (f *fixture) imageBlobs(t *testing.T) []string {
	t.Helper()
	var keys []string
	err := f.st.List(context.Background(), "images", func(key string, _ time.Time) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestTwoRunsOfOneTaskInEveryOrder runs two deliveries of one task (a
// lost task enqueued again while the first still runs) in every order of
// their claims and finishes: the row ends naming a blob that exists, and
// the run that lost removed only what it wrote.
func TestTwoRunsOfOneTaskInEveryOrder(t *testing.T) {
	// op: "claim" starts the run and waits until it has claimed and
	// written; "finish" lets it go on and waits for its end; "run" runs
	// it to its end without a stop.
	type step struct{ run, op string }
	orders := map[string][]step{
		"a finishes before b claims": {{"a", "claim"}, {"a", "finish"}, {"b", "run"}},
		"b claims, a finishes first": {{"a", "claim"}, {"b", "claim"}, {"a", "finish"}, {"b", "finish"}},
		"b claims, b finishes first": {{"a", "claim"}, {"b", "claim"}, {"b", "finish"}, {"a", "finish"}},
	}
	for _, kind := range []string{"process", "avif"} {
		for name, order := range orders {
			t.Run(kind+"/"+name, func(t *testing.T) {
				f := newFixture(t)
				g := newGatedStore(f.st)
				f.w.deps.Store = g
				img := f.stage(t, "photo.jpg")
				if kind == "avif" {
					if err := f.process(t, img.ID); err != nil {
						t.Fatal(err)
					}
				}
				run := func(name string) error {
					ctx := context.WithValue(context.Background(), runKey{}, name)
					if kind == "avif" {
						task, _ := jobs.NewVariantTask(img.ID, db.VariantAVIF)
						return f.w.encodeAVIF(ctx, task)
					}
					task, _ := jobs.NewImageProcessTask(img.ID, false)
					return f.w.processImage(ctx, task)
				}
				errs := map[string]chan error{"a": make(chan error, 1), "b": make(chan error, 1)}
				for _, s := range order {
					switch s.op {
					case "claim":
						g.hold(s.run)
						go func() { errs[s.run] <- run(s.run) }()
						g.waitAt(t, s.run)
						continue
					case "finish":
						g.release(s.run)
					case "run":
						go func() { errs[s.run] <- run(s.run) }()
					}
					if err := <-errs[s.run]; err != nil {
						t.Fatalf("run %s: %v", s.run, err)
					}
				}
				f.assertOneGoodBlob(t, img.ID, kind)
			})
		}
	}
}

// assertOneGoodBlob checks that the row (or its AVIF variant) is ready and
// names a blob that exists, and that no other output of a run is left.
func (f *fixture) assertOneGoodBlob(t *testing.T, id, kind string) {
	t.Helper()
	got := f.row(t, id)
	key, want := got.OutputKey, 1
	if kind == "avif" {
		v := f.variant(t, id)
		if v.Status != db.StatusReady {
			t.Fatalf("variant %s; want ready", v.Status)
		}
		key, want = v.StorageKey, 2
	}
	if got.Status != db.StatusReady {
		t.Fatalf("row %s; want ready", got.Status)
	}
	b, err := f.st.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("the row names %s, which cannot be opened: %v", key, err)
	}
	b.Close()
	if blobs := f.imageBlobs(t); len(blobs) != want {
		t.Fatalf("blobs under images/: %v; want %d (the loser's output removed)", blobs, want)
	}
}

// TestClaimSweepsTheReplacedAttempt: a run that wrote its output and then
// died (or whose commit failed with the database down) leaves a blob no
// row names; the claim that takes the row over removes it.
func TestClaimSweepsTheReplacedAttempt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img := f.stage(t, "photo.jpg")
	dead, err := f.d.ClaimImage(ctx, img.ID, 2) // the run that died
	if err != nil {
		t.Fatal(err)
	}
	left := blobKey(dead, dead.Attempt, "webp")
	if _, err := f.st.Put(ctx, left, strings.NewReader("half a run")); err != nil {
		t.Fatal(err)
	}
	if err := f.process(t, img.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Open(ctx, left); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the dead run's output: %v; want removed by the claim that took over", err)
	}
	f.assertOneGoodBlob(t, img.ID, "process")
}
