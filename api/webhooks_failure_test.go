package api_test

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/db"
	"picpipe/fetch"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/outbox"
	"picpipe/scheduler"
)

// awaitWebhook polls the endpoint until ok holds (a minute at most) and
// returns it.
func (e *env) awaitWebhook(id, what string, ok func(m map[string]any) bool) map[string]any {
	e.t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		m := e.getJSON("/v1/webhooks/" + id)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("webhook %s: not %s after a minute: %v", id, what, m)
		}
	}
}

// TestWebhookDisabledAfterThreeDays: an endpoint whose every delivery
// fails is disabled once its failures span 3 days (of the worker's
// clock, moved on here), says so, takes no more deliveries, and takes
// them again once enabled.
func TestWebhookDisabledAfterThreeDays(t *testing.T) {
	rc := newReceiver(t)
	var up atomic.Bool
	rc.answer = func(hit, int) (int, string) {
		if up.Load() {
			return http.StatusOK, "ok"
		}
		return http.StatusServiceUnavailable, "down for maintenance"
	}
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	// A second between retries: the clock moves on while the delivery is
	// still being retried (50 retries 100 ms apart could all be spent
	// first on a loaded machine, and nothing would be left to disable it).
	e := hookEnv(t, testenv.SQLite(t), rc, envOpts{now: clock, workerNow: clock, hookRetry: time.Second})
	hookID, _ := e.createWebhook(rc.srv.URL, "image.ready")
	photo := fixture(t, "photo.jpg")
	first := str(e.upload("photo.jpg", photo, nil, nil).json(t), "id")
	rc.await("retries", func(hs []hit) bool { return len(of(hs, "image.ready", first)) >= 3 })
	w := e.awaitWebhook(hookID, "failing", func(m map[string]any) bool { return m["failing_since"] != nil })
	if w["status"] != "enabled" || w["last_failure_at"] == nil || w["last_success_at"] != nil {
		t.Fatalf("after some failures: %v", w)
	}
	since := int64(w["failing_since"].(float64))

	offset.Store(int64(3*24*time.Hour + time.Minute))
	// An event of the new time: its delivery fails three days after the
	// first failure, wherever the first event's retries stand (one in
	// flight as the clock moved gives up, the event being over a day old,
	// without a failure of the new time).
	trigger := str(e.upload("photo.jpg", photo, map[string]string{"quality": "80"}, nil).json(t), "id")
	w = e.awaitWebhook(hookID, "disabled", func(m map[string]any) bool { return m["status"] == "disabled" })
	reason, _ := w["disabled_reason"].(string)
	if at, _ := w["disabled_at"].(float64); int64(at) < since+3*86400 || !strings.Contains(reason, "3 days") || !strings.Contains(reason, "503") {
		t.Fatalf("disabled: %v", w)
	}
	if r := e.do("GET", "/v1/webhooks", nil, nil); !strings.Contains(string(r.body), `"status":"disabled"`) {
		t.Fatalf("the list does not say so: %s", r.body)
	}
	// The delivery stops: its task ends, and the receiver hears no more.
	evs := of(rc.got(), "image.ready", first)
	insp := asynq.NewInspector(e.deps.Redis)
	defer insp.Close()
	// The later upload has an event unless the first event's retry
	// disabled the endpoint before it was ready.
	late, err := e.db.EventsOf(t.Context(), trigger)
	if err != nil || len(late) > 1 {
		t.Fatalf("events of the upload after the clock moved: %+v, %v", late, err)
	}
	tasks := []string{jobs.WebhookTaskID(evs[0].ev.ID, hookID)}
	for _, ev := range late {
		tasks = append(tasks, jobs.WebhookTaskID(ev.ID, hookID))
	}
	for _, taskID := range tasks {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			info, err := insp.GetTaskInfo(jobs.QueueWebhooks, taskID)
			if err == nil && info.State == asynq.TaskStateCompleted {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery task %s still %+v, %v", taskID, info, err)
			}
		}
	}
	attempts := len(of(rc.got(), "image.ready", first))
	if all := attempts + len(of(rc.got(), "image.ready", trigger)); len(e.awaitLog(hookID, all)) != all {
		t.Fatalf("log %d attempts, receiver %d", len(e.deliveries(hookID)), all)
	}
	// An image made while it is disabled writes no event for it.
	second := str(e.upload("photo.jpg", photo, map[string]string{"quality": "70"}, nil).json(t), "id")
	if evs, err := e.db.EventsOf(t.Context(), second); err != nil || len(evs) != 0 {
		t.Fatalf("events written for a disabled endpoint: %+v, %v", evs, err)
	}

	up.Store(true)
	r := e.do("PATCH", "/v1/webhooks/"+hookID, strings.NewReader(`{"enabled": true}`), map[string]string{"Content-Type": "application/json"})
	if m := r.json(t); r.status != 200 || m["status"] != "enabled" || m["failing_since"] != nil || m["disabled_reason"] != nil {
		t.Fatalf("enable = %d %s", r.status, r.body)
	}
	third := str(e.upload("photo.jpg", photo, map[string]string{"quality": "60"}, nil).json(t), "id")
	rc.awaitEvent("image.ready", third)
	if len(of(rc.got(), "image.ready", second)) != 0 || len(of(rc.got(), "image.ready", first)) != attempts {
		t.Fatal("a delivery of the disabled time came after all")
	}
	w = e.awaitWebhook(hookID, "healthy", func(m map[string]any) bool { return m["last_success_at"] != nil })
	if w["failing_since"] != nil {
		t.Fatalf("after a success: %v", w)
	}
}

