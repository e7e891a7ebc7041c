package chaos

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// soakSpec is one soak: the load, the shape of the stack and the faults
// injected while the load runs.
type soakSpec struct {
	uploads int   // uploads in all, each of different options (no dedup hits between them)
	clients int   // clients sending them, each one upload at a time
	apis    int   // API processes behind the round-robin proxy
	workers []int // one run for each entry: its number of worker processes
	// scales make the corpus: photo.jpg scaled by each (JPEGs) and by the
	// last but one as a PNG.
	scales []string
	// killWorkerAt is the share of the uploads answered when the first
	// worker is killed (kill -9); it starts again workerDown later.
	killWorkerAt float64
	workerDown   time.Duration
	// restartAPIAt is the share of the uploads answered when the first
	// API process is killed (kill -9); it starts again apiDown later.
	restartAPIAt float64
	apiDown      time.Duration
	// bound is how long after the last upload's answer every acknowledged
	// upload may take to be final: a correctness limit, not a target.
	bound time.Duration
	// settle bounds the wait for the queues to run dry (AVIF variants, a
	// late duplicate run of a task whose worker died) before the final
	// reading.
	settle time.Duration
}

// Clients retry an upload that got no answer, or a 408, 429 or 5xx, up
// to soakAttempts times with a growing pause, as a real client would: an
// API process killed under them is not the upload's end.
const (
	soakAttempts = 10
	soakBackoff  = 250 * time.Millisecond
	// soakRecheck is how often the watcher reads a final upload again:
	// with a thousand of them, every 2 s would be a load of its own.
	soakRecheck = 30 * time.Second
)

// TestSoak is the multi-process soak: spec.apis `picpipe api` processes
// behind a round-robin proxy, `picpipe worker` processes, one `picpipe
// scheduler`, PostgreSQL, redis-server and an S3 server (versitygw) as
// the blob store, all on loopback. spec.clients clients send
// spec.uploads uploads of photos of several sizes, and meanwhile a
// worker is killed (kill -9) and started again later, and an API process
// is killed (kill -9) and started again. Afterwards every upload must
// have been acknowledged, every acknowledged one must be ready, its link
// must serve the image through every API process, nothing may be lost
// or made twice (rows, blobs in the bucket), and `picpipe check` must be
// clean. It runs once per entry of spec.workers and prints a table of
// figures (PICPIPE_SOAK_REPORT=FILE also writes it to FILE).
func TestSoak(t *testing.T) {
	picpipeBinary(t)
	images := soakCorpus(t, soak.scales)
	rep := &soakReport{spec: soak, images: images}
	for _, n := range soak.workers {
		t.Run(fmt.Sprintf("workers=%d", n), func(t *testing.T) {
			f := &soakFigures{workers: n}
			t.Cleanup(func() {
				f.passed = !t.Failed()
				rep.add(*f)
			})
			runSoak(t, soak, n, images, f)
		})
	}
	rep.emit(t)
}

// soakCorpus makes the soak's images: photo.jpg scaled by each of scales
// as a JPEG, and by the last but one as a PNG.
func soakCorpus(t *testing.T, scales []string) []string {
	t.Helper()
	vips := tool(t, "vips")
	dir := t.TempDir()
	var out []string
	mk := func(scale, name string) {
		p := filepath.Join(dir, name)
		if b, err := exec.Command(vips, "resize", testPhoto, p+"[strip]", scale).CombinedOutput(); err != nil {
			t.Fatalf("vips resize ×%s: %v\n%s", scale, err, b)
		}
		out = append(out, p)
	}
	for _, s := range scales {
		mk(s, "soak-"+s+".jpg")
	}
	mk(scales[max(len(scales)-2, 0)], "soak-"+scales[max(len(scales)-2, 0)]+".png")
	return out
}

// soakUpload is one upload of the soak, over all its attempts.
type soakUpload struct {
	n        int
	file     string
	sent     time.Time // the first attempt's start
	attempts int
	ack      answer // the acknowledging answer, or the last one
}

