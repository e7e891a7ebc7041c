package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/redis/go-redis/v9"

	"picpipe/api"
	"picpipe/db"
	"picpipe/fetch"
	"picpipe/imaging"
	"picpipe/internal/testenv"
	"picpipe/worker"
)

func init() {
	// The contract's event streams: checked for status, headers and
	// Content-Type; their events are checked by the tests here.
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.FileBodyDecoder)
}

// sseEvent is one event of a stream, or a comment.
type sseEvent struct {
	id, name, data, comment string
}

// sseStream reads a status stream as a client does.
type sseStream struct {
	t      *testing.T
	res    *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

// openEvents GETs path (an events route) from e with header; it returns
// the stream when the answer is 200, otherwise the answer.
func (e *env) openEvents(path string, header map[string]string) (*sseStream, resp) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second) // a hung stream fails the test
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.key)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		defer cancel()
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return nil, resp{res.StatusCode, res.Header, b}
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		e.t.Fatalf("a stream of Content-Type %q", ct)
	}
	s := &sseStream{t: e.t, res: res, r: bufio.NewReader(res.Body), cancel: cancel}
	e.t.Cleanup(s.close)
	return s, resp{status: res.StatusCode, header: res.Header}
}

// close hangs up, as a client that goes away.
func (s *sseStream) close() {
	s.cancel()
	s.res.Body.Close()
}

// next returns the next event or comment; false when the server ended
// the stream.
func (s *sseStream) next() (sseEvent, bool) {
	s.t.Helper()
	var ev sseEvent
	seen := false
	for {
		line, err := s.r.ReadString('\n')
		if err == io.EOF && line == "" && !seen {
			return ev, false
		} else if err != nil {
			s.t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if ev.data != "" || ev.comment != "" {
				return ev, true
			}
			seen = false // a block of retry: only
			continue
		}
		seen = true
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			ev.comment = value
		case "id":
			ev.id = value
		case "event":
			ev.name = value
		case "data":
			ev.data += value
		case "retry":
		default:
			s.t.Fatalf("unknown field in %q", line)
		}
	}
}

// event returns the next event, skipping comments; false at the end.
func (s *sseStream) event() (sseEvent, bool) {
	s.t.Helper()
	for {
		ev, ok := s.next()
		if !ok || ev.comment == "" {
			return ev, ok
		}
	}
}

// status returns the status of an event's resource.
func (ev sseEvent) status(t *testing.T) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
		t.Fatalf("event data %q: %v", ev.data, err)
	}
	if m["deleted"] == true {
		return "deleted"
	}
	return str(m, "status")
}

// rest reads the stream to its end and returns its events.
func (s *sseStream) rest() []sseEvent {
	s.t.Helper()
	var evs []sseEvent
	for {
		ev, ok := s.event()
		if !ok {
			return evs
		}
		evs = append(evs, ev)
	}
}

// startWorker starts a worker on e's database, store and Redis, until
// the test ends.
func (e *env) startWorker() {
	e.t.Helper()
	if err := imaging.Startup(); err != nil {
		e.t.Fatal(err)
	}
	proc, err := imaging.NewProcessor(imaging.Config{})
	if err != nil {
		e.t.Fatal(err)
	}
	fetcher, err := fetch.New(fetch.Config{})
	if err != nil {
		e.t.Fatal(err)
	}
	w, err := worker.New(worker.Config{Concurrency: 2, ShutdownTimeout: 5 * time.Second},
		worker.Deps{DB: e.db, Store: e.deps.Store, Redis: e.deps.Redis, Processor: proc, Fetcher: fetcher})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// eventually fails the test unless cond holds within 30 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// TestEventsAcrossProcesses follows an image uploaded through one API
// process on a stream of another (same Redis, same database): queued at
// once — the stream sends before anything changes — then each change the
// worker makes, to ready with its AVIF final, and the end of the stream.
func TestEventsAcrossProcesses(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		a := newEnv(t, d, envOpts{noWorker: true})
		b := a.another()
		r := a.upload("photo.jpg", fixture(t, "photo.jpg"), nil, map[string]string{"Prefer": "respond-async"})
		id := str(r.json(t), "id")
		s, _ := b.openEvents("/v1/images/"+id+"/events", nil)
		first, _ := s.event()
		if first.name != "status" || first.status(t) != "queued" || first.id != "queued" {
			t.Fatalf("first event %+v; want the queued image", first)
		}
		a.startWorker()
		evs := s.rest()
		if len(evs) == 0 {
			t.Fatal("the stream ended without an event after queued")
		}
		last := evs[len(evs)-1]
		var img map[string]any
		json.Unmarshal([]byte(last.data), &img)
		avif, _ := img["variants"].(map[string]any)["avif"].(map[string]any)
		if img["status"] != "ready" || avif == nil || (avif["status"] != "ready" && avif["status"] != "skipped") {
			t.Fatalf("last event %+v; want the ready image with its AVIF final", last)
		}
		seen, shown := map[string]bool{}, "queued"
		for _, ev := range evs {
			if seen[ev.id] {
				t.Fatalf("state %s sent twice: %+v", ev.id, evs)
			}
			seen[ev.id] = true
			want := "status"
			if ev.status(t) == shown {
				want = "variant"
			}
			if ev.name != want {
				t.Fatalf("event %+v named %s; want %s", ev, ev.name, want)
			}
			shown = ev.status(t)
		}
		t.Logf("events: %v", func() (ids []string) {
			for _, ev := range evs {
				ids = append(ids, ev.name+":"+ev.id)
			}
			return
		}())
	})
}