// TestWebhookHangingReceiver: a receiver that does not answer is cut at
// the delivery timeout and retried; uploads meanwhile are answered as
// ever, and once the receiver answers, each event is delivered.
func TestWebhookHangingReceiver(t *testing.T) {
	rc := newReceiver(t)
	rc.setHang()
	e := hookEnv(t, testenv.SQLite(t), rc, envOpts{webhooks: outbox.Config{Timeout: 300 * time.Millisecond}})
	hookID, secret := e.createWebhook(rc.srv.URL, "image.ready")
	photo := fixture(t, "photo.jpg")
	var ids []string
	for q := 60; q < 63; q++ {
		r := e.upload("photo.jpg", photo, map[string]string{"quality": strconv.Itoa(q)}, nil)
		if r.status != http.StatusCreated || str(r.json(t), "status") != "ready" {
			t.Fatalf("upload while the endpoint hangs = %d %s", r.status, r.body)
		}
		ids = append(ids, str(r.json(t), "id"))
	}
	rc.await("a retry of a cut delivery", func(hs []hit) bool { return len(of(hs, "image.ready", ids[0])) >= 2 })
	log := e.awaitLog(hookID, 2)
	timedOut := 0
	for _, a := range log {
		if a["succeeded"] == false && a["status_code"] == nil && strings.Contains(str(a, "error"), "did not answer in time") {
			timedOut++
		}
	}
	if timedOut == 0 {
		t.Fatalf("no timed-out attempt in %v", log)
	}

	rc.release()
	for _, id := range ids {
		hs := rc.await("a delivery answered", func(hs []hit) bool {
			for _, a := range e.deliveries(hookID) {
				if a["succeeded"] == true && len(of(hs, "image.ready", id)) > 0 && a["event_id"] == of(hs, "image.ready", id)[0].ev.ID {
					return true
				}
			}
			return false
		})
		verified(t, of(hs, "image.ready", id)[0], secret)
	}
}

// TestWebhookFairness: an account whose endpoint hangs holds at most
// PerAccount of the delivery slots; another account's deliveries go on.
func TestWebhookFairness(t *testing.T) {
	slow, fast := newReceiver(t), newReceiver(t)
	slow.setHang()
	port := func(rc *receiver) int {
		u, _ := url.Parse(rc.srv.URL)
		p, _ := strconv.Atoi(u.Port())
		return p
	}
	e := newEnv(t, testenv.SQLite(t), envOpts{
		fetch: fetch.Config{AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, AllowedPorts: []int{port(slow), port(fast)}},
		// Longer than the test waits: a slot held by the slow endpoint
		// is not given back in time.
		webhooks: outbox.Config{Timeout: 3 * time.Minute, PerAccount: 3},
	})
	e.createWebhook(slow.srv.URL, "file.ready")
	other := e.newUserKey()
	b, _ := json.Marshal(map[string]any{"url": fast.srv.URL, "events": []string{"file.ready"}})
	if r := e.postJSON("/v1/webhooks", string(b), map[string]string{"Authorization": "Bearer " + other}); r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	// More events than the worker has delivery slots (8).
	for i := range 10 {
		if r := e.multi("/v1/files", []part{{"files", "n" + strconv.Itoa(i) + ".txt", []byte("note " + strconv.Itoa(i))}}, nil); r.status != http.StatusCreated {
			t.Fatalf("file = %d %s", r.status, r.body)
		}
	}
	slow.await("the slow account's deliveries", func(hs []hit) bool { return len(hs) >= 3 })
	before := time.Now()
	save := e.key
	e.key = other
	r := e.multi("/v1/files", []part{{"files", "fast.txt", []byte("fast")}}, nil)
	e.key = save
	id := str(r.json(t)["uploaded"].([]any)[0].(map[string]any), "id")
	fast.awaitEvent("file.ready", id)
	if n := len(slow.got()); n != 3 {
		t.Fatalf("the slow endpoint has %d deliveries in flight; want PerAccount, 3", n)
	}
	t.Logf("the other account's delivery took %s while the slow endpoint held its slots", time.Since(before).Round(time.Millisecond))
	slow.release()
}

