package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe/api"
	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/scheduler"
)

// withKey returns header with an Idempotency-Key.
func withKey(key string, header map[string]string) map[string]string {
	h := map[string]string{"Idempotency-Key": key}
	for k, v := range header {
		h[k] = v
	}
	return h
}

// imageCount is how many images the env's account holds.
func (e *env) imageCount() int {
	e.t.Helper()
	imgs, err := e.db.ListImages(context.Background(), e.userID, "", 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(imgs)
}

// fileCount is how many files the env's account holds.
func (e *env) fileCount() int {
	e.t.Helper()
	files, err := e.db.ListFiles(context.Background(), e.userID, "", 100, time.Now().Unix())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(files)
}

// sameAnswer fails the test unless replay is first again, replayed.
func sameAnswer(t *testing.T, first, replay resp) {
	t.Helper()
	if replay.status != first.status || !bytes.Equal(replay.body, first.body) {
		t.Fatalf("replay = %d %s; want %d %s", replay.status, replay.body, first.status, first.body)
	}
	for _, h := range []string{"Location", "Content-Type"} {
		if replay.header.Get(h) != first.header.Get(h) {
			t.Fatalf("replay's %s = %q; want %q", h, replay.header.Get(h), first.header.Get(h))
		}
	}
	if replay.header.Get("Idempotent-Replayed") != "true" || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("Idempotent-Replayed: first %q, replay %q; want none, then true",
			first.header.Get("Idempotent-Replayed"), replay.header.Get("Idempotent-Replayed"))
	}
	if replay.header.Get("X-Request-Id") == first.header.Get("X-Request-Id") {
		t.Fatal("the replay carries the first request's X-Request-Id")
	}
}

// TestIdempotencyKey runs one key through its answers on SQLite and
// PostgreSQL: the first answer replayed (the form sent again with a new
// boundary), another body or another kind of body under the key 422 with
// nothing kept, the key on another path or of another account its own.
func TestIdempotencyKey(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpts{})
		photo, png := fixture(t, "photo.jpg"), fixture(t, "alpha.png")
		first := e.upload("photo.jpg", photo, nil, withKey("k-1", nil))
		if first.status != http.StatusCreated {
			t.Fatalf("first upload = %d %s", first.status, first.body)
		}
		sameAnswer(t, first, e.upload("photo.jpg", photo, nil, withKey("k-1", nil)))
		sameAnswer(t, first, e.upload("photo.jpg", photo, nil, withKey(`"k-1"`, nil))) // the draft's sf-string

		other := e.upload("alpha.png", png, nil, withKey("k-1", nil))
		if other.status != http.StatusUnprocessableEntity || other.errorCode(t) != "idempotency_key_reused" {
			t.Fatalf("another file under the key = %d %s; want 422 idempotency_key_reused", other.status, other.body)
		}
		options := e.upload("photo.jpg", photo, map[string]string{"quality": "50"}, withKey("k-1", nil))
		if options.status != http.StatusUnprocessableEntity {
			t.Fatalf("other options under the key = %d %s; want 422", options.status, options.body)
		}
		asJSON := e.postJSON("/v1/images", `{"data": "data:image/png;base64,AAAA"}`, withKey("k-1", nil))
		if asJSON.status != http.StatusUnprocessableEntity || asJSON.errorCode(t) != "idempotency_key_reused" {
			t.Fatalf("a JSON body under the key = %d %s; want 422", asJSON.status, asJSON.body)
		}
		if n := e.imageCount(); n != 1 {
			t.Fatalf("%d images; want the one", n)
		}
		if b := e.blobs("staging"); len(b) > 1 {
			t.Fatalf("staged blobs %v; want at most the first upload's", b)
		}

		fb, fct := multipartOf([]part{{"files", "photo.jpg", photo}}, nil)
		onFiles := e.do("POST", "/v1/files", fb, withKey("k-1", map[string]string{"Content-Type": fct}))
		if onFiles.status != http.StatusCreated || onFiles.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("the key on another path = %d %s; want a key of its own, run", onFiles.status, onFiles.body)
		}

		theirs := e.newUserKey()
		r := e.upload("photo.jpg", photo, nil, withKey("k-1", map[string]string{"Authorization": "Bearer " + theirs}))
		if r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" || str(r.json(t), "id") == str(first.json(t), "id") {
			t.Fatalf("another account's k-1 = %d %v %s; want its own new image", r.status, r.header, r.body)
		}
	})
}

