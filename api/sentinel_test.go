package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"picpipe"
	"picpipe/api"
	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/scheduler"
)

// TestSentinelFailoverDuringUploads runs the API, a worker and reconcile
// on Redis under Sentinel (a master, a replica, three sentinels; the
// redis-sentinel URL form), uploads from four clients without pause, and
// kills the master with SIGKILL midway. The sentinels promote the
// replica; uploads answer 503 meanwhile and then go on against the new
// master, and every upload that was acknowledged (201 or 202) ends
// ready: none is lost, not even one whose task the dead master had not
// yet passed to its replica (reconcile enqueues it again). Afterwards the
// rate limiter, the usage counter, /readyz and the queue dashboard work on
// the new master.
func TestSentinelFailoverDuringUploads(t *testing.T) {
	sen := testenv.StartSentinel(t)
	d := testenv.SQLite(t)
	e := newEnv(t, d, envOpts{redisURL: sen.URL, api: api.Config{AdminToken: adminToken,
		Plans: picpipe.Plans{
			// Every upload goes through the limiter, so it must follow the
			// failover too.
			picpipe.DefaultPlan: {MaxUploadBytes: 1 << 20, UploadsPerMinute: 1_000_000},
			"tiny":              {MaxUploadBytes: 1 << 20, UploadsPerMinute: 10},
		}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reconcile(ctx, t, e)

	type result struct {
		n          int
		start, end time.Time
		status     int
		code, id   string
		err        error
	}
	var (
		mu      sync.Mutex
		results []result
	)
	upload := func(n int) result {
		r := result{n: n, start: time.Now()}
		body, ct := form(t, fmt.Sprintf("u%d.png", n), uniquePNG(n), nil)
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/images", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("Prefer", "wait=5")
		res, err := http.DefaultClient.Do(req)
		r.end = time.Now()
		if err != nil {
			r.err = err
			return r
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		r.status = res.StatusCode
		var m struct {
			ID    string
			Error struct{ Code string }
		}
		json.Unmarshal(b, &m)
		r.id, r.code = m.ID, m.Error.Code
		return r
	}

	// Before: uploads come back processed.
	for i := range 3 {
		if r := upload(i); r.status != http.StatusCreated {
			t.Fatalf("upload before the failover = %d %s %v; want 201", r.status, r.code, r.err)
		}
	}

	// During: four clients upload without pause; the master dies.
	var (
		next   = 100
		killed time.Time
		stop   = make(chan struct{})
		wg     sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				n := next
				next++
				mu.Unlock()
				r := upload(n)
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}
		})
	}
	time.Sleep(time.Second)
	old := sen.KillMaster(t)
	killed = time.Now()
	now := sen.WaitFailover(t, old, 30*time.Second)
	promoted := time.Since(killed)
	// Go on until uploads have been acknowledged for two seconds again.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		var since time.Time
		for _, r := range results {
			if acked(r.status) && r.start.After(killed) && (since.IsZero() || r.end.Before(since)) {
				since = r.end
			}
		}
		mu.Unlock()
		if !since.IsZero() && time.Since(since) > 2*time.Second {
			break
		}
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("no upload acknowledged within 30 s of killing the master (promoted %s after %v)", now, promoted)
		}
	}
	close(stop)
	wg.Wait()

	// Every answer is an acknowledgement or a 503 to retry; never a
	// client's error, a 500 or a broken connection.
	var ackedIDs []string
	var refused, ackedAfter int
	var firstRefused, lastRefused, firstBack time.Time
	var slowest time.Duration
	sort.Slice(results, func(i, j int) bool { return results[i].start.Before(results[j].start) })
	for _, r := range results {
		switch {
		case acked(r.status):
			ackedIDs = append(ackedIDs, r.id)
			slowest = max(slowest, r.end.Sub(r.start))
			if r.start.After(killed) {
				ackedAfter++
				if firstBack.IsZero() || r.end.Before(firstBack) {
					firstBack = r.end
				}
			}
		case r.status == http.StatusServiceUnavailable && r.code == string(picpipe.ECodeTranscodeUnavailable):
			refused++
			if firstRefused.IsZero() {
				firstRefused = r.start
			}
			lastRefused = r.end
		default:
			t.Errorf("upload %d during the failover = %d %q %v; want 201, 202 or 503 transcode_unavailable", r.n, r.status, r.code, r.err)
		}
	}
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	refusals := "none refused"
	if refused > 0 {
		refusals = fmt.Sprintf("%d refused 503 from %v to %v after the kill", refused,
			ms(firstRefused.Sub(killed)), ms(lastRefused.Sub(killed)))
	}
	t.Logf("master %s killed; sentinels promoted %s after %v; %d uploads: %d acknowledged (%d started after the kill; the slowest answered in %v), %s; the first upload started after the kill and acknowledged answered %v after it",
		old, now, ms(promoted), len(results), len(ackedIDs), ackedAfter, ms(slowest), refusals, ms(firstBack.Sub(killed)))
	if ackedAfter == 0 {
		t.Fatal("no upload acknowledged after the failover")
	}

	// None lost: every acknowledged upload ends ready.
	waitReady(t, d, e.userID, ackedIDs, 45*time.Second)

	// After: processed uploads come back 201 at once again (queue, worker
	// and the completion waiter on the new master).
	for i := range 3 {
		if r := upload(10_000 + i); r.status != http.StatusCreated {
			t.Errorf("upload after the failover = %d %q %v; want 201", r.status, r.code, r.err)
		}
	}
	// The rate limiter counts on the new master: 10 a minute, the 11th
	// refused.
	_, _, tiny, err := d.CreateUserWithKey(ctx, "tiny", "tiny", "", time.Now().Unix())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 11 {
		r := e.upload("", nil, nil, map[string]string{"Authorization": "Bearer " + tiny})
		want := http.StatusBadRequest // no file: refused after the limiter, but counted
		if i == 10 {
			want = http.StatusTooManyRequests
		}
		if r.status != want {
			t.Fatalf("tiny plan, request %d = %d %s; want %d", i+1, r.status, r.body, want)
		}
	}
	// The usage counter, /readyz and the dashboard answer from the new
	// master.
	if r := e.do("GET", "/v1/usage", nil, nil); r.status != 200 || r.json(t)["api_calls"] == nil {
		t.Errorf("GET /v1/usage = %d %s; want 200 with api_calls", r.status, r.body)
	}
	if r := e.do("GET", "/readyz", nil, nil); r.status != 200 {
		t.Errorf("GET /readyz = %d %s; want 200", r.status, r.body)
	}
	r := e.do("GET", "/admin/queues/api/queues", nil, map[string]string{"Authorization": "Bearer " + adminToken})
	if r.status != 200 || !strings.Contains(string(r.body), `"`+jobs.QueueCritical+`"`) {
		t.Errorf("dashboard queues = %d %s; want 200 listing the %s queue", r.status, r.body, jobs.QueueCritical)
	}
	// picpipe check finds rows, blobs and counters consistent.
	s, err := scheduler.New(scheduler.Config{}, scheduler.Deps{DB: d, Store: e.deps.Store, Redis: e.deps.Redis})
	if err != nil {
		t.Fatal(err)
	}
	if problems, err := s.Check(ctx, scheduler.CheckOptions{}); err != nil || len(problems) > 0 {
		t.Errorf("check after the failover: %+v, %v", problems, err)
	}
}

