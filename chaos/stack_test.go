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
// PostgreSQL, a blob directory and `picpipe api`, `picpipe worker` and
// `picpipe scheduler` as separate processes, each with its own log.
type stack struct {
	t      testing.TB
	bin    string
	dir    string
	redis  *redisServer
	pg     *postgres
	blobs  string
	apiURL string
	env    []string

	api, worker, scheduler *proc

	http *http.Client
	insp *asynq.Inspector
}

// newStack starts everything with the blobs in storageDir ("" means a
// directory in the test's temporary directory) and tears it down when the
// test ends, printing each log's tail if the test failed.
func newStack(t testing.TB, storageDir string) *stack {
	t.Helper()
	s := &stack{t: t, bin: picpipeBinary(t), dir: t.TempDir(), blobs: storageDir}
	if s.blobs == "" {
		s.blobs = filepath.Join(s.dir, "blobs")
	}
	s.redis = startRedis(t, s.dir)
	s.pg = startPostgres(t)
	port := freePort(t)
	s.apiURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	s.env = s.environment(port)
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
	s.api, s.worker, s.scheduler = s.role("api"), s.role("worker"), s.role("scheduler")
	errs := make(chan error, 3)
	for _, start := range []func() error{s.startAPI, s.startWorker, s.startScheduler} {
		go func() { errs <- start() }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return s
}

// environment is the PICPIPE_* configuration every process and command
// of the stack gets; PICPIPE_* variables of the caller's environment are
// left out.
func (s *stack) environment(port int) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PICPIPE_") {
			env = append(env, kv)
		}
	}
	return append(env,
		fmt.Sprintf("PICPIPE_ADDR=127.0.0.1:%d", port),
		"PICPIPE_PUBLIC_URL="+s.apiURL,
		"PICPIPE_DATA_DIR="+filepath.Join(s.dir, "data"),
		"PICPIPE_DATABASE_URL="+s.pg.url,
		"PICPIPE_REDIS_URL="+s.redis.url,
		"PICPIPE_STORAGE_DIR="+s.blobs,
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

// role is the process of one picpipe role, not yet started.
func (s *stack) role(name string) *proc {
	return &proc{name: name, path: s.bin, args: []string{name}, env: s.env,
		log: filepath.Join(s.dir, name+".log")}
}

// startAPI starts the API and waits until /readyz answers 200.
func (s *stack) startAPI() error {
	if err := s.api.start(); err != nil {
		return err
	}
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if resp, err := s.http.Get(s.apiURL + "/readyz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("api not ready within %v; log:\n%s", readyTimeout, s.api.tail(30))
}

// startWorker starts a worker and waits until it has registered with
// Redis as an asynq server.
func (s *stack) startWorker() error {
	if err := s.worker.start(); err != nil {
		return err
	}
	pid := s.worker.pid()
	return s.waitFor(func() bool {
		servers, err := s.insp.Servers()
		for _, srv := range servers {
			if err == nil && srv.PID == pid {
				return true
			}
		}
		return false
	}, "worker registered", s.worker)
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

// close stops the roles and shows the logs' tails when the test failed.
func (s *stack) close() {
	for _, p := range []*proc{s.api, s.worker, s.scheduler} {
		if p != nil {
			p.kill()
		}
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
	for _, p := range []*proc{s.api, s.worker, s.scheduler} {
		if p != nil {
			m[p.name] = p.log
		}
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
