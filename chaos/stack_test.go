package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/internal/testenv"
)

// Maintenance and shutdown settings of the suite's processes: short, so
// that self-healing happens within the test.
const (
	stuckAfter      = 20 * time.Second
	reconcileEvery  = 5 * time.Second
	purgeEvery      = 15 * time.Second
	purgeGrace      = 30 * time.Second
	workerShutdown  = 10 * time.Second
	apiShutdown     = 5 * time.Second
	workerWorkers   = 2
	maxUploadBytes  = 100 << 20
	readyTimeout    = 60 * time.Second
	checkCleanAfter = 90 * time.Second // stuckAfter + purgeGrace + two purges and more
)

// unlimitedPlans lifts the free plan's quota and rate limit: the suite
// measures recovery, not limits.
var unlimitedPlans = fmt.Sprintf(`{"free":{"max_images":0,"max_storage_bytes":0,"max_upload_bytes":%d,"max_presigned_bytes":%d,"uploads_per_minute":0}}`,
	maxUploadBytes, maxUploadBytes)

// stack is one picpipe installation owned by a test: redis-server,
// PostgreSQL, the blobs in a directory or in a bucket of an S3 server of
// its own, and `picpipe api` (one, or several behind a round-robin
// proxy), `picpipe worker` (one or several) and `picpipe scheduler` as
// separate processes, each with its own log.
type stack struct {
	t      testing.TB
	bin    string
	dir    string
	redis  *redisServer
	pg     *postgres
	s3     *testenv.S3Server // nil when the blobs are in a directory
	blobs  string            // the blob directory, or the s3:// URL of the bucket
	apiURL string            // where clients go: the API, or the proxy in front of several
	proxy  *testenv.TCPProxy // nil with one API
	env    []string

	apis    []*apiProc
	workers []*proc
	// api and worker are the first of apis and workers: the one the
	// fault suite's scenarios act on.
	api       *apiProc
	worker    *proc
	scheduler *proc

	http *http.Client
	insp *asynq.Inspector
}

// apiProc is one `picpipe api` process and its own address.
type apiProc struct {
	*proc
	url string // http://127.0.0.1:PORT, the process itself (not the proxy)
}

// stackOptions shape a stack. The zero value is the fault suite's: one
// process of each role and the blobs in a directory of the test's.
type stackOptions struct {
	apis    int    // API processes (1 when 0); several sit behind a round-robin proxy
	workers int    // worker processes (1 when 0)
	s3      bool   // blobs in a bucket of an S3 server (versitygw) of the stack's own
	blobs   string // the blob directory when not s3; "" means one in the test's temporary directory
}

// newStack starts everything and tears it down when the test ends,
// printing each log's tail if the test failed.
func newStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	s := &stack{t: t, bin: picpipeBinary(t), dir: t.TempDir(), blobs: o.blobs}
	s.redis = startRedis(t, s.dir)
	s.pg = startPostgres(t)
	switch {
	case o.s3:
		s.s3 = testenv.StartS3(t)
		s.blobs = s.s3.Bucket(t)
	case s.blobs == "":
		s.blobs = filepath.Join(s.dir, "blobs")
	}
	var addrs []string
	for range max(o.apis, 1) {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	}
	if len(addrs) == 1 {
		s.apiURL = "http://" + addrs[0]
	} else {
		s.proxy = testenv.StartProxy(t, addrs[0], addrs[1:]...)
		s.apiURL = "http://" + s.proxy.Addr
	}
	s.env = s.environment()
	s.http = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}
	opt, err := asynq.ParseRedisURI(s.redis.url)
	if err != nil {
		t.Fatal(err)
	}
	s.insp = asynq.NewInspector(opt)
	t.Cleanup(s.close)
	if out, err := s.command(context.Background(), "migrate").CombinedOutput(); err != nil {
		t.Fatalf("picpipe migrate: %v\n%s", err, out)
	}
	var starts []func() error
	for i, addr := range addrs {
		a := &apiProc{proc: s.role(numbered("api", i)), url: "http://" + addr}
		a.env = append(slices.Clip(s.env), "PICPIPE_ADDR="+addr)
		s.apis = append(s.apis, a)
		starts = append(starts, func() error { return s.startAPI(a) })
	}
	for i := range max(o.workers, 1) {
		w := s.role(numbered("worker", i))
		s.workers = append(s.workers, w)
		starts = append(starts, func() error { return s.startWorker(w) })
	}
	s.api, s.worker, s.scheduler = s.apis[0], s.workers[0], s.role("scheduler")
	starts = append(starts, s.startScheduler)
	errs := make(chan error, len(starts))
	for _, start := range starts {
		go func() { errs <- start() }()
	}
	for range starts {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return s
}

// numbered names the i-th process of a role: "api", "api2", "api3", …
func numbered(role string, i int) string {
	if i == 0 {
		return role
	}
	return fmt.Sprintf("%s%d", role, i+1)
}