// TestWebhookSSRF: a webhook URL to the metadata service, a private or
// a loopback address is refused when it is set; and an endpoint whose
// address is refused only when dialled (here one put past the API's
// check, as a name that resolves elsewhere later would be) gets
// nothing: each attempt is logged with the refusal.
func TestWebhookSSRF(t *testing.T) {
	rc := newReceiver(t)
	u, _ := url.Parse(rc.srv.URL)
	p, _ := strconv.Atoi(u.Port())
	// The receiver's port is allowed, loopback is not.
	e := newEnv(t, testenv.SQLite(t), envOpts{fetch: fetch.Config{AllowedPorts: []int{p, 80}}})
	for _, target := range []string{
		"http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/hook", "http://192.168.1.1/hook",
		"http://172.16.0.1/hook", "http://100.64.0.1/hook", "http://[fd00::1]/hook", "http://[::ffff:127.0.0.1]/hook",
		rc.srv.URL, "http://localhost:" + u.Port() + "/hook", "http://0x7f000001/hook", "http://2130706433/hook",
		"file:///etc/passwd", "https://user:pw@example.com/hook",
	} {
		b, _ := json.Marshal(map[string]any{"url": target, "events": []string{"*"}})
		r := e.postJSON("/v1/webhooks", string(b), nil)
		if r.status != http.StatusBadRequest || r.errorCode(t) != "invalid_request" {
			t.Errorf("webhook to %s = %d %s; want 400", target, r.status, r.body)
		}
	}
	if ws, _ := e.db.ListWebhooks(t.Context(), e.userID, "", 100); len(ws) != 0 {
		t.Fatalf("%d webhooks made of refused URLs", len(ws))
	}

	var ids []string
	for _, target := range []string{rc.srv.URL + "/hook", "http://localhost:" + u.Port() + "/hook"} {
		w := &db.Webhook{ID: db.NewID(db.PrefixWebhook), UserID: e.userID, URL: target, Events: "*", CreatedAt: 1, UpdatedAt: 1}
		if err := e.db.CreateWebhook(t.Context(), w, 10); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, w.ID)
	}
	e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	for _, id := range ids {
		for _, a := range e.awaitLog(id, 2)[:2] {
			if a["succeeded"] != false || a["status_code"] != nil || !strings.Contains(str(a, "error"), "not allowed") {
				t.Fatalf("attempt to a refused address: %v", a)
			}
		}
	}
	if n := len(rc.got()); n != 0 {
		t.Fatalf("the loopback receiver got %d requests; want none", n)
	}
}

// TestWebhookSweep: when nothing dispatches an event after its commit (a
// process dying right then), reconcile's sweep does, and the receiver
// gets it once.
func TestWebhookSweep(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		rc := newReceiver(t)
		e := hookEnv(t, d, rc, envOpts{noDispatch: true})
		_, secret := e.createWebhook(rc.srv.URL, "file.ready")
		r := e.multi("/v1/files", []part{{"files", "a.txt", []byte("a")}}, nil)
		id := str(r.json(t)["uploaded"].([]any)[0].(map[string]any), "id")
		evs, err := e.db.EventsOf(t.Context(), id)
		if err != nil || len(evs) != 1 || evs[0].DispatchedAt != nil {
			t.Fatalf("events %+v, %v; want one undispatched", evs, err)
		}
		later := func() time.Time { return time.Now().Add(time.Minute) }
		s, err := scheduler.New(scheduler.Config{}, scheduler.Deps{DB: e.db, Redis: e.deps.Redis, Now: later})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // twice: the second finds nothing to do
			if _, err := s.Reconcile(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		verified(t, rc.awaitEvent("file.ready", id), secret)
		if log := e.awaitLog(str(e.getJSON("/v1/webhooks")["data"].([]any)[0].(map[string]any), "id"), 1); len(log) != 1 || len(rc.got()) != 1 {
			t.Fatalf("%d attempts logged, %d received; want 1", len(log), len(rc.got()))
		}
	})
}
