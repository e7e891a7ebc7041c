package worker

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/jobs"
)

// events records what a worker's pools did, in order.
type events struct {
	mu   sync.Mutex
	list []string
	seen chan string // every event, as it happens
}

func newEvents() *events { return &events{seen: make(chan string, 1000)} }

func (e *events) add(kind string, t *asynq.Task) {
	p, _ := jobs.ParseImagePayload(t)
	ev := kind + " " + p.ImageID
	e.mu.Lock()
	e.list = append(e.list, ev)
	e.mu.Unlock()
	e.seen <- ev
}

// index is the position of event ev, -1 before it happened.
func (e *events) index(ev string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Index(e.list, ev)
}

// count is how many events begin with kind.
func (e *events) count(kind string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.list {
		if strings.HasPrefix(ev, kind+" ") {
			n++
		}
	}
	return n
}

// await waits for event ev; a minute without it fails the test.
func (e *events) await(t *testing.T, ev string) {
	t.Helper()
	if e.index(ev) >= 0 {
		return
	}
	deadline := time.After(time.Minute)
	for {
		select {
		case got := <-e.seen:
			if got == ev {
				return
			}
		case <-deadline:
			t.Fatalf("no %q within a minute; events: %v", ev, e.list)
		}
	}
}

// poolFixture is a worker whose image pool has one slot and whose
// variant pool has one, on real Redis, SQLite and a blob directory.
type poolFixture struct {
	*fixture
	queue    *asynq.Client
	redisURL string
}

func newPoolFixture(t *testing.T) *poolFixture {
	t.Helper()
	f, url := newFixtureWith(t, Config{Concurrency: 1, VariantConcurrency: 1, PollInterval: 20 * time.Millisecond, ShutdownTimeout: 10 * time.Second})
	opt, err := jobs.RedisOpt(url)
	if err != nil {
		t.Fatal(err)
	}
	q := asynq.NewClient(opt)
	t.Cleanup(func() { q.Close() })
	return &poolFixture{fixture: f, queue: q, redisURL: url}
}

// upload records a queued upload of file and enqueues its processing on
// the critical queue, as the API does for a client that waits.
func (f *poolFixture) upload(t *testing.T, file string) string {
	t.Helper()
	img := f.stage(t, file)
	task, _ := jobs.NewImageProcessTask(img.ID, true)
	if _, err := f.queue.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	return img.ID
}

// TestWebPNeverWaitsBehindAVIF: with a backlog of 20 AVIF variants
// queued and one of them being made, an upload's WebP is made at once on
// the image pool; a variant is held back while the image pool is full,
// starting only once the upload is done; and the backlog then drains.
// The worker has one slot in each pool, so that any sharing would show.
func TestWebPNeverWaitsBehindAVIF(t *testing.T) {
	f := newPoolFixture(t)
	ctx := context.Background()
	var backlog []string
	for range 20 {
		img := f.stage(t, "cmyk.jpg")
		if err := f.process(t, img.ID); err != nil { // ready; its AVIF queued on the low queue
			t.Fatal(err)
		}
		backlog = append(backlog, img.ID)
	}
	ev := newEvents()
	releaseAVIF, releaseUpload := make(chan struct{}), make(chan struct{})
	var second atomic.Value // the id of the upload whose WebP is held in the pool
	second.Store("")
	g := f.w.gate
	g.held = func(_ context.Context, t *asynq.Task) { ev.add("held", t) }
	g.started = func(_ context.Context, t *asynq.Task) {
		ev.add("avif", t)
		if ev.count("avif") == 1 {
			<-releaseAVIF // the first variant is being made until released
		}
	}
	g.working = func(_ context.Context, t *asynq.Task) {
		ev.add("work", t)
		if p, _ := jobs.ParseImagePayload(t); p.ImageID == second.Load() {
			<-releaseUpload
		}
	}
	g.worked = func(_ context.Context, t *asynq.Task) { ev.add("done", t) }

	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { f.w.Run(runCtx); close(stopped) }()
	t.Cleanup(func() { stop(); <-stopped })

	// A variant is being made; an upload arrives: its WebP is made while
	// the variant still is.
	for ev.count("avif") == 0 {
		select {
		case <-ev.seen:
		case <-time.After(time.Minute):
			t.Fatal("no variant started within a minute")
		}
	}
	first := f.upload(t, "photo.jpg")
	ev.await(t, "done "+first)
	if got := f.row(t, first); got.Status != db.StatusReady {
		t.Fatalf("the upload is %s; want ready", got.Status)
	}
	if n := ev.count("avif"); n != 1 {
		t.Fatalf("%d variants started while the first was being made; want 1", n)
	}

	// A second upload fills the image pool; the first variant ends: the
	// next is held back until the upload is done.
	img := f.stage(t, "photo.jpg")
	second.Store(img.ID)
	task, _ := jobs.NewImageProcessTask(img.ID, true)
	if _, err := f.queue.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	ev.await(t, "work "+img.ID)
	close(releaseAVIF)
	for held := ""; held == ""; {
		select {
		case e := <-ev.seen:
			if strings.HasPrefix(e, "held ") {
				held = e
			} else if strings.HasPrefix(e, "avif ") {
				t.Fatalf("%q started while the image pool was full: %v", e, ev.list)
			}
		case <-time.After(time.Minute):
			t.Fatalf("no variant held back within a minute: %v", ev.list)
		}
	}
	close(releaseUpload)
	ev.await(t, "done "+img.ID)

	// The backlog drains, and the uploads' own variants are made.
	for _, id := range append(backlog, first, img.ID) {
		for {
			v := f.variant(t, id)
			if v.Done() {
				if v.Status == db.StatusFailed {
					t.Fatalf("variant of %s failed: %s", id, v.ErrorCode)
				}
				break
			}
			select {
			case <-ev.seen:
			case <-time.After(time.Second):
			}
		}
	}
	ev.mu.Lock()
	list := slices.Clone(ev.list)
	ev.mu.Unlock()
	// Every variant but the first started after the held upload was done.
	doneAt, started := slices.Index(list, "done "+img.ID), 0
	for i, e := range list {
		if strings.HasPrefix(e, "avif ") {
			if started++; started > 1 && i < doneAt {
				t.Errorf("%q started before the upload filling the pool was done: %v", e, list)
			}
		}
	}
	if started != len(backlog)+2 {
		t.Errorf("%d variants made; want the backlog's %d and the uploads' 2: %v", started, len(backlog), list)
	}
}