// environment is the PICPIPE_* configuration every process and command
// of the stack gets (each API process adds its own PICPIPE_ADDR);
// PICPIPE_* variables of the caller's environment are left out.
func (s *stack) environment() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PICPIPE_") {
			env = append(env, kv)
		}
	}
	store := "PICPIPE_STORAGE_DIR=" + s.blobs
	if s.s3 != nil {
		store = "PICPIPE_STORAGE_URL=" + s.blobs
	}
	return append(env,
		"PICPIPE_PUBLIC_URL="+s.apiURL,
		"PICPIPE_DATA_DIR="+filepath.Join(s.dir, "data"),
		"PICPIPE_DATABASE_URL="+s.pg.url,
		"PICPIPE_REDIS_URL="+s.redis.url,
		store,
		"PICPIPE_SIGNING_KEY=chaos-signing-key-0123456789abcdef",
		"PICPIPE_PLANS="+unlimitedPlans,
		"PICPIPE_LOG_LEVEL=info",
		fmt.Sprintf("PICPIPE_WORKER_CONCURRENCY=%d", workerWorkers),
		"PICPIPE_WORKER_SHUTDOWN_TIMEOUT="+workerShutdown.String(),
		"PICPIPE_API_SHUTDOWN_TIMEOUT="+apiShutdown.String(),
		"PICPIPE_STUCK_AFTER="+stuckAfter.String(),
		"PICPIPE_RECONCILE_SCHEDULE=@every "+reconcileEvery.String(),
		"PICPIPE_PURGE_SCHEDULE=@every "+purgeEvery.String(),
		"PICPIPE_PURGE_GRACE="+purgeGrace.String(),
		"PICPIPE_MAX_WAIT=60s",
		"MALLOC_ARENA_MAX=2",
	)
}

// role is the process of one picpipe role, not yet started; name is
// the role, or the role and a number ("worker2").
func (s *stack) role(name string) *proc {
	role := strings.TrimRight(name, "0123456789")
	return &proc{name: name, path: s.bin, args: []string{role}, env: s.env,
		log: filepath.Join(s.dir, name+".log")}
}

// startAPI starts an API process and waits until its /readyz answers
// 200.
func (s *stack) startAPI(a *apiProc) error {
	if err := a.start(); err != nil {
		return err
	}
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if resp, err := s.http.Get(a.url + "/readyz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %v; log:\n%s", a.name, readyTimeout, a.tail(30))
}

// startWorker starts a worker process and waits until it has registered
// with Redis as an asynq server.
func (s *stack) startWorker(w *proc) error {
	if err := w.start(); err != nil {
		return err
	}
	pid := w.pid()
	return s.waitFor(func() bool {
		servers, err := s.insp.Servers()
		for _, srv := range servers {
			if err == nil && srv.PID == pid {
				return true
			}
		}
		return false
	}, "worker registered", w)
}

// startScheduler starts the scheduler and makes sure it did not exit at
// once (a configuration error). Its entries reach Redis only with its
// first heartbeat, seconds later, and nothing needs them before.
func (s *stack) startScheduler() error {
	if err := s.scheduler.start(); err != nil {
		return err
	}
	if err := s.scheduler.wait(500 * time.Millisecond); !errors.Is(err, errTimeout) {
		return fmt.Errorf("scheduler exited at once (%v); log:\n%s", err, s.scheduler.tail(30))
	}
	return nil
}

func (s *stack) waitFor(ok func() bool, what string, p *proc) error {
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if ok() {
			return nil
		}
		if p.pid() == 0 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("%s: no %s within %v; log:\n%s", p.name, what, readyTimeout, p.tail(30))
}

// command is a picpipe command (keys, check, migrate) with the stack's
// environment.
func (s *stack) command(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, s.bin, args...)
	c.Env = s.env
	return c
}

// procs lists the picpipe processes of the stack.
func (s *stack) procs() []*proc {
	var ps []*proc
	for _, a := range s.apis {
		ps = append(ps, a.proc)
	}
	ps = append(ps, s.workers...)
	if s.scheduler != nil {
		ps = append(ps, s.scheduler)
	}
	return ps
}

// close stops the roles and shows the logs' tails when the test failed.
func (s *stack) close() {
	for _, p := range s.procs() {
		p.kill()
	}
	s.redis.resume() // harmless when not stopped
	s.insp.Close()
	logs := s.logs()
	if s.t.Failed() {
		for _, name := range slices.Sorted(maps.Keys(logs)) {
			s.t.Logf("--- last lines of %s (%s):\n%s", name, logs[name], tailFile(logs[name], 40))
		}
	}
	keepLogs(s.t, logs)
}

// logs maps each process's name to its log file.
func (s *stack) logs() map[string]string {
	m := map[string]string{"redis": s.redis.log, "postgres": s.pg.logPath()}
	if s.s3 != nil {
		m["s3"] = s.s3.LogPath()
	}
	for _, p := range s.procs() {
		m[p.name] = p.log
	}
	if _, err := os.Stat(s.checkLog()); err == nil {
		m["check"] = s.checkLog()
	}
	return m
}

// keepLogs copies the logs into $PICPIPE_CHAOS_LOGS/<test name>/ when set.
func keepLogs(t testing.TB, logs map[string]string) {
	root := os.Getenv("PICPIPE_CHAOS_LOGS")
	if root == "" {
		return
	}
	dir := filepath.Join(root, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("keep logs: %v", err)
		return
	}
	for name, path := range logs {
		if b, err := os.ReadFile(path); err == nil {
			os.WriteFile(filepath.Join(dir, name+".log"), b, 0o644)
		}
	}
}