// TestEventsDeleteElsewhere deletes through one process an image and a
// file whose streams another process serves: each ends with deleted.
func TestEventsDeleteElsewhere(t *testing.T) {
	a := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	b := a.another()
	img := str(a.upload("photo.jpg", fixture(t, "photo.jpg"), nil, map[string]string{"Prefer": "respond-async"}).json(t), "id")
	r := a.multi("/v1/files", []part{{"files", "photo.jpg", fixture(t, "photo.jpg")}}, map[string]string{})
	file := str(r.json(t)["uploaded"].([]any)[0].(map[string]any), "id")
	for _, tt := range []struct{ path, first, del string }{
		{"/v1/images/" + img, "queued", "/v1/images/" + img},
		{"/v1/files/" + file, "processing", "/v1/files/" + file}, // an image kept as a file: cleaned by a worker
	} {
		s, _ := b.openEvents(tt.path+"/events", nil)
		if ev, _ := s.event(); ev.status(t) != tt.first {
			t.Fatalf("%s: first event %+v; want %s", tt.path, ev, tt.first)
		}
		if r := a.do("DELETE", tt.del, nil, nil); r.status != http.StatusNoContent {
			t.Fatalf("DELETE %s = %d", tt.del, r.status)
		}
		ev, ok := s.event()
		if !ok || ev.name != "deleted" || ev.id != "deleted" || ev.status(t) != "deleted" {
			t.Fatalf("%s: after the delete %+v, %v; want deleted", tt.path, ev, ok)
		}
		if _, ok := s.event(); ok {
			t.Fatalf("%s: the stream goes on after deleted", tt.path)
		}
	}
}

// TestEventsLastEventID checks reconnections: with the final state's id
// 204 (an EventSource stops), with an earlier one the state now; and a
// final resource's stream sends it and ends.
func TestEventsLastEventID(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	r := e.multi("/v1/files", []part{{"files", "notes.csv", []byte("a,b\n")}}, nil)
	file := str(r.json(t)["uploaded"].([]any)[0].(map[string]any), "id")
	s, _ := e.openEvents("/v1/files/"+file+"/events", nil)
	evs := s.rest()
	if len(evs) != 1 || evs[0].id != "ready" || evs[0].name != "status" {
		t.Fatalf("a ready file's stream: %+v; want one status event, ready, and the end", evs)
	}
	if _, r := e.openEvents("/v1/files/"+file+"/events", map[string]string{"Last-Event-ID": "ready"}); r.status != http.StatusNoContent {
		t.Fatalf("reconnect after the final event = %d; want 204", r.status)
	}
	s, _ = e.openEvents("/v1/files/"+file+"/events", map[string]string{"Last-Event-ID": "processing"})
	if evs := s.rest(); len(evs) != 1 || evs[0].id != "ready" {
		t.Fatalf("reconnect from processing: %+v; want ready", evs)
	}
	if _, r := e.openEvents("/v1/images/img_nope/events", nil); r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
		t.Fatalf("an unknown image's stream = %d %s", r.status, r.body)
	}
	other := e.newUserKey()
	if _, r := e.openEvents("/v1/files/"+file+"/events", map[string]string{"Authorization": "Bearer " + other}); r.status != http.StatusNotFound {
		t.Fatalf("another account's file's stream = %d; want 404", r.status)
	}
}