// TestShutdownDrainsBothPools: stopped while an upload's WebP and a
// variant are being made, a worker lets both finish before Run returns.
func TestShutdownDrainsBothPools(t *testing.T) {
	f := newPoolFixture(t)
	ready := f.stage(t, "cmyk.jpg")
	if err := f.process(t, ready.ID); err != nil { // its AVIF queued
		t.Fatal(err)
	}
	ev := newEvents()
	release := make(chan struct{})
	g := f.w.gate
	g.started = func(_ context.Context, t *asynq.Task) { ev.add("avif", t); <-release }
	g.working = func(_ context.Context, t *asynq.Task) { ev.add("work", t); <-release }
	g.worked = func(context.Context, *asynq.Task) {}
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { f.w.Run(ctx); close(stopped) }()
	ev.await(t, "avif "+ready.ID)
	upload := f.upload(t, "cmyk.jpg")
	ev.await(t, "work "+upload)
	stop()
	close(release)
	<-stopped
	if got := f.row(t, upload); got.Status != db.StatusReady {
		t.Errorf("the upload being made at shutdown is %s; want ready", got.Status)
	}
	if v := f.variant(t, ready.ID); !v.Done() || v.Status == db.StatusFailed {
		t.Errorf("the variant being made at shutdown is %s; want made", v.Status)
	}
}

// TestStopHandsHeldVariantsBack: a variant held back while the worker
// stops goes back to its queue at once, not counted as a failed attempt
// and never claimed, while the upload being made finishes.
func TestStopHandsHeldVariantsBack(t *testing.T) {
	f := newPoolFixture(t)
	ev := newEvents()
	release := make(chan struct{})
	g := f.w.gate
	g.held = func(_ context.Context, t *asynq.Task) { ev.add("held", t) }
	g.started = func(_ context.Context, t *asynq.Task) { ev.add("avif", t) }
	g.working = func(_ context.Context, t *asynq.Task) { ev.add("work", t); <-release }
	g.worked = func(context.Context, *asynq.Task) {}
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { f.w.Run(ctx); close(stopped) }()
	upload := f.upload(t, "cmyk.jpg")
	ev.await(t, "work "+upload) // the image pool is full
	ready := f.stage(t, "cmyk.jpg")
	if err := f.process(t, ready.ID); err != nil { // its AVIF queued
		t.Fatal(err)
	}
	ev.await(t, "held "+ready.ID)
	stop()
	close(release)
	<-stopped
	if got := f.row(t, upload); got.Status != db.StatusReady {
		t.Errorf("the upload being made at the stop is %s; want ready", got.Status)
	}
	if n := ev.count("avif"); n != 0 {
		t.Errorf("%d variants started; want none", n)
	}
	if v := f.variant(t, ready.ID); v.Status != db.StatusQueued || v.Attempts != 0 {
		t.Errorf("the held variant is %s after %d attempts; want queued, never claimed", v.Status, v.Attempts)
	}
	opt, _ := jobs.RedisOpt(f.redisURL)
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	info, err := insp.GetTaskInfo(jobs.QueueLow, jobs.ImageTaskID(jobs.TypeImageAVIF, ready.ID))
	if err != nil {
		t.Fatal(err)
	}
	// Handed back by the gate (errStopping, due again at once), not
	// aborted by the shutdown's deadline.
	if info.Retried != 0 || !strings.Contains(info.LastErr, "stopping") ||
		(info.State != asynq.TaskStateRetry && info.State != asynq.TaskStatePending) {
		t.Errorf("the held variant's task is %v after %d failed attempts (%q); want handed back, none failed", info.State, info.Retried, info.LastErr)
	}
}