// TestIdempotencyKeyRefusedKeeps checks that a request refused before it
// recorded anything keeps no answer under its key, so that the client
// can fix it and retry with the same key; and that keys are checked.
func TestIdempotencyKeyRefusedKeeps(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	photo := fixture(t, "photo.jpg")
	bad := e.upload("photo.jpg", photo, map[string]string{"quality": "0"}, withKey("fix-me", nil))
	if bad.status != http.StatusBadRequest {
		t.Fatalf("quality 0 = %d %s", bad.status, bad.body)
	}
	notImage := e.upload("photo.jpg", exe, nil, withKey("fix-me", nil))
	if notImage.status != http.StatusBadRequest || notImage.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("not an image = %d %v %s; want 400, not a replay", notImage.status, notImage.header, notImage.body)
	}
	fixed := e.upload("photo.jpg", photo, map[string]string{"quality": "80"}, withKey("fix-me", nil))
	if fixed.status != http.StatusCreated || fixed.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the corrected request = %d %s; want 201, run", fixed.status, fixed.body)
	}
	sameAnswer(t, fixed, e.upload("photo.jpg", photo, map[string]string{"quality": "80"}, withKey("fix-me", nil)))

	// The same form with its fields in another order is the same request.
	ordered := func(names ...string) resp {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, n := range names {
			if n == "file" {
				w, _ := mw.CreateFormFile("file", "photo.jpg")
				w.Write(photo)
				continue
			}
			mw.WriteField(n, map[string]string{"quality": "70", "resize": "100x"}[n])
		}
		mw.Close()
		return e.do("POST", "/v1/images", &buf, withKey("ordered", map[string]string{"Content-Type": mw.FormDataContentType()}))
	}
	first := ordered("quality", "resize", "file")
	if first.status != http.StatusCreated {
		t.Fatalf("ordered upload = %d %s", first.status, first.body)
	}
	sameAnswer(t, first, ordered("file", "resize", "quality"))

	for _, tt := range []struct {
		key  string
		want int
	}{
		{strings.Repeat("k", 256), http.StatusBadRequest},
		{`""`, http.StatusBadRequest},
		{"caf\u00e9", http.StatusBadRequest},
		{strings.Repeat("k", 255), http.StatusCreated},
	} {
		r := e.upload("photo.jpg", photo, map[string]string{"quality": "81"}, withKey(tt.key, nil))
		if r.status != tt.want {
			t.Errorf("key of %d bytes = %d %s; want %d", len(tt.key), r.status, r.body, tt.want)
		}
		if r.status == http.StatusBadRequest && r.errorCode(t) != "invalid_request" {
			t.Errorf("key %q: code %s; want invalid_request", tt.key, r.errorCode(t))
		}
	}
}

// TestIdempotencyKeyConcurrent sends a second request under a key while
// the first is still sending its body: 409, and the first then completes
// and is replayed.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	photo := fixture(t, "photo.jpg")
	body, ct := form(t, "photo.jpg", photo, nil)
	whole, _ := io.ReadAll(body)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/images", pr)
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Idempotency-Key", "slow")
	firstDone := make(chan resp, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			firstDone <- resp{status: -1, body: []byte(err.Error())}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		firstDone <- resp{res.StatusCode, res.Header, b}
	}()
	pw.Write(whole[:len(whole)/2])
	for deadline := time.Now().Add(10 * time.Second); e.api.IdempotentRunning() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first request never claimed its key")
		}
	}
	second := e.do("POST", "/v1/images", bytes.NewReader(whole), withKey("slow", map[string]string{"Content-Type": ct}))
	if second.status != http.StatusConflict || second.errorCode(t) != "idempotency_in_progress" || second.header.Get("Retry-After") == "" {
		t.Fatalf("the same key meanwhile = %d %v %s; want 409 idempotency_in_progress with Retry-After", second.status, second.header, second.body)
	}
	pw.Write(whole[len(whole)/2:])
	pw.Close()
	first := <-firstDone
	if first.status != http.StatusCreated {
		t.Fatalf("the first request = %d %s", first.status, first.body)
	}
	sameAnswer(t, first, e.do("POST", "/v1/images", bytes.NewReader(whole), withKey("slow", map[string]string{"Content-Type": ct})))
	if n := e.imageCount(); n != 1 {
		t.Fatalf("%d images; want 1", n)
	}
}

