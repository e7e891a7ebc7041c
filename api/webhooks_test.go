package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"picpipe/db"
	"picpipe/internal/testenv"
)

// hit is one request a receiver got.
type hit struct {
	header http.Header
	body   []byte
	at     time.Time
	ev     hookEvent
}

// hookEvent is a delivery's body as the README documents it.
type hookEvent struct {
	ID        string          `json:"id"`
	Object    string          `json:"object"`
	Type      string          `json:"type"`
	CreatedAt int64           `json:"created_at"`
	Sequence  int64           `json:"sequence"`
	Variant   string          `json:"variant"`
	Data      json.RawMessage `json:"data"`
}

func (h hit) data(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(h.ev.Data, &m); err != nil {
		t.Fatalf("event %s data: %v", h.ev.ID, err)
	}
	return m
}

// receiver is a webhook endpoint on loopback that records every request
// and answers as answer says (200 "ok" when nil).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	hits   []hit
	answer func(h hit, nth int) (int, string) // nth: the how-manieth delivery of h's event, from 1
	hang   chan struct{}                      // while open, requests wait for it to close
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(func() {
		rc.release()
		rc.srv.Close()
	})
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h := hit{header: r.Header.Clone(), body: body, at: time.Now()}
	json.Unmarshal(body, &h.ev)
	rc.mu.Lock()
	hang := rc.hang
	rc.hits = append(rc.hits, h)
	nth := 0
	for _, o := range rc.hits {
		if o.ev.ID == h.ev.ID {
			nth++
		}
	}
	answer := rc.answer
	rc.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
			return
		}
	}
	status, text := http.StatusOK, "ok"
	if answer != nil {
		status, text = answer(h, nth)
	}
	w.WriteHeader(status)
	io.WriteString(w, text)
}

// setHang makes requests wait until release.
func (rc *receiver) setHang() {
	rc.mu.Lock()
	rc.hang = make(chan struct{})
	rc.mu.Unlock()
}

func (rc *receiver) release() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.hang != nil {
		close(rc.hang)
		rc.hang = nil
	}
}

func (rc *receiver) got() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.hits)
}

// await waits up to a minute for the hits to satisfy ok.
func (rc *receiver) await(what string, ok func([]hit) bool) []hit {
	rc.t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		hs := rc.got()
		if ok(hs) {
			return hs
		}
		if time.Now().After(deadline) {
			var types []string
			for _, h := range hs {
				types = append(types, h.ev.Type+" "+h.ev.ID)
			}
			rc.t.Fatalf("receiver: no %s after a minute; got %v", what, types)
		}
	}
}

// of returns the hits of events of type typ about the resource id.
func of(hs []hit, typ, id string) []hit {
	var out []hit
	for _, h := range hs {
		var d struct{ ID string }
		json.Unmarshal(h.ev.Data, &d)
		if h.ev.Type == typ && d.ID == id {
			out = append(out, h)
		}
	}
	return out
}

// awaitEvent waits for a delivery of the event typ about id.
func (rc *receiver) awaitEvent(typ, id string) hit {
	rc.t.Helper()
	hs := rc.await(typ+" of "+id, func(hs []hit) bool { return len(of(hs, typ, id)) > 0 })
	return of(hs, typ, id)[0]
}

// signedBy checks the Picpipe-Signature of h against secret as the
// README tells a receiver to, written here apart from package webhook:
// t and the v1 values from the header, HMAC-SHA256 keyed with the whole
// secret over t "." body, hex, within 5 minutes of now.
func signedBy(h hit, secret string) error {
	var (
		ts   string
		sigs []string
	)
	for _, kv := range strings.Split(h.header.Get("Picpipe-Signature"), ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("header %q has no time", h.header.Get("Picpipe-Signature"))
	}
	if d := time.Since(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("signed %s from now", d)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(h.body)))
	want := hex.EncodeToString(mac.Sum(nil))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no v1 of %q matches", h.header.Get("Picpipe-Signature"))
}

// verified fails the test unless h is a well-formed delivery signed by
// secret.
func verified(t *testing.T, h hit, secret string) {
	t.Helper()
	if err := signedBy(h, secret); err != nil {
		t.Fatalf("delivery of %s: %v", h.ev.ID, err)
	}
	if h.header.Get("Picpipe-Event-Id") != h.ev.ID || h.header.Get("Picpipe-Event-Type") != h.ev.Type ||
		!strings.HasPrefix(h.ev.ID, "evt_") || h.ev.Object != "event" || h.header.Get("Content-Type") != "application/json" {
		t.Fatalf("delivery headers %v, event %+v", h.header, h.ev)
	}
}

