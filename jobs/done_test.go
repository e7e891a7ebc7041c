package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"picpipe/internal/testenv"
	"picpipe/jobs"
)

// newWaiter returns a Waiter on a fresh redis-server and a client of
// that server to publish with, both closed when t ends.
func newWaiter(t *testing.T) (*jobs.Waiter, redis.UniversalClient) {
	t.Helper()
	opt, _ := jobs.RedisOpt(testenv.Redis(t))
	rc := opt.MakeRedisClient().(redis.UniversalClient)
	t.Cleanup(func() { rc.Close() })
	w, err := jobs.NewWaiter(context.Background(), rc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, rc
}

// heard fails t unless ch tells of a change within 5 s; what names it.
func heard(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s not heard", what)
	}
}

// TestWaiterWatch checks that a watcher hears every announcement of its
// id (one pending at a time), not another's, and that Listeners counts
// the waiters and watchers and drops as they stop.
func TestWaiterWatch(t *testing.T) {
	ctx := context.Background()
	w, rc := newWaiter(t)
	ch, stop := w.Watch("file_a")
	_, stopOther := w.Watch("file_b")
	_, cancelWait := w.Wait("file_a")
	if n := w.Listeners(); n != 3 {
		t.Fatalf("Listeners = %d; want 3", n)
	}
	for i := range 3 {
		if err := jobs.PublishDone(ctx, rc, "file_a"); err != nil {
			t.Fatal(err)
		}
		heard(t, ch, fmt.Sprintf("announcement %d", i+1))
	}
	if n := w.Listeners(); n != 2 {
		t.Fatalf("Listeners after the waiter was woken = %d; want the 2 watchers", n)
	}
	cancelWait()
	stopOther()
	stop()
	if n := w.Listeners(); n != 0 {
		t.Fatalf("Listeners after every stop = %d; want 0", n)
	}
}

// TestWaiterStarts: a start (PublishStarted) is told to the watchers of
// every change, not to those waiting for the end (WatchEnds, Wait), who
// would read the row for nothing; the end that follows wakes them all.
func TestWaiterStarts(t *testing.T) {
	ctx := context.Background()
	w, rc := newWaiter(t)
	all, stopAll := w.Watch("img_a")
	defer stopAll()
	ends, stopEnds := w.WatchEnds("img_a")
	defer stopEnds()
	waited, cancelWait := w.Wait("img_a")
	defer cancelWait()
	if err := jobs.PublishStarted(ctx, rc, "img_a"); err != nil {
		t.Fatal(err)
	}
	heard(t, all, "the start, by Watch")
	// One wake tells every listener of the start at once: by now the
	// others have been passed over, or told.
	select {
	case <-ends:
		t.Fatal("WatchEnds was told of a start")
	case <-waited:
		t.Fatal("Wait was woken by a start")
	default:
	}
	if err := jobs.PublishDone(ctx, rc, "img_a"); err != nil {
		t.Fatal(err)
	}
	heard(t, all, "the end, by Watch")
	heard(t, ends, "the end, by WatchEnds")
	heard(t, waited, "the end, by Wait")
}
