package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/api"
	"picpipe/jobs"
)

// benchPlans lifts the free plan's limits: no image or storage quota, no
// rate limit, 100 MiB uploads.
const benchPlans = `{"free":{"max_images":0,"max_storage_bytes":0,"max_upload_bytes":104857600,"max_presigned_bytes":104857600,"uploads_per_minute":0}}`

// stack is one picpipe installation on loopback: its own redis-server,
// SQLite database and blob directory, and `picpipe api` and `picpipe
// worker` as separate processes so that each one's memory can be read.
type stack struct {
	bin, dir  string
	redisURL  string
	apiURL    string
	env       []string
	procs     []*exec.Cmd
	api, work *exec.Cmd
	variants  int // the pid of the worker's variant process (its own when it has none)
	http      *http.Client
	inspector *asynq.Inspector
}

// freePort returns a free TCP port on 127.0.0.1.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// newStack starts redis-server and prepares the environment; the api and
// worker are started with startAPI and startWorker.
func newStack(bin, root, name string, workerConcurrency int) (*stack, error) {
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Join(dir, "redis"), 0o755); err != nil {
		return nil, err
	}
	rport, aport := freePort(), freePort()
	s := &stack{bin: bin, dir: dir, http: &http.Client{Timeout: 5 * time.Minute}}
	s.redisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", rport)
	s.apiURL = fmt.Sprintf("http://127.0.0.1:%d", aport)
	redis := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(rport),
		"--save", "", "--appendonly", "no", "--dir", filepath.Join(dir, "redis"))
	if err := s.start(redis, "redis"); err != nil {
		return nil, err
	}
	s.env = append(os.Environ(),
		"PICPIPE_REDIS_URL="+s.redisURL,
		"PICPIPE_DATA_DIR="+dir,
		"PICPIPE_DATABASE_URL=sqlite://"+filepath.Join(dir, "picpipe.db"),
		"PICPIPE_STORAGE_DIR="+filepath.Join(dir, "blobs"),
		"PICPIPE_SIGNING_KEY=bench-signing-key-0123456789abcdef",
		fmt.Sprintf("PICPIPE_ADDR=127.0.0.1:%d", aport),
		"PICPIPE_PUBLIC_URL="+s.apiURL,
		"PICPIPE_PLANS="+benchPlans,
		"PICPIPE_LOG_LEVEL=warn",
		// a synchronous upload waits as long as it may: a 24 MP WebP can
		// take longer than the default wait on a slow machine
		"PICPIPE_DEFAULT_WAIT="+api.DefaultMaxWait.String(),
		"PICPIPE_WORKER_CONCURRENCY="+strconv.Itoa(workerConcurrency),
		"PICPIPE_STUCK_AFTER=1h",
		"MALLOC_ARENA_MAX="+envOr("MALLOC_ARENA_MAX", "2"),
	)
	opt, err := jobs.RedisOpt(s.redisURL)
	if err != nil {
		return nil, err
	}
	s.inspector = asynq.NewInspector(opt)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.inspector.Queues(); err == nil {
			break
		} else if time.Now().After(deadline) {
			s.close()
			return nil, fmt.Errorf("redis-server did not answer: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s, nil
}

// start runs cmd with the stack's environment, its output in dir/name.log.
func (s *stack) start(cmd *exec.Cmd, name string) error {
	log, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if cmd.Env == nil && s.env != nil {
		cmd.Env = s.env
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.procs = append(s.procs, cmd)
	return nil
}

// newKey creates an account with an API key through the CLI.
func (s *stack) newKey() (string, error) {
	cmd := exec.Command(s.bin, "keys", "create", "--json")
	cmd.Env = s.env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("keys create: %w", err)
	}
	var k struct{ Key string }
	if err := json.Unmarshal(out, &k); err != nil || k.Key == "" {
		return "", fmt.Errorf("keys create: %q", out)
	}
	return k.Key, nil
}

// startAPI starts `picpipe api` and waits for /readyz.
func (s *stack) startAPI() error {
	s.api = exec.Command(s.bin, "api")
	if err := s.start(s.api, "api"); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := s.http.Get(s.apiURL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("api did not become ready; see %s/api.log", s.dir)
}

// startWorker starts `picpipe worker` and waits until its pools (the
// images', the webhooks' and the variants', this one in a child process
// of its own) have registered with Redis.
func (s *stack) startWorker() error {
	s.work = exec.Command(s.bin, "worker")
	if err := s.start(s.work, "worker"); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if srv, err := s.inspector.Servers(); err == nil && len(srv) >= 3 {
			s.variants = s.work.Process.Pid
			for _, c := range children(s.work.Process.Pid) {
				if args, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c)); strings.HasSuffix(string(args), "\x00worker\x00") {
					s.variants = c
				}
			}
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("worker did not start; see %s/worker.log", s.dir)
}

// workerPIDs are the worker's processes: itself and its variant process.
func (s *stack) workerPIDs() []int {
	if s.variants == s.work.Process.Pid {
		return []int{s.variants}
	}
	return []int{s.work.Process.Pid, s.variants}
}

// children are the pids of pid's child processes.
func children(pid int) []int {
	var pids []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(c); err == nil {
				pids = append(pids, n)
			}
		}
	}
	return pids
}