// hookEnv is a whole picpipe whose fetcher (URL ingest, webhook URLs and
// deliveries alike) allows loopback on the receiver's port.
func hookEnv(t *testing.T, d *db.DB, rc *receiver, o envOpts) *env {
	t.Helper()
	o.fetch = loopbackFetch(rc.srv)
	o.fetch.HeaderTimeout = 5 * time.Second
	return newEnv(t, d, o)
}

// createWebhook creates an endpoint for url taking events and returns
// its id and secret.
func (e *env) createWebhook(url string, events ...string) (string, string) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"url": url, "events": events})
	r := e.postJSON("/v1/webhooks", string(b), nil)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create webhook = %d %s", r.status, r.body)
	}
	m := r.json(e.t)
	return str(m, "id"), str(m, "secret")
}

// deliveries returns the endpoint's log, newest first.
func (e *env) deliveries(id string) []map[string]any {
	e.t.Helper()
	r := e.do("GET", "/v1/webhooks/"+id+"/deliveries?limit=100", nil, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("deliveries = %d %s", r.status, r.body)
	}
	var page struct{ Data []map[string]any }
	json.Unmarshal(r.body, &page)
	return page.Data
}

// awaitLog waits up to 30 s for the endpoint's log to hold n attempts
// (an attempt is logged just after its answer came) and returns it.
func (e *env) awaitLog(id string, n int) []map[string]any {
	e.t.Helper()
	log := e.deliveries(id)
	for deadline := time.Now().Add(30 * time.Second); len(log) < n && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		log = e.deliveries(id)
	}
	return log
}

// getJSON GETs path and returns its JSON.
func (e *env) getJSON(path string) map[string]any {
	e.t.Helper()
	r := e.do("GET", path, nil, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s = %d %s", path, r.status, r.body)
	}
	return r.json(e.t)
}

func without(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}

// TestWebhookLifecycle: a receiver on loopback gets each event of an
// image and of a file, in order, each signed with the endpoint's secret
// (checked by an independent implementation of the documented scheme),
// each carrying the resource exactly as the API answers it; on SQLite
// and PostgreSQL.
func TestWebhookLifecycle(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		rc := newReceiver(t)
		e := hookEnv(t, d, rc, envOpts{})
		hookID, secret := e.createWebhook(rc.srv.URL+"/hooks", "*")
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("secret %q", secret)
		}
		if m := e.getJSON("/v1/webhooks/" + hookID); m["secret"] != nil || m["status"] != "enabled" {
			t.Fatalf("GET shows %v", m)
		}

		up := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
		if up.status != http.StatusCreated {
			t.Fatalf("upload = %d %s", up.status, up.body)
		}
		id := str(up.json(t), "id")
		ready := rc.awaitEvent("image.ready", id)
		variant := rc.awaitEvent("image.variant.ready", id)
		e.settle(id)
		got := e.getJSON("/v1/images/" + id)
		if d := variant.data(t); !reflect.DeepEqual(d, got) || variant.ev.Variant != "avif" {
			t.Fatalf("image.variant.ready (%s) data\n%v\nGET\n%v", variant.ev.Variant, d, got)
		}
		rd := ready.data(t)
		avif, _ := rd["variants"].(map[string]any)["avif"].(map[string]any)
		if !reflect.DeepEqual(without(rd, "variants"), without(got, "variants")) || avif["status"] != "queued" || avif["size"] != nil {
			t.Fatalf("image.ready data\n%v\nGET\n%v", rd, got)
		}
		if r := e.do("DELETE", "/v1/images/"+id, nil, nil); r.status != http.StatusNoContent {
			t.Fatalf("delete = %d", r.status)
		}
		deleted := rc.awaitEvent("image.deleted", id)

		png := fixture(t, "alpha.png")
		bad := e.upload("cut.png", png[:len(png)/2], nil, map[string]string{"Prefer": "respond-async"})
		badID := str(bad.json(t), "id")
		failed := rc.awaitEvent("image.failed", badID)
		if fd, polled := failed.data(t), e.poll(badID); fd["status"] != "failed" ||
			fd["error"].(map[string]any)["code"] != "decode_failed" || !reflect.DeepEqual(fd, polled) {
			t.Fatalf("image.failed data %v; GET %v", fd, polled)
		}

		fr := e.multi("/v1/files", []part{{"files", "report.pdf", pdfDoc}}, nil)
		if fr.status != http.StatusCreated {
			t.Fatalf("file upload = %d %s", fr.status, fr.body)
		}
		fileID := str(fr.json(t)["uploaded"].([]any)[0].(map[string]any), "id")
		fileReady := rc.awaitEvent("file.ready", fileID)
		if fd := fileReady.data(t); !reflect.DeepEqual(fd, e.getJSON("/v1/files/"+fileID)) {
			t.Fatalf("file.ready data %v; GET %v", fd, e.getJSON("/v1/files/"+fileID))
		}
		e.do("DELETE", "/v1/files/"+fileID, nil, nil)
		rc.awaitEvent("file.deleted", fileID)

		// Every delivery is signed; the image's arrived in the order of
		// its transitions, with rising sequences; none came twice.
		seen := map[string]bool{}
		for _, h := range rc.got() {
			verified(t, h, secret)
			if seen[h.ev.ID] {
				t.Fatalf("event %s delivered twice to a receiver answering 200", h.ev.ID)
			}
			seen[h.ev.ID] = true
		}
		order := []hit{ready, variant, deleted}
		for i := 1; i < len(order); i++ {
			if order[i].ev.Sequence <= order[i-1].ev.Sequence || order[i].at.Before(order[i-1].at) {
				t.Fatalf("%s (seq %d) after %s (seq %d)", order[i].ev.Type, order[i].ev.Sequence, order[i-1].ev.Type, order[i-1].ev.Sequence)
			}
		}

		// The log has one successful attempt per event, with the answer.
		log := e.awaitLog(hookID, len(seen))
		if len(log) != len(seen) {
			t.Fatalf("log has %d attempts; want %d", len(log), len(seen))
		}
		for _, a := range log {
			if a["succeeded"] != true || a["status_code"] != 200.0 || a["response"] != "ok" || a["attempt"] != 1.0 || a["error"] != nil {
				t.Fatalf("log entry %v", a)
			}
		}
	})
}