// soakFigures is what one run measured.
type soakFigures struct {
	workers  int
	result          // acknowledged, ready, failed, lost (404), recovery (drain), check
	uploads  int    // uploads sent
	unacked  int    // uploads never acknowledged, whatever the retries
	retried  int    // uploads that needed more than one attempt
	answers  string // tally of the acknowledging answers' statuses
	load     time.Duration
	span     time.Duration // the first upload sent → the last image ready
	perSec   float64       // ready images / span
	loadRate float64       // images ready while the load ran / load
	doneSpan time.Duration // the first upload sent → the queues dry (every AVIF made too)
	doneRate float64       // ready images / doneSpan
	ackP50   time.Duration // upload latency: request → acknowledging answer
	ackP99   time.Duration
	readyP50 time.Duration // the first attempt sent → the image seen ready
	readyP99 time.Duration
	dupes    int    // rows or blobs made twice
	extra    int    // rows nobody was told of (an answer lost with its API process)
	objects  string // the bucket's objects at the end
	faults   []string
	passed   bool
}

// runSoak runs the soak once with workers worker processes.
func runSoak(t *testing.T, spec soakSpec, workers int, images []string, f *soakFigures) {
	s := newStack(t, stackOptions{apis: spec.apis, workers: workers, s3: true})
	r := s.newRun(t, &f.result)
	r.w.setRecheck(soakRecheck)
	f.fault, f.uploads = fmt.Sprintf("soak, %d worker(s)", workers), spec.uploads

	var next, answered atomic.Int64
	ups := make([]soakUpload, spec.uploads)
	start := time.Now()
	faultsDone := during(func() { r.soakFaults(spec, &answered, start, f) })
	var wg sync.WaitGroup
	for range spec.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= spec.uploads {
					return
				}
				ups[n] = r.soakSend(n, images[n%len(images)])
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	f.load = time.Since(start)
	faultsDone()
	r.faultEnd = time.Now() // recovery is the drain after the load
	t.Logf("%d uploads answered in %v; waiting for every acknowledged one to be final", spec.uploads, f.load.Round(time.Millisecond))

	r.finish(spec.bound, spec.settle)
	ready := r.soakRows(ups, f)
	r.soakLatencies(ups, start, start.Add(f.load), f)
	f.objects = r.auditBucket(ready, checkCleanAfter, f)
	r.auditDataDir()
}

// soakSend sends upload n (file, with options of its own and the name
// soak-NNNN.ext), retrying what got no answer or a retryable one.
func (r *run) soakSend(n int, file string) soakUpload {
	u := soakUpload{n: n, file: file, sent: time.Now()}
	o := sendOptions{fields: distinct(n), name: fmt.Sprintf("soak-%04d%s", n, filepath.Ext(file))}
	for u.attempts < soakAttempts {
		u.attempts++
		u.ack = r.send(file, o, false)
		if u.ack.acked() || !retryable(u.ack) {
			break
		}
		time.Sleep(soakBackoff * time.Duration(u.attempts))
	}
	return u
}

// retryable reports whether a client would send the upload again: no
// answer (the connection was refused or cut), 408, 429 or a 5xx.
func retryable(a answer) bool {
	return a.Status == 0 || a.Status == http.StatusRequestTimeout ||
		a.Status == http.StatusTooManyRequests || a.Status >= 500
}

// soakFaults kills the first worker (kill -9) when spec.killWorkerAt of
// the uploads are answered and starts it again spec.workerDown later,
// and kills the first API process when spec.restartAPIAt are answered
// and starts it again spec.apiDown later; the two go on independently.
func (r *run) soakFaults(spec soakSpec, answered *atomic.Int64, start time.Time, f *soakFigures) {
	at := func() string { return fmt.Sprintf("%.1f s", time.Since(start).Seconds()) }
	waitAnswered := func(share float64) {
		for answered.Load() < int64(math.Ceil(share*float64(spec.uploads))) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	var mu sync.Mutex
	event := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		f.faults = append(f.faults, fmt.Sprintf(format, args...))
	}
	worker := during(func() {
		waitAnswered(spec.killWorkerAt)
		active := r.activeTasks(r.worker.pid())
		event("kill -9 of %s at %s (%d uploads answered; %d tasks running in it at its last heartbeat)",
			r.worker.name, at(), answered.Load(), active)
		r.worker.kill()
		time.Sleep(spec.workerDown)
		if err := r.startWorker(r.worker); err != nil {
			r.t.Error(err)
			return
		}
		event("%s back at %s", r.worker.name, at())
	})
	api := during(func() {
		waitAnswered(spec.restartAPIAt)
		event("kill -9 of %s at %s (%d uploads answered)", r.api.name, at(), answered.Load())
		r.api.kill()
		time.Sleep(spec.apiDown)
		if err := r.startAPI(r.api); err != nil {
			r.t.Error(err)
			return
		}
		event("%s back at %s", r.api.name, at())
	})
	worker()
	api()
}