func acked(status int) bool { return status == http.StatusCreated || status == http.StatusAccepted }

// reconcile runs the scheduler's reconcile every half second until ctx
// ends, taking up rows stuck for 2 s: what picpipe scheduler does every
// 30 s for rows stuck 5 minutes.
func reconcile(ctx context.Context, t *testing.T, e *env) {
	s, err := scheduler.New(scheduler.Config{StuckAfter: 2 * time.Second},
		scheduler.Deps{DB: e.db, Store: e.deps.Store, Redis: e.deps.Redis})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
			if n, err := s.Reconcile(ctx); n > 0 || (err != nil && ctx.Err() == nil) {
				t.Logf("reconcile: %d taken up, %v", n, err)
			}
		}
	}()
}

// waitReady waits until every image of ids is ready, and fails the test
// naming those that are not when within has passed.
func waitReady(t *testing.T, d *db.DB, userID string, ids []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var pending []string
		for _, id := range ids {
			img, err := d.ImageByID(context.Background(), userID, id)
			if err != nil || img.Status != db.StatusReady {
				status := "?"
				if err == nil {
					status = img.Status
				}
				pending = append(pending, id+" "+status)
			}
		}
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged uploads not ready after %v: %v", len(pending), len(ids), within, pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// uniquePNG is a small PNG of its own for each n.
func uniquePNG(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = byte(n*31 + i*7 + n>>8)
	}
	img.Set(0, 0, color.RGBA{byte(n), byte(n >> 8), byte(n >> 16), 255})
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
