package api_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"picpipe/db"
	"picpipe/jobs"
	"picpipe/storage"
)

// The per-upload overhead of picpipe around the image work, counted on
// real parts: an upload of a small photo through the API with the
// default wait (201 ready), and then its AVIF, until nothing of it is
// left to do. Counted are the database round trips (a bun query hook on
// the one pool the API and the worker share: every statement, BEGIN and
// COMMIT included), the Redis commands every client sends (the server's
// MONITOR, so asynq's own are counted too; commands a Lua script runs
// inside Redis are not round trips and are left out), the blob writes
// (two fsyncs each: the local store syncs the file and then the
// directory it was renamed into) and the SQLite commits (one fsync each:
// SQLite in WAL mode syncs the log at each commit), and the heap
// allocations of the process (the test's client included).
//
// Redis commands that a worker or an API process sends whether or not
// anything happens — asynq's polls of empty queues, heartbeats, its
// forwarder and janitor, the completion subscription's probes — depend
// on time, not on uploads: they are listed apart (periodic) and not in
// the per-upload count.

// queryLog counts the statements a DB runs, by shape, and the
// transactions that write (each one fsync of SQLite's log): an explicit
// transaction with a write in it, or a write on its own (autocommit).
// bun runs a transaction's statements on the goroutine that began it, so
// statements are told apart by goroutine.
type queryLog struct {
	mu     sync.Mutex
	on     bool
	shape  map[string]int
	inTx   map[int64]bool // goroutines in a transaction
	wrote  map[int64]bool // … that wrote in it
	writes int            // transactions that wrote, committed
}

var _ bun.QueryHook = (*queryLog)(nil)

func (q *queryLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (q *queryLog) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	g := goroutine()
	q.mu.Lock()
	defer q.mu.Unlock()
	switch op := strings.ToUpper(strings.Fields(ev.Query + " x")[0]); {
	case op == "BEGIN":
		q.inTx[g], q.wrote[g] = true, false
	case op == "COMMIT" || op == "ROLLBACK":
		if q.on && op == "COMMIT" && q.wrote[g] {
			q.writes++
		}
		delete(q.inTx, g)
		delete(q.wrote, g)
	case op == "INSERT" || op == "UPDATE" || op == "DELETE":
		if q.inTx[g] {
			q.wrote[g] = true
		} else if q.on {
			q.writes++
		}
	}
	if q.on {
		q.shape[queryShape(ev.Query)]++
	}
}

// goroutine is the id of the calling goroutine.
func goroutine() int64 {
	var buf [32]byte
	f := strings.Fields(string(buf[:runtime.Stack(buf[:], false)]))
	id, _ := strconv.ParseInt(f[1], 10, 64)
	return id
}

var (
	literals = regexp.MustCompile(`'[^']*'|\b\d+\b`)
	spaces   = regexp.MustCompile(`\s+`)
)

// queryShape is a statement without its values, shortened.
func queryShape(q string) string {
	q = spaces.ReplaceAllString(literals.ReplaceAllString(q, "?"), " ")
	if len(q) > 110 {
		q = q[:110] + "…"
	}
	return q
}

func newQueryLog() *queryLog {
	return &queryLog{shape: map[string]int{}, inTx: map[int64]bool{}, wrote: map[int64]bool{}}
}

func (q *queryLog) start() { q.mu.Lock(); q.on = true; q.mu.Unlock() }

func (q *queryLog) stop() (map[string]int, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.on = false
	return q.shape, q.writes
}

// countingStore counts the blob writes (each two fsyncs) of a Store.
type countingStore struct {
	storage.Store
	mu   sync.Mutex
	puts int
}

func (s *countingStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	s.mu.Lock()
	s.puts++
	s.mu.Unlock()
	return s.Store.Put(ctx, key, r)
}

func (s *countingStore) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.puts }

// monitor records the commands a Redis server runs for its clients.
type monitor struct {
	conn net.Conn
	mu   sync.Mutex
	on   bool
	cmds []string
	done chan struct{}
}