// rawPost sends a whole POST on a connection of its own and closes it
// without reading the answer: a client whose network dropped after it
// sent the body.
func rawPost(t *testing.T, addr, path string, header map[string]string, body []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", path, addr, len(body))
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	b.Write(body)
	if _, err := conn.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	conn.Close()
}

// claimed waits until the account holds a record of key on POST path:
// until a request sent without waiting for its answer has reached the
// server.
func (e *env) claimed(path, key string) {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, err := e.db.IdempotencyKeyOf(context.Background(), e.userID, "POST", path, key, time.Now().Unix())
		if err == nil {
			return
		}
		if !errors.Is(err, db.ErrIdempotencyKeyNotFound) || time.Now().After(deadline) {
			e.t.Fatalf("no record of %s on %s: %v", key, path, err)
		}
	}
}

// retried sends a request until it is not 409 (its first is still
// running) and returns the answer.
func (e *env) retried(send func() resp) resp {
	e.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r := send()
		if r.status != http.StatusConflict || time.Now().After(deadline) {
			return r
		}
	}
}

// TestIdempotencyKeyDroppedConnection uploads, drops the connection
// after the body and before the answer, and retries with the same key:
// one image, and one file — files, unlike images, are not found again by
// their content, so only the key keeps the retry from storing a second.
func TestIdempotencyKeyDroppedConnection(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	photo := fixture(t, "photo.jpg")

	body, ct := form(t, "photo.jpg", photo, nil)
	whole, _ := io.ReadAll(body)
	h := map[string]string{"Authorization": "Bearer " + e.key, "Content-Type": ct, "Idempotency-Key": "dropped", "Prefer": "wait=30"}
	rawPost(t, addr, "/v1/images", h, whole)
	e.claimed("/v1/images", "dropped")
	r := e.retried(func() resp {
		return e.do("POST", "/v1/images", bytes.NewReader(whole), withKey("dropped", map[string]string{"Content-Type": ct}))
	})
	if r.status >= 300 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry = %d %v %s; want the first answer replayed", r.status, r.header, r.body)
	}
	if n := e.imageCount(); n != 1 {
		t.Fatalf("%d images after a dropped upload and its retry; want 1", n)
	}

	fbody, fct := multipartOf([]part{{"files", "notes.csv", []byte("a,b\n1,2\n")}}, nil)
	fwhole, _ := io.ReadAll(fbody)
	rawPost(t, addr, "/v1/files", map[string]string{"Authorization": "Bearer " + e.key, "Content-Type": fct, "Idempotency-Key": "dropped-file"}, fwhole)
	e.claimed("/v1/files", "dropped-file")
	fr := e.retried(func() resp {
		return e.do("POST", "/v1/files", bytes.NewReader(fwhole), withKey("dropped-file", map[string]string{"Content-Type": fct}))
	})
	if fr.status != http.StatusCreated {
		t.Fatalf("the file's retry = %d %s", fr.status, fr.body)
	}
	if n := e.fileCount(); n != 1 {
		t.Fatalf("%d files after a dropped upload and its retry; want 1 (replayed: %q)", n, fr.header.Get("Idempotent-Replayed"))
	}
}