// close stops every process (SIGTERM, then SIGKILL) and removes the data.
func (s *stack) close() {
	if s.inspector != nil {
		s.inspector.Close()
	}
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.Process.Kill()
			<-done
		}
	}
	os.RemoveAll(s.dir)
}

// upload is one POST /v1/images answer.
type upload struct {
	Status int
	ID     string
	State  string // the image's status
	Code   string // error code
	Took   time.Duration
}

// post uploads the file at path as multipart, streamed from disk, with
// the given form fields; async adds Prefer: respond-async.
func (s *stack) post(ctx context.Context, key, path string, fields map[string]string, async bool) (upload, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k, v := range fields {
				if err := mw.WriteField(k, v); err != nil {
					return err
				}
			}
			part, err := mw.CreateFormFile("file", filepath.Base(path))
			if err != nil {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(part, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.apiURL+"/v1/images", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	if async {
		req.Header.Set("Prefer", "respond-async")
	}
	start := time.Now()
	resp, err := s.http.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return upload{}, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	u := upload{Status: resp.StatusCode, Took: time.Since(start)}
	if err != nil {
		return u, err
	}
	parseImage(body, &u)
	return u, nil
}

func parseImage(body []byte, u *upload) {
	var v struct {
		ID     string
		Status string
		Error  struct{ Code string }
	}
	json.Unmarshal(body, &v)
	u.ID, u.State, u.Code = v.ID, v.Status, v.Error.Code
}

// get reads one image.
func (s *stack) get(key, id string) (upload, error) {
	req, _ := http.NewRequest("GET", s.apiURL+"/v1/images/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := s.http.Do(req)
	if err != nil {
		return upload{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	u := upload{Status: resp.StatusCode}
	parseImage(body, &u)
	return u, err
}

// waitFinal polls an image every interval until it is ready or failed.
func (s *stack) waitFinal(key, id string, interval, timeout time.Duration) (upload, error) {
	deadline := time.Now().Add(timeout)
	for {
		u, err := s.get(key, id)
		if err != nil {
			return u, err
		}
		if u.State == "ready" || u.State == "failed" {
			return u, nil
		}
		if time.Now().After(deadline) {
			return u, fmt.Errorf("image %s still %s after %v", id, u.State, timeout)
		}
		time.Sleep(interval)
	}
}

// queueBusy is the number of tasks pending, active, scheduled or retrying
// on a queue.
func (s *stack) queueBusy(q string) int {
	info, err := s.inspector.GetQueueInfo(q)
	if err != nil {
		return 0 // the queue does not exist yet
	}
	return info.Pending + info.Active + info.Scheduled + info.Retry
}

// waitIdle waits until the queues have nothing left to do.
func (s *stack) waitIdle(timeout time.Duration, queues ...string) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		busy := 0
		for _, q := range queues {
			busy += s.queueBusy(q)
		}
		if busy == 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("queues %v still busy after %v", queues, timeout)
}

// active is the number of tasks running on queue q.
func (s *stack) active(q string) int {
	info, err := s.inspector.GetQueueInfo(q)
	if err != nil {
		return 0
	}
	return info.Active
}

// processed is how many tasks of queue q finished today.
func (s *stack) processed(q string) int {
	info, err := s.inspector.GetQueueInfo(q)
	if err != nil {
		return 0
	}
	return info.Processed
}

// memStat reads a field (VmRSS, VmHWM) of /proc/PID/status in bytes.
func memStat(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024
		}
	}
	return 0
}

// resetPeak resets the process's VmHWM to its current RSS.
func resetPeak(pid int) {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// rssSampler follows a process's RSS every 5 ms and keeps the peak.
type rssSampler struct {
	pid int
	// when, if set, says whether a sample counts (checked before each)
	when func() bool
	mu   sync.Mutex
	peak float64
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler { return sampleRSSWhen(pid, nil) }

// sampleRSSWhen samples only while when() is true, and does not use the
// kernel's high-water mark (it would count the other moments too).
func sampleRSSWhen(pid int, when func() bool) *rssSampler {
	resetPeak(pid)
	r := &rssSampler{pid: pid, when: when, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if r.when != nil && !r.when() {
				select {
				case <-r.stop:
					return
				case <-t.C:
					continue
				}
			}
			v := memStat(pid, "VmRSS")
			r.mu.Lock()
			r.peak = max(r.peak, v)
			r.mu.Unlock()
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// Stop ends the sampling and returns the peak RSS: the larger of the
// samples and the kernel's high-water mark since the sampler started.
func (r *rssSampler) Stop() float64 {
	close(r.stop)
	<-r.done
	if r.when != nil {
		return r.peak
	}
	return max(r.peak, memStat(r.pid, "VmHWM"))
}

// pad writes a copy of src padded with distinct bytes after its end to
// size bytes (a JPEG's decoder ignores what follows its EOI marker).
func pad(src, dst string, size int64, seed byte) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if int64(len(b)) < size {
		b = append(b, bytes.Repeat([]byte{seed, 0x5a, seed ^ 0xff, 0x11}, int(size-int64(len(b)))/4+1)...)
		b = b[:size]
	}
	return os.WriteFile(dst, b, 0o644)
}