func startMonitor(t *testing.T, url string) *monitor {
	t.Helper()
	conn, err := net.Dial("unix", strings.TrimPrefix(url, "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	m := &monitor{conn: conn, done: make(chan struct{})}
	r := bufio.NewReader(conn)
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
		t.Fatalf("MONITOR: %q %v", line, err)
	}
	go func() {
		defer close(m.done)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			// +1701234567.123456 [0 unix:/…/redis.sock] "EVALSHA" "…" …
			_, cmd, ok := strings.Cut(line, "] ")
			if !ok || strings.Contains(line, " lua] ") {
				continue // run by a script inside Redis: no round trip
			}
			m.mu.Lock()
			if m.on {
				m.cmds = append(m.cmds, strings.TrimSpace(cmd))
			}
			m.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close(); <-m.done })
	return m
}

func (m *monitor) start() { m.mu.Lock(); m.on, m.cmds = true, nil; m.mu.Unlock() }

func (m *monitor) stop() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.on = false
	return m.cmds
}

// TestUploadOverhead counts, per upload of a small photo (30 KB, 480×320)
// waited for, what picpipe does around the image work, end to end, and
// logs it; it fails when a count passes its bound (the counts are
// deterministic; the bounds are today's, so that more is noticed).
func TestUploadOverhead(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "picpipe.db")
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	probe, err := db.Open(context.Background(), dsn) // the test's own reads, not counted
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { probe.Close() })
	queries := newQueryLog()
	d.AddQueryHook(queries)
	blobDir := t.TempDir()
	local, err := storage.NewLocal(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: local}
	e := newEnv(t, d, envOpts{blobDir: blobDir, store: store})
	mon := startMonitor(t, e.redis.URL)
	photo := fixture(t, "photo.jpg")

	upload := func(i int) string {
		// Different bytes each time: no dedup hit.
		body := append(append([]byte{}, photo...), fmt.Sprintf("%08d", i)...)
		r := e.upload("photo.jpg", body, nil, nil)
		if r.status != http.StatusCreated {
			t.Fatalf("upload = %d %s", r.status, r.body)
		}
		return str(r.json(t), "id")
	}
	opt, err := redis.ParseURL(e.redis.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt) // the test's own: ZSCORE only, left out of the count
	t.Cleanup(func() { rdb.Close() })
	finished := func(id string) {
		settle(t, probe, id)
		completed(t, rdb, jobs.QueueCritical, jobs.ImageTaskID(jobs.TypeImageProcess, id))
		completed(t, rdb, jobs.QueueLow, jobs.ImageTaskID(jobs.TypeImageAVIF, id))
	}
	finished(upload(0)) // warm: statements prepared, pools filled

	const n = 5
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	t.Logf("counting from %s", time.Now().Format("15:04:05.000000")) // for strace -tt -e fsync
	queries.start()
	mon.start()
	puts0 := store.count()
	for i := 1; i <= n; i++ {
		finished(upload(i))
	}
	cmds := mon.stop()
	shapes, writeTx := queries.stop()
	t.Logf("counted until %s", time.Now().Format("15:04:05.000000"))
	runtime.ReadMemStats(&ms1)

	o := overhead{n: n, shapes: shapes, writeTx: writeTx, puts: store.count() - puts0,
		allocs: ms1.Mallocs - ms0.Mallocs, bytes: ms1.TotalAlloc - ms0.TotalAlloc}
	o.redis, o.periodic = map[string]int{}, map[string]int{}
	for _, c := range cmds {
		if shape := redisShape(c); strings.HasPrefix(shape, "zscore ") {
			continue // the test's own
		} else if periodic(shape) {
			o.periodic[shape]++
		} else {
			o.redis[shape]++
		}
	}
	t.Log(o.String())
	// Today's counts: more is a regression to look at. Round trips and
	// commands per upload (a waited-for upload and its AVIF, end to end).
	for _, b := range []struct {
		what       string
		got, bound float64
	}{
		{"database round trips", o.per(sum(o.shapes)), 22},
		{"database transactions that write (fsyncs)", o.per(o.writeTx), 5},
		{"blob writes (two fsyncs each)", o.per(o.puts), 3},
		// two of them the wakes of its two tasks (jobs.Queue), which
		// spare the workers' idle polls
		{"Redis commands, besides dequeues and what runs on a timer", o.per(sum(o.redis)), 13},
	} {
		if b.got > b.bound {
			t.Errorf("%s per upload: %.1f; today's is %.0f", b.what, b.got, b.bound)
		}
	}
}