// testClock is a clock a test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestIdempotencyKeyExpires checks that a key is answered again for 24
// hours and is a new key after them, that the scheduler's purge removes
// it, and that a request whose process died is taken over once its lease
// has run out — refused, and left for the next, when its body is not
// the one the dead request had read.
func TestIdempotencyKeyExpires(t *testing.T) {
	clock := &testClock{t: time.Now()}
	e := newEnv(t, testenv.SQLite(t), envOpts{now: clock.now})
	csv := func(s string) (io.Reader, string) { return multipartOf([]part{{"files", "a.csv", []byte(s)}}, nil) }
	post := func(key, content string) resp {
		b, ct := csv(content)
		return e.do("POST", "/v1/files", b, withKey(key, map[string]string{"Content-Type": ct}))
	}
	first := post("day", "a,b\n")
	clock.add(24*time.Hour - time.Second)
	sameAnswer(t, first, post("day", "a,b\n"))
	clock.add(time.Second)
	if r := post("day", "a,b\n"); r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("after 24 h = %d %v; want the request run anew", r.status, r.header)
	}
	if n := e.fileCount(); n != 2 {
		t.Fatalf("%d files; want 2", n)
	}

	sch, err := scheduler.New(scheduler.Config{}, scheduler.Deps{DB: e.db, Store: e.deps.Store, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	clock.add(24 * time.Hour)
	if _, err := sch.Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	n, err = e.db.PurgeIdempotencyKeys(context.Background(), clock.now().Unix())
	if err != nil || n != 0 {
		t.Fatalf("records left after the scheduler's purge: %d, %v", n, err)
	}

	// A request whose process died holding the key: planted as that
	// process left it, with the body print it had recorded.
	b, ct := csv("x,y\n")
	whole, _ := io.ReadAll(b)
	probe := httptest.NewRequest("POST", "/v1/files", nil)
	probe.Header.Set("Content-Type", ct)
	now := clock.now().Unix()
	dead := &db.IdempotencyKey{UserID: e.userID, Method: "POST", Path: "/v1/files", Key: "crashed",
		RequestHash: api.RequestHash(probe), Owner: "dead", LeaseUntil: now + 30, CreatedAt: now, ExpiresAt: now + 86400}
	if _, err := e.db.ClaimIdempotencyKey(context.Background(), dead, now); err != nil {
		t.Fatal(err)
	}
	dead.BodyHash, dead.BodySize = "raw:another body", 10
	if err := e.db.SetIdempotencyBody(context.Background(), dead); err != nil {
		t.Fatal(err)
	}
	send := func() resp {
		return e.do("POST", "/v1/files", bytes.NewReader(whole), withKey("crashed", map[string]string{"Content-Type": ct}))
	}
	if r := send(); r.status != http.StatusConflict {
		t.Fatalf("within the dead request's lease = %d %s; want 409", r.status, r.body)
	}
	clock.add(31 * time.Second)
	before := e.fileCount()
	if r := send(); r.status != http.StatusUnprocessableEntity || r.errorCode(t) != "idempotency_key_reused" {
		t.Fatalf("another body than the dead request's = %d %s; want 422", r.status, r.body)
	}
	if r := send(); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("again = %d %s; want 422 again: the record is kept for the next", r.status, r.body)
	}
	if n := e.fileCount(); n != before || len(e.blobs("files")) != before {
		t.Fatalf("%d files, blobs %v after refusals; want %d", n, e.blobs("files"), before)
	}
	dead.Key, dead.BodyHash = "crashed-same", ""
	dead.Owner = "dead2"
	if _, err := e.db.ClaimIdempotencyKey(context.Background(), dead, clock.now().Unix()); err != nil {
		t.Fatal(err)
	}
	clock.add(31 * time.Second)
	r := e.do("POST", "/v1/files", bytes.NewReader(whole), withKey("crashed-same", map[string]string{"Content-Type": ct}))
	if r.status != http.StatusCreated {
		t.Fatalf("the retry of a dead request = %d %s; want it run", r.status, r.body)
	}
}

// TestIdempotencyKeyEveryPost checks that every POST route the router
// serves — native, seed mounts, whatever is added later — takes the
// Idempotency-Key: a key too long is refused on each.
func TestIdempotencyKeyEveryPost(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	engine := e.api.Handler().(*gin.Engine)
	n := 0
	for _, rt := range engine.Routes() {
		if rt.Method != http.MethodPost || strings.HasPrefix(rt.Path, "/admin/") {
			continue
		}
		path := ginParam.ReplaceAllString(rt.Path, "x")
		r := e.do("POST", path, strings.NewReader("{}"), withKey(strings.Repeat("k", 256), map[string]string{"Content-Type": "application/json"}))
		if r.status != http.StatusBadRequest || !bytes.Contains(r.body, []byte("Idempotency-Key")) {
			t.Errorf("POST %s with a key of 256 characters = %d %s; want 400 naming the key", rt.Path, r.status, r.body)
		}
		n++
	}
	if n < 9 {
		t.Fatalf("only %d POST routes", n)
	}
}