// TestEventsLimitAndHangUp checks the per-account stream limit, across
// processes, the heartbeat, and that a client hanging up leaves nothing
// behind: no listener on the fan-out, no slot in Redis.
func TestEventsLimitAndHangUp(t *testing.T) {
	a := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{MaxStreams: 2, StreamHeartbeat: 20 * time.Millisecond}})
	b := a.another()
	id := str(a.upload("photo.jpg", fixture(t, "photo.jpg"), nil, map[string]string{"Prefer": "respond-async"}).json(t), "id")
	path := "/v1/images/" + id + "/events"
	s1, _ := a.openEvents(path, nil)
	s2, _ := b.openEvents(path, nil)
	if _, r := b.openEvents(path, nil); r.status != http.StatusTooManyRequests || r.errorCode(t) != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("a third stream = %d %v %s; want 429 rate_limited with Retry-After", r.status, r.header, r.body)
	}
	other := map[string]string{"Authorization": "Bearer " + a.newUserKey()}
	theirs := str(a.upload("photo.jpg", fixture(t, "photo.jpg"), nil, map[string]string{"Authorization": other["Authorization"],
		"Prefer": "respond-async"}).json(t), "id")
	if s, r := b.openEvents("/v1/images/"+theirs+"/events", other); s == nil {
		t.Fatalf("another account's stream = %d %s; want it admitted, under its own limit", r.status, r.body)
	} else {
		s.close()
	}
	for _, s := range []*sseStream{s1, s2} {
		if ev, _ := s.event(); ev.status(t) != "queued" {
			t.Fatalf("first event %+v", ev)
		}
		if ev, _ := s.next(); ev.comment != "heartbeat" {
			t.Fatalf("after the first event %+v; want a heartbeat comment", ev)
		}
	}
	eventually(t, "one listener on each process (the other account's stream hung up)", func() bool {
		return a.api.Listeners() == 1 && b.api.Listeners() == 1
	})
	s1.close()
	eventually(t, "a hung-up stream leaves the fan-out", func() bool { return a.api.Listeners() == 0 })
	var s3 *sseStream
	eventually(t, "a new stream is admitted once one hung up", func() bool {
		s3, _ = a.openEvents(path, nil)
		return s3 != nil
	})
	s2.close()
	s3.close()
	eventually(t, "every stream leaves the fan-out", func() bool { return a.api.Listeners()+b.api.Listeners() == 0 })
	opt, err := redis.ParseURL(a.redis.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	eventually(t, "every slot is given back", func() bool {
		n, err := rdb.ZCard(context.Background(), "picpipe:streams:"+a.userID).Result()
		return err == nil && n == 0
	})
}

// eventsScenario validates the streams' answers against the contract:
// a stream, a reconnection with nothing new, an unknown resource; and
// each event's data against the schema of its resource.
func eventsScenario(t *testing.T, c *contract, e *env) {
	r := e.multi("/v1/files", []part{{"files", "notes.csv", []byte("a,b\n")}}, nil)
	file := str(r.json(t)["uploaded"].([]any)[0].(map[string]any), "id")
	img := str(e.upload("photo.jpg", fixture(t, "photo.jpg"), map[string]string{"quality": "77"}, nil).json(t), "id")
	get := func(h map[string]string) func(string) resp {
		return func(p string) resp { return e.do("GET", p, nil, h) }
	}
	schema := func(name string) func(*testing.T, resp) {
		return func(t *testing.T, r resp) {
			s := &sseStream{t: t, r: bufio.NewReader(strings.NewReader(string(r.body)))}
			for _, ev := range s.rest() {
				var v any
				json.Unmarshal([]byte(ev.data), &v)
				if err := c.doc.Components.Schemas[name].Value.VisitJSON(v); err != nil {
					t.Fatalf("event %s: %v", ev.data, err)
				}
			}
		}
	}
	c.run(t, []step{
		{"image events", "GET", fixed("/v1/images/" + img + "/events"), get(nil), 200, schema("Image")},
		{"image events, seen", "GET", fixed("/v1/images/" + img + "/events"), func(p string) resp {
			s, _ := e.openEvents(p, nil)
			last := s.rest()
			return e.do("GET", p, nil, map[string]string{"Last-Event-ID": last[len(last)-1].id})
		}, 204, nil},
		{"image events, unknown", "GET", fixed("/v1/images/img_nope/events"), get(nil), 404, nil},
		{"file events", "GET", fixed("/v1/files/" + file + "/events"), get(nil), 200, schema("File")},
		{"file events, seen", "GET", fixed("/v1/files/" + file + "/events"), get(map[string]string{"Last-Event-ID": "ready"}), 204, nil},
		{"file events, unknown", "GET", fixed("/v1/files/file_nope/events"), get(nil), 404, nil},
	})
}