// TestVariantsApartNeverHeld: a worker that runs the variant pool alone,
// with no image pool's Activity to give way to (on a machine of its
// own), makes a variant at once, even while an upload waits in the
// queue: no image pool beside it waits for its CPU.
func TestVariantsApartNeverHeld(t *testing.T) {
	f, url := newFixtureWith(t, Config{Pools: PoolVariants, PollInterval: 20 * time.Millisecond, ShutdownTimeout: 10 * time.Second})
	opt, err := jobs.RedisOpt(url)
	if err != nil {
		t.Fatal(err)
	}
	ready := f.stage(t, "photo.jpg")
	if err := f.process(t, ready.ID); err != nil { // its AVIF queued
		t.Fatal(err)
	}
	q := asynq.NewClient(opt)
	defer q.Close()
	waiting := f.stage(t, "cmyk.jpg") // no image pool here takes it
	task, _ := jobs.NewImageProcessTask(waiting.ID, true)
	if _, err := q.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { f.w.Run(ctx); close(stopped) }()
	defer func() { stop(); <-stopped }()
	deadline := time.Now().Add(variantMaxHold / 2) // a held variant would start only after variantMaxHold
	for f.variant(t, ready.ID).Status != db.StatusReady {
		if time.Now().After(deadline) {
			t.Fatalf("the variant is %s after %v with an upload waiting; want ready", f.variant(t, ready.ID).Status, variantMaxHold/2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := f.w.rdb.LLen(context.Background(), jobs.PendingKey(jobs.QueueCritical)).Val(); n != 1 {
		t.Fatalf("%d uploads wait in the critical queue; want the one no pool here takes", n)
	}
}

// TestVariantProcessGivesWay: a worker of variants alone given the
// Activity of its parent's image pool (the variant process of
// PICPIPE_VARIANT_NICE) holds its variants while that pool works, and
// makes them once it has ended its work.
func TestVariantProcessGivesWay(t *testing.T) {
	parent, err := NewSharedActivity()
	if err != nil {
		t.Fatal(err)
	}
	f, _ := newFixtureActivity(t, Config{Pools: PoolVariants, Concurrency: 2, VariantConcurrency: 1, PollInterval: 20 * time.Millisecond, ShutdownTimeout: 10 * time.Second}, parent)
	ready := f.stage(t, "photo.jpg")
	if err := f.process(t, ready.ID); err != nil { // its AVIF queued
		t.Fatal(err)
	}
	ev := newEvents()
	g := f.w.gate
	g.held = func(_ context.Context, t *asynq.Task) { ev.add("held", t) }
	g.started = func(_ context.Context, t *asynq.Task) { ev.add("avif", t) }
	parent.begin() // an upload in the parent's image pool
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { f.w.Run(ctx); close(stopped) }()
	defer func() { stop(); <-stopped }()
	ev.await(t, "held "+ready.ID)
	time.Sleep(10 * gateCheck) // the gate looks again, and holds on
	if n := ev.count("avif"); n != 0 {
		t.Fatalf("%d variants started while the parent's image pool worked; want none", n)
	}
	parent.end(time.Now())
	ev.await(t, "avif "+ready.ID)
	for f.variant(t, ready.ID).Status != db.StatusReady {
		select {
		case <-ev.seen:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestGateRoom: variants wait while the image pool's running tasks and
// the variant slots together fill its slots (one running task at least),
// while it has ended a task within variantSettle, and while an upload
// waits in Redis.
func TestGateRoom(t *testing.T) {
	opt, err := jobs.RedisOpt(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := opt.MakeRedisClient().(redis.UniversalClient)
	defer rdb.Close()
	ctx := context.Background()
	now := time.Unix(1700000000, 0)
	clock := func() time.Time { return now }
	for _, tt := range []struct {
		slots, variants int
		running         int64
		busy            bool
	}{
		{1, 1, 0, false}, {1, 1, 1, true},
		{2, 1, 0, false}, {2, 1, 1, true},
		{4, 1, 2, false}, {4, 1, 3, true},
		{16, 4, 11, false}, {16, 4, 12, true},
	} {
		a := newActivity()
		for range tt.running {
			a.begin()
		}
		g := newGate(Config{Concurrency: tt.slots, VariantConcurrency: tt.variants}, a, rdb, clock)
		if got := g.busy(ctx); got != tt.busy {
			t.Errorf("%d slots, %d variant slots, %d running: busy = %v; want %v", tt.slots, tt.variants, tt.running, got, tt.busy)
		}
	}
	a := newActivity()
	g := newGate(Config{Concurrency: 2, VariantConcurrency: 1}, a, rdb, clock)
	a.begin()
	a.end(now.Add(-variantSettle + time.Millisecond))
	if !g.busy(ctx) {
		t.Errorf("busy = false with the last task ended within variantSettle; want true")
	}
	a.begin()
	a.end(now.Add(-variantSettle))
	if g.busy(ctx) {
		t.Errorf("busy = true with the image pool idle for variantSettle; want false")
	}
	if err := rdb.LPush(ctx, jobs.PendingKey(jobs.QueueCritical), "an upload").Err(); err != nil {
		t.Fatal(err)
	}
	if !g.busy(ctx) {
		t.Errorf("busy = false with an upload waiting in Redis; want true")
	}
}