// TestIdempotencyKeySeed checks a replay on a seed mount, in the seed's
// own shape.
func TestIdempotencyKeySeed(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	photo := fixture(t, "photo.jpg")
	send := func() resp {
		b, ct := multipartOf([]part{{"file", "photo.jpg", photo}}, nil)
		return e.do("POST", "/compat/apimart/v1/uploads/images", b, withKey("seed", map[string]string{"Content-Type": ct}))
	}
	first := send()
	if first.status != http.StatusOK {
		t.Fatalf("apimart upload = %d %s", first.status, first.body)
	}
	sameAnswer(t, first, send())
	if n := e.fileCount(); n != 1 {
		t.Fatalf("%d files; want 1", n)
	}
}

// TestIdempotencyContract validates the answers of the Idempotency-Key —
// run, replayed, in progress, reused, refused — against the served
// OpenAPI document, natively and on a seed mount, and checks that the
// document gives every POST the key's parameter and answers.
func TestIdempotencyContract(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	c := loadContract(t, e)
	for _, op := range c.operations() {
		method, path, _ := strings.Cut(op, " ")
		if method != http.MethodPost {
			continue
		}
		o := c.doc.Paths.Find(path).Post
		if o.Parameters.GetByInAndName("header", "Idempotency-Key") == nil ||
			o.Responses.Status(http.StatusConflict) == nil || o.Responses.Status(http.StatusUnprocessableEntity) == nil {
			t.Errorf("%s: no Idempotency-Key parameter, or no 409 or 422 answer", op)
		}
	}
	photo, png := fixture(t, "photo.jpg"), fixture(t, "alpha.png")
	planted := func(path, key string, content string) {
		probe := httptest.NewRequest("POST", path, nil)
		probe.Header.Set("Content-Type", content)
		now := time.Now().Unix()
		rec := &db.IdempotencyKey{UserID: e.userID, Method: "POST", Path: path, Key: key, RequestHash: api.RequestHash(probe),
			Owner: "elsewhere", LeaseUntil: now + 3600, CreatedAt: now, ExpiresAt: now + 86400}
		if _, err := e.db.ClaimIdempotencyKey(context.Background(), rec, now); err != nil {
			t.Fatal(err)
		}
	}
	planted("/v1/images", "running", "multipart/form-data")
	planted("/compat/apimart/v1/uploads/images", "running", "multipart/form-data")
	seed := func(key string) func(string) resp {
		return func(p string) resp {
			b, ct := multipartOf([]part{{"file", "photo.jpg", photo}}, nil)
			return e.do("POST", p, b, withKey(key, map[string]string{"Content-Type": ct}))
		}
	}
	img := func(name string, content []byte, key string) func(string) resp {
		return func(string) resp { return e.upload(name, content, nil, withKey(key, nil)) }
	}
	replayed := func(t *testing.T, r resp) {
		if r.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("not replayed: %v", r.header)
		}
	}
	c.run(t, []step{
		{"upload with a key", "POST", fixed("/v1/images"), img("photo.jpg", photo, "c-1"), 201, nil},
		{"the same again", "POST", fixed("/v1/images"), img("photo.jpg", photo, "c-1"), 201, replayed},
		{"another file, the same key", "POST", fixed("/v1/images"), img("alpha.png", png, "c-1"), 422, nil},
		{"a key still running", "POST", fixed("/v1/images"), img("photo.jpg", photo, "running"), 409, nil},
		{"a key too long", "POST", fixed("/v1/images"), img("photo.jpg", photo, strings.Repeat("x", 256)), 400, nil},
		{"seed upload with a key", "POST", fixed("/compat/apimart/v1/uploads/images"), seed("s-1"), 200, nil},
		{"seed, the same again", "POST", fixed("/compat/apimart/v1/uploads/images"), seed("s-1"), 200, replayed},
		{"seed, a key still running", "POST", fixed("/compat/apimart/v1/uploads/images"), seed("running"), 409, nil},
	})
}