// activeTasks is the number of tasks the worker process pid is running,
// as its asynq servers (it may run more than one) last told Redis; -1
// when unknown.
func (s *stack) activeTasks(pid int) int {
	servers, err := s.insp.Servers()
	if err != nil {
		return -1
	}
	n := -1
	for _, srv := range servers {
		if srv.PID == pid {
			n = max(n, 0) + len(srv.ActiveWorkers)
		}
	}
	return n
}

// soakRows checks the uploads against the account's rows: every upload
// acknowledged, with an id of its own; every row one the clients were
// told of (a row whose answer was lost with its API process is counted,
// and must be final too), none made twice for one upload (rows are told
// apart by their file names, soak-NNNN). It returns the ready images.
func (r *run) soakRows(ups []soakUpload, f *soakFigures) map[string]bool {
	byID := map[string]int{}
	var statuses []string
	for _, u := range ups {
		if u.attempts > 1 {
			f.retried++
		}
		if !u.ack.acked() {
			f.unacked++
			r.t.Errorf("upload %d (%s) was never acknowledged in %d attempts; the last: %v", u.n, filepath.Base(u.file), u.attempts, u.ack)
			continue
		}
		statuses = append(statuses, fmt.Sprint(u.ack.Status))
		if m, ok := byID[u.ack.ID]; ok {
			f.dupes++
			r.t.Errorf("uploads %d and %d, of different options, were both answered with %s", m, u.n, u.ack.ID)
		}
		byID[u.ack.ID] = u.n
	}
	f.answers = tally(statuses)

	rows, err := r.listImages(context.Background(), r.key)
	if err != nil {
		r.t.Errorf("list the account's images: %v", err)
		return nil
	}
	ready := map[string]bool{}
	listed := map[string]bool{}
	names := map[string]string{}
	for _, img := range rows {
		listed[img.ID] = true
		if other, ok := names[img.Filename]; ok {
			f.dupes++
			r.t.Errorf("%s and %s are both %s: one upload made two rows", other, img.ID, img.Filename)
		}
		names[img.Filename] = img.ID
		if img.Status == "ready" {
			ready[img.ID] = true
		}
		if _, ok := byID[img.ID]; ok {
			continue
		}
		f.extra++
		r.note("%s (%s, %s) is a row no client was told of: its answer was lost", img.ID, img.Filename, img.Status)
		if img.Status != "ready" && img.Status != "failed" {
			r.t.Errorf("%s, a row whose answer was lost, is still %s", img.ID, img.Status)
		}
	}
	for id, n := range byID {
		if !listed[id] {
			f.lost++
			r.t.Errorf("%s (upload %d) is acknowledged but not among the account's images", id, n)
		}
	}
	for _, u := range r.w.snapshot() {
		if u.final != "" && u.final != "ready" {
			r.t.Errorf("%s (%s) ended %s %s; every upload of the soak is a good image", u.id, filepath.Base(u.file), u.final, u.code)
		}
	}
	return ready
}