// TestWebhookRetry: a receiver answering 500 once, then 200, sees the
// same event again (same id and body), and the log shows both attempts;
// a manual resend of a logged attempt delivers it once more.
func TestWebhookRetry(t *testing.T) {
	rc := newReceiver(t)
	rc.answer = func(h hit, nth int) (int, string) {
		if nth == 1 {
			return http.StatusInternalServerError, "boom"
		}
		return http.StatusOK, "ok"
	}
	e := hookEnv(t, testenv.SQLite(t), rc, envOpts{})
	hookID, secret := e.createWebhook(rc.srv.URL, "image.ready")
	up := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	id := str(up.json(t), "id")
	hs := rc.await("a retry", func(hs []hit) bool { return len(of(hs, "image.ready", id)) >= 2 })
	first, second := of(hs, "image.ready", id)[0], of(hs, "image.ready", id)[1]
	verified(t, first, secret)
	verified(t, second, secret)
	if first.ev.ID != second.ev.ID || string(first.body) != string(second.body) {
		t.Fatalf("the retry differs:\n%s\n%s", first.body, second.body)
	}
	if second.header.Get("Picpipe-Delivery-Attempt") != "2" {
		t.Fatalf("retry's attempt header %q", second.header.Get("Picpipe-Delivery-Attempt"))
	}
	log := e.awaitLog(hookID, 2)
	if len(log) != 2 {
		t.Fatalf("log %v; want 2 attempts", log)
	}
	if a := log[1]; a["succeeded"] != false || a["status_code"] != 500.0 || a["response"] != "boom" || a["attempt"] != 1.0 {
		t.Fatalf("first attempt %v", a)
	}
	if a := log[0]; a["succeeded"] != true || a["status_code"] != 200.0 || a["attempt"] != 2.0 {
		t.Fatalf("second attempt %v", a)
	}
	if log[1]["event_id"] != first.ev.ID || log[1]["event_type"] != "image.ready" {
		t.Fatalf("log names %v", log[1])
	}

	r := e.postJSON("/v1/webhooks/"+hookID+"/deliveries/"+str(log[1], "id")+"/retry", ``, nil)
	if r.status != http.StatusAccepted || r.json(t)["event_id"] != first.ev.ID {
		t.Fatalf("retry = %d %s", r.status, r.body)
	}
	hs = rc.await("the resend", func(hs []hit) bool { return len(of(hs, "image.ready", id)) >= 3 })
	if third := of(hs, "image.ready", id)[2]; string(third.body) != string(first.body) {
		t.Fatalf("the resend differs: %s", third.body)
	} else {
		verified(t, third, secret)
	}
	if log = e.awaitLog(hookID, 3); len(log) != 3 || log[0]["manual"] != true || log[0]["succeeded"] != true {
		t.Fatalf("log after the resend: %v", log)
	}
}