// overhead is what n uploads cost, in all.
type overhead struct {
	n               uint64
	shapes          map[string]int // database statements by shape
	writeTx, puts   int
	redis, periodic map[string]int // Redis commands by shape
	allocs, bytes   uint64
}

func (o *overhead) per(n int) float64 { return float64(n) / float64(o.n) }

func sum(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

func (o *overhead) String() string {
	var b strings.Builder
	list := func(title string, m map[string]int) {
		fmt.Fprintf(&b, "%s (%.1f):\n", title, o.per(sum(m)))
		keys := slices.Sorted(maps.Keys(m))
		for _, k := range keys {
			fmt.Fprintf(&b, "  %5.1f  %s\n", o.per(m[k]), k)
		}
	}
	b.WriteString("\nper upload of a 30 KB photo, waited for, and its AVIF:\n")
	list("database round trips", o.shapes)
	list("Redis commands (INCR and EXPIRE are one pipelined round trip, the two LLEN another)", o.redis)
	fmt.Fprintf(&b, "plus one dequeue per task (2): asynq polls its queues with a script per queue, on a timer\n")
	list("Redis commands on a timer, whether or not anything happens, and connection handshakes (not counted)", o.periodic)
	fmt.Fprintf(&b, "fsyncs: %.1f (%.1f transactions that write, %.1f blob writes, each the file's and its directory's)\n",
		o.per(o.writeTx+2*o.puts), o.per(o.writeTx), o.per(o.puts))
	fmt.Fprintf(&b, "allocations: %.0f (%.0f KB), the test's client and every background loop included\n",
		float64(o.allocs)/float64(o.n), float64(o.bytes)/float64(o.n)/1024)
	return b.String()
}

// periodic reports whether a Redis command (by shape) runs on a timer
// whatever happens: asynq's dequeue polls (a script per queue, tried in
// turn; a productive one is one per task), its forwarder, heartbeats and
// lease extensions, health checks, the completion subscription's probes.
func periodic(shape string) bool { return onTimer.MatchString(shape) }

var (
	quoted  = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
	ids     = regexp.MustCompile(`(img|usr|ak|req)_[0-9A-Z]+`)
	shas    = regexp.MustCompile(`\b[0-9a-f]{40}\b`)
	numbers = regexp.MustCompile(`\b\d+(\.\d+)?\b`)
	// onTimer are the shapes of the commands that run on a timer
	// (periodic), and of the handshakes of connections a pool opens
	// when it needs one more (hello, client setinfo), whenever that is.
	onTimer = regexp.MustCompile(`^evalsha .*:(pending|scheduled|retry)$|asynq:servers|asynq:workers|:lease$|^ping|probe:|^hello|^client `)
)

// redisShape is a command with its first two arguments, ids and numbers
// taken out.
func redisShape(line string) string {
	var args []string
	for _, m := range quoted.FindAllStringSubmatch(line, 4) {
		args = append(args, m[1])
	}
	s := strings.Join(args, " ")
	s = ids.ReplaceAllString(s, "$1_…")
	s = shas.ReplaceAllString(s, "<sha>")
	s = numbers.ReplaceAllString(s, "N")
	if len(s) > 110 {
		s = s[:110] + "…"
	}
	return s
}

// settle waits, reading through probe, until the image id is ready and
// its variants are final.
func settle(t *testing.T, probe *db.DB, id string) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		img, err := probe.ImageForWork(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		vs, err := probe.VariantsOf(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		done := img.Status == db.StatusReady && img.SourceKey == "" && len(vs) > 0
		for _, v := range vs {
			done = done && v.Done()
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("image %s not settled within a minute: %s, variants %+v", id, img.Status, vs)
		}
	}
}

// completed waits until asynq has recorded the task id of queue as
// completed (it keeps completed tasks for jobs.Retention).
func completed(t *testing.T, rdb *redis.Client, queue, id string) {
	t.Helper()
	key := "asynq:{" + queue + "}:completed"
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if err := rdb.ZScore(context.Background(), key, id).Err(); err == nil {
			return
		} else if !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s of %s not completed within a minute", id, queue)
		}
	}
}