// listImages reads every image of the account, page by page.
func (s *stack) listImages(ctx context.Context, key string) ([]imageView, error) {
	var all []imageView
	cursor := ""
	for {
		u := s.apiURL + "/v1/images?limit=100"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := s.http.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Data       []imageView `json:"data"`
			NextCursor *string     `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			return nil, fmt.Errorf("GET %s: %d, %v", u, resp.StatusCode, err)
		}
		all = append(all, page.Data...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return all, nil
		}
		cursor = *page.NextCursor
	}
}

// soakLatencies computes the throughput and the latencies from what the
// clients and the watcher saw; the load ran from start to end.
func (r *run) soakLatencies(ups []soakUpload, start, end time.Time, f *soakFigures) {
	seen := map[string]tracked{}
	for _, u := range r.w.snapshot() {
		seen[u.id] = u
	}
	var acks, toReady []time.Duration
	var last time.Time
	during := 0
	for _, u := range ups {
		if !u.ack.acked() {
			continue
		}
		acks = append(acks, u.ack.Took)
		if w, ok := seen[u.ack.ID]; ok && w.final == "ready" {
			toReady = append(toReady, w.finalAt.Sub(u.sent))
			if !w.finalAt.After(end) {
				during++
			}
			if w.finalAt.After(last) {
				last = w.finalAt
			}
		}
	}
	f.ackP50, f.ackP99 = percentile(acks, 0.5), percentile(acks, 0.99)
	f.readyP50, f.readyP99 = percentile(toReady, 0.5), percentile(toReady, 0.99)
	if !last.IsZero() {
		f.span = last.Sub(start)
		f.perSec = float64(len(toReady)) / f.span.Seconds()
	}
	f.loadRate = float64(during) / end.Sub(start).Seconds()
	if !r.res.drained.IsZero() {
		f.doneSpan = r.res.drained.Sub(start)
		f.doneRate = float64(len(toReady)) / f.doneSpan.Seconds()
	}
}

// percentile is the nearest-rank q-quantile of ds; 0 when empty.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[max(int(math.Ceil(q*float64(len(s))))-1, 0)]
}

// auditBucket lists the bucket and checks it holds exactly what the
// ready images need — one WebP and one AVIF each, under images/ — and
// nothing else: no staged upload left, no second output of an image, no
// blob of an image that is not ready. Leftovers the purge removes once
// they are older than PICPIPE_PURGE_GRACE are waited for, up to within.
// It returns the count of objects for the figures.
func (r *run) auditBucket(ready map[string]bool, within time.Duration, f *soakFigures) string {
	start := time.Now()
	for {
		keys, err := r.bucketKeys(context.Background())
		if err != nil {
			r.t.Errorf("list the bucket: %v", err)
			return "—"
		}
		problems, dupes := bucketProblems(keys, ready)
		if len(problems) == 0 {
			return fmt.Sprintf("%d (%d ready × WebP + AVIF)", len(keys), len(ready))
		}
		if time.Since(start) >= within {
			f.dupes += dupes
			r.t.Errorf("the bucket still holds what it should not %v after the check: %s",
				within, firstLines(strings.Join(problems, "\n"), 20))
			return fmt.Sprintf("%d, %d problems", len(keys), len(problems))
		}
		time.Sleep(5 * time.Second)
	}
}

// bucketProblems compares the bucket's keys with the ready images; dupes
// counts images with more than one object of a kind.
func bucketProblems(keys []string, ready map[string]bool) (problems []string, dupes int) {
	per := map[string]map[string]int{} // image id → extension → objects
	for _, k := range keys {
		if !strings.HasPrefix(k, "images/") {
			problems = append(problems, k+": a leftover outside images/")
			continue
		}
		base := path.Base(k)
		id, _, _ := strings.Cut(base, ".")
		if per[id] == nil {
			per[id] = map[string]int{}
		}
		per[id][strings.TrimPrefix(path.Ext(base), ".")]++
		if !ready[id] {
			problems = append(problems, k+": a blob of an image that is not ready")
		}
	}
	for _, id := range slices.Sorted(maps.Keys(ready)) {
		for _, ext := range []string{"webp", "avif"} {
			switch n := per[id][ext]; {
			case n == 0:
				problems = append(problems, fmt.Sprintf("%s: no %s in the bucket", id, ext))
			case n > 1:
				dupes++
				problems = append(problems, fmt.Sprintf("%s: %d %s objects in the bucket", id, n, ext))
			}
		}
	}
	return problems, dupes
}

// bucketKeys lists every object of the stack's bucket, with an S3
// client of the test's own.
func (s *stack) bucketKeys(ctx context.Context) ([]string, error) {
	u, err := url.Parse(s.blobs)
	if err != nil {
		return nil, err
	}
	ep, err := url.Parse(u.Query().Get("endpoint"))
	if err != nil {
		return nil, err
	}
	secret, _ := u.User.Password()
	c, err := minio.New(ep.Host, &minio.Options{Creds: credentials.NewStaticV4(u.User.Username(), secret, ""),
		Secure: ep.Scheme == "https", Region: u.Query().Get("region")})
	if err != nil {
		return nil, err
	}
	var keys []string
	for o := range c.ListObjects(ctx, u.Host, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			return nil, o.Err
		}
		keys = append(keys, o.Key)
	}
	return keys, nil
}

// auditDataDir checks that no blob reached the processes' local disk:
// with the blobs in S3, PICPIPE_DATA_DIR must hold no file.
func (r *run) auditDataDir() {
	dir := filepath.Join(r.dir, "data")
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	if len(files) > 0 {
		r.t.Errorf("with the blobs in S3, %d files were left on local disk in PICPIPE_DATA_DIR: %s",
			len(files), firstLines(strings.Join(files, "\n"), 10))
	}
}

// soakReport gathers the runs' figures and prints them as a table.
type soakReport struct {
	spec   soakSpec
	images []string
	mu     sync.Mutex
	rows   []soakFigures
}

func (r *soakReport) add(f soakFigures) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, f)
}

// emit logs the table and writes it to $PICPIPE_SOAK_REPORT when set.
func (r *soakReport) emit(t *testing.T) {
	table := r.table()
	t.Log("\n" + table)
	if p := os.Getenv("PICPIPE_SOAK_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(table), 0o644); err != nil {
			t.Errorf("PICPIPE_SOAK_REPORT: %v", err)
		}
	}
}

// table renders the figures as Markdown: what ran, one row per run,
// then each run's faults and notes.
func (r *soakReport) table() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	sp := r.spec
	var names []string
	for _, p := range r.images {
		names = append(names, filepath.Base(p))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "picpipe soak, %s: %d uploads from %d clients (%s, in turn, each with options of its own, waiting for the result as by default), "+
		"%d picpipe api behind a round-robin proxy, picpipe worker × N (concurrency %d each), one picpipe scheduler, PostgreSQL, redis-server, "+
		"blobs in S3 (versitygw); kill -9 of a worker at %.0f %% of the uploads (back %v later), kill -9 of an API process at %.0f %% (back %v later)\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), sp.uploads, sp.clients, strings.Join(names, ", "), sp.apis, workerWorkers,
		100*sp.killWorkerAt, sp.workerDown, 100*sp.restartAPIAt, sp.apiDown)
	b.WriteString("| workers | ready/s | ready/s during the load | done/s (WebP + AVIF) | upload p50 | upload p99 | to ready p50 | to ready p99 | acknowledged (answers) | ready / failed | lost | duplicated | retried | drain | bucket objects | picpipe check | result |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	slices.SortFunc(r.rows, func(a, b soakFigures) int { return cmp.Compare(a.workers, b.workers) })
	for _, f := range r.rows {
		verdict := "pass"
		if !f.passed {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "| %d | %.2f | %.2f | %s | %v | %v | %v | %v | %d of %d (%s) | %d / %d | %d | %d | %d | %s | %s | %s | %s |\n",
			f.workers, f.perSec, f.loadRate, rate(f.doneRate), ms(f.ackP50), ms(f.ackP99), ms(f.readyP50), ms(f.readyP99),
			f.acked, f.uploads, f.answers, f.ready, f.failed, f.lost+f.unacked, f.dupes, f.retried,
			recoveryString(f.result), orDash(f.objects), orDash(f.check), verdict)
	}
	b.WriteString("\nready/s: images ready ÷ (first upload sent → last image seen ready), the stragglers of the faults included; " +
		"ready/s during the load: images ready by the time the last upload was answered ÷ (first upload sent → last upload answered); " +
		"done/s: images ready ÷ (first upload sent → no image work left in the queues, every AVIF variant made too; — when that took longer than the settle time); upload: request → acknowledging answer (201, 202, or 200 for a retry found done); " +
		"to ready: first attempt sent → image seen ready; lost: acknowledged but missing or not final, plus never acknowledged; drain: last upload answered → every acknowledged upload final.\n")
	for _, f := range r.rows {
		for _, e := range f.faults {
			fmt.Fprintf(&b, "\n- %d worker(s): %s", f.workers, e)
		}
		fmt.Fprintf(&b, "\n- %d worker(s): uploads answered in %.1f s; first upload → last ready %.1f s, → queues dry %s; %d rows no client was told of",
			f.workers, f.load.Seconds(), f.span.Seconds(), seconds(f.doneSpan), f.extra)
		for _, n := range f.notes {
			fmt.Fprintf(&b, "\n- %d worker(s): %s", f.workers, clip(strings.ReplaceAll(n, "\n", " "), 400))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// clip shortens s to about n bytes, saying how much it left out.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s… (%d more bytes)", strings.ToValidUTF8(s[:n], ""), len(s)-n)
}

func rate(r float64) string {
	if r == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", r)
}

func seconds(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
