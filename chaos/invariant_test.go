package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hibiken/asynq"
)

// finish checks the invariant after the fault: every acknowledged upload
// final within bound of the fault's end, exactly once — still so once the
// queues have run dry, or settle has passed —, nothing lost, the links of
// ready images answering, and `picpipe check` clean. It records the
// recovery time and the counts in the run's result.
func (r *run) finish(bound, settle time.Duration) {
	r.t.Helper()
	if r.faultEnd.IsZero() {
		r.t.Fatal("the scenario did not say when its fault ended")
	}
	r.recovery(bound)
	if dry, err := r.waitIdle(settle); err != nil {
		r.note("image work still queued %v after the last upload was final: %v", settle, err)
	} else {
		r.res.drained = dry
	}
	r.verify()
	r.res.check = r.checkClean(checkCleanAfter)
}

// recovery waits for every acknowledged upload to be final and records
// how long after the fault's end the last one was.
func (r *run) recovery(bound time.Duration) {
	last, pending := r.w.waitFinal(r.faultEnd.Add(bound))
	r.res.acked = len(r.w.snapshot())
	if len(pending) > 0 {
		r.res.timedOut, r.res.recovery = true, bound
		for i, u := range pending {
			if i == 10 {
				r.t.Errorf("… and %d more", len(pending)-10)
				break
			}
			r.t.Errorf("%s (acknowledged %v) still %q %v after the fault's end; want ready or failed within %v",
				u.id, u.ack, u.last, time.Since(r.faultEnd).Round(time.Second), bound)
		}
		return
	}
	r.res.recovery = max(0, last.Sub(r.faultEnd))
}

// verify reads every acknowledged upload once more, after the work has
// settled: it must still have the status it first ended with, must never
// have answered 404, and a ready image's link must answer 200.
func (r *run) verify() {
	ctx := context.Background()
	var codes []string
	defer func() {
		if len(codes) > 0 {
			r.note("acknowledged uploads that ended failed: %s", tally(codes))
		}
	}()
	for _, u := range r.w.snapshot() {
		status, img, err := r.image(ctx, r.key, u.id)
		switch {
		case status == http.StatusNotFound:
			r.res.lost++
			r.t.Errorf("%s (acknowledged %v) is lost: GET /v1/images/%s answers 404", u.id, u.ack, u.id)
			continue
		case status != http.StatusOK || err != nil:
			r.t.Errorf("GET /v1/images/%s = %d, %v; want 200", u.id, status, err)
			continue
		}
		r.count(img.Status)
		if img.Status == "failed" {
			codes = append(codes, img.Error.Code)
		}
		if u.seen404 > 0 {
			r.t.Errorf("%s (acknowledged %v) answered 404 %d times while polled", u.id, u.ack, u.seen404)
		}
		if u.final != "" && img.Status != u.final {
			u.changes = append(u.changes, u.final+" → "+img.Status+" at the end")
		}
		if len(u.changes) > 0 {
			r.t.Errorf("%s ended %s more than once: %s", u.id, u.final, strings.Join(u.changes, "; "))
		}
		if img.Status == "ready" {
			r.checkLink(ctx, u.id, img.URL)
		}
	}
}

func (r *run) count(status string) {
	switch status {
	case "ready":
		r.res.ready++
	case "failed":
		r.res.failed++
	}
}

// checkLink fetches a ready image's direct link through every API
// process of the stack: each must serve an image, the same one.
func (r *run) checkLink(ctx context.Context, id, url string) {
	if url == "" {
		r.t.Errorf("%s is ready without a url", id)
		return
	}
	if !strings.HasPrefix(url, r.apiURL+"/") {
		r.t.Errorf("%s: link %s is not under the public URL %s", id, url, r.apiURL)
		return
	}
	first := ""
	for _, u := range r.viaEachAPI(url) {
		code, sum, err := r.fetchLink(ctx, u)
		switch {
		case code != http.StatusOK || err != nil:
			r.t.Errorf("%s is ready but its link %s answers %d, %v; want 200 and an image", id, u, code, err)
		case first == "":
			first = sum
		case sum != first:
			r.t.Errorf("%s: its link %s serves other bytes than through the first API process", id, u)
		}
	}
}

// waitIdle waits until no image work is pending, running, scheduled or
// retrying in any queue, seen so for a second on end; maintenance tasks
// do not count. One reading is not enough: the queues are listed one
// after the other, and a task that finishes may enqueue its successor
// (image:process → image:avif) on a queue already listed. It returns
// when the queues were first seen dry.
func (s *stack) waitIdle(timeout time.Duration) (time.Time, error) {
	const quiet = time.Second
	deadline := time.Now().Add(timeout)
	var since time.Time // start of the current run of idle readings
	for {
		n, err := s.imageWork()
		switch {
		case err != nil || n > 0:
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) >= quiet:
			return since, nil
		}
		if time.Now().After(deadline) && err != nil {
			return time.Time{}, err
		} else if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d tasks", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// imageWork counts the tasks of every queue that are not maintenance.
func (s *stack) imageWork() (int, error) {
	queues, err := s.insp.Queues()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, q := range queues {
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			s.insp.ListPendingTasks, s.insp.ListActiveTasks, s.insp.ListScheduledTasks, s.insp.ListRetryTasks,
		} {
			tasks, err := list(q, asynq.PageSize(1000))
			if err != nil {
				return n, err
			}
			for _, ti := range tasks {
				if !strings.HasPrefix(ti.Type, "maintenance:") {
					n++
				}
			}
		}
	}
	return n, nil
}

// checkClean runs `picpipe check --json` against the stack's database,
// blobs and Redis until it exits 0, for up to within while it reports
// problems (exit 1): self-healing may still be finishing. Any other exit
// fails at once. It returns the outcome for the report.
func (r *run) checkClean(within time.Duration) string {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		code, out := r.check()
		switch {
		case code == 0 && attempt == 1:
			return "clean"
		case code == 0:
			return fmt.Sprintf("clean after %v", time.Since(start).Round(time.Second))
		case code == 1 && time.Since(start) < within:
			if attempt == 1 {
				r.note("picpipe check found problems at first (retrying for up to %v): %s", within, firstLines(out, 10))
			}
			time.Sleep(5 * time.Second)
		default:
			r.t.Errorf("picpipe check exited %d after %v; want 0:\n%s", code, time.Since(start).Round(time.Second), firstLines(out, 40))
			return fmt.Sprintf("exit %d", code)
		}
	}
}

// check runs `picpipe check --json` once and returns its exit status and
// output, which also go to check.log.
func (s *stack) check() (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := s.command(ctx, "check", "--json").CombinedOutput()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		code, out = -1, append(out, []byte("\n"+err.Error())...)
	}
	if f, err := os.OpenFile(s.checkLog(), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintf(f, "=== chaos %s: picpipe check --json: exit %d ===\n%s\n", time.Now().Format("15:04:05.000"), code, out)
		f.Close()
	}
	return code, string(out)
}

func (s *stack) checkLog() string { return filepath.Join(s.dir, "check.log") }

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("… %d more lines", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}
