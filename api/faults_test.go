package api_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picpipe"
	"picpipe/api"
	"picpipe/internal/testenv"
)

// outageBound is how long any answer may take while a dependency is down:
// a correctness bound (an answer comes, not a hang), far above the
// deadlines, so a loaded machine does not make the test flaky.
const outageBound = 5 * time.Second

// internals are what no answer may show of the server: paths, errno
// texts, driver and network words.
var internals = []string{"/tmp", "/work", "no space", "enospc", "read-only", "erofs", "file system",
	"pgx", "pgconn", "sqlstate", "sqlite", "dial", "connect:", "refused", "reset by peer", "broken pipe",
	"i/o timeout", "deadline", "eof", "storage: put", "db: "}

// timed is one request with the time its answer took.
func (e *env) timed(method, path string, send func() resp) (resp, time.Duration) {
	e.t.Helper()
	start := time.Now()
	r := send()
	took := time.Since(start)
	e.t.Logf("%s %s: %d in %v", method, path, r.status, took.Round(time.Millisecond))
	if took > outageBound {
		e.t.Errorf("%s %s took %v; want an answer within %v", method, path, took, outageBound)
	}
	return r, took
}

// wantOutage checks the answer to a request made while a dependency is
// failing: status with code, Retry-After, the answer matches the
// contract, and its body shows nothing of the server's internals.
func wantOutage(t *testing.T, c *contract, method, path string, r resp, status int, code string) {
	t.Helper()
	if r.status != status || r.errorCode(t) != code {
		t.Fatalf("%s %s = %d %s; want %d %s", method, path, r.status, r.body, status, code)
	}
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("%s %s: Retry-After %q; want seconds", method, path, ra)
	}
	c.check(t, method, path, r)
	noInternals(t, r, method+" "+path)
}

func noInternals(t *testing.T, r resp, what string) {
	t.Helper()
	// The request id is random letters: it may spell anything.
	body := strings.ToLower(strings.ReplaceAll(string(r.body), r.header.Get("X-Request-Id"), "req_"))
	for _, s := range internals {
		if strings.Contains(body, s) {
			t.Errorf("%s: the body shows %q: %s", what, s, r.body)
		}
	}
}

// TestRedisHung stops Redis with SIGSTOP (it accepts connections and
// answers nothing): uploads are refused 503 transcode_unavailable with
// Retry-After at once, whether the rate limit fails closed (at the
// limiter) or open (at the enqueue, leaving nothing behind), and reads
// answer from the database as fast as ever.
func TestRedisHung(t *testing.T) {
	for _, mode := range []api.FailMode{api.FailClosed, api.FailOpen} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{RateLimitOnError: mode,
				Plans: plans(picpipe.Plan{MaxUploadBytes: 10 << 20, UploadsPerMinute: 1000})}})
			c := loadContract(t, e)
			async := map[string]string{"Prefer": "respond-async"}
			first := c.check(t, "POST", "/v1/images", e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, async))
			if first.status != http.StatusAccepted {
				t.Fatalf("upload before the fault = %d %s", first.status, first.body)
			}
			id := str(first.json(t), "id")

			e.redis.Pause(t)
			hungUploads(t, e, c, mode)
			for _, p := range []string{"/v1/images/" + id, "/v1/images", "/v1/files", "/v1/keys", "/v1/usage"} {
				r, _ := e.timed("GET", p, func() resp { return e.do("GET", p, nil, nil) })
				if r.status != http.StatusOK {
					t.Fatalf("GET %s with Redis hung = %d %s; want 200 from the database", p, r.status, r.body)
				}
				c.check(t, "GET", p, r)
			}
			if r := e.do("GET", "/v1/usage", nil, nil); r.json(t)["api_calls"] != nil {
				t.Errorf("usage with Redis hung: api_calls = %v; want null", r.json(t)["api_calls"])
			}
			r, _ := e.timed("GET", "/readyz", func() resp { return e.do("GET", "/readyz", nil, nil) })
			c.check(t, "GET", "/readyz", r)
			if checks := r.json(t)["checks"].(map[string]any); r.status != http.StatusServiceUnavailable ||
				checks["redis"] != "unavailable" || checks["database"] != "ok" || r.header.Get("Retry-After") == "" {
				t.Errorf("readyz with Redis hung = %d %s %v", r.status, r.body, r.header)
			}
			if imgs, _ := e.db.ListImages(t.Context(), e.userID, "", 100); len(imgs) != 1 {
				t.Errorf("%d images after the refused uploads; want only the first", len(imgs))
			}
			if b := e.blobs("staging"); len(b) != 1 {
				t.Errorf("staged blobs after the refused uploads: %v; want only the first's", b)
			}

			e.redis.Resume(t)
			r = e.upload("o.jpg", fixture(t, "orient-1.jpg"), nil, async)
			if r.status != http.StatusAccepted {
				t.Fatalf("upload after Redis came back = %d %s", r.status, r.body)
			}
		})
	}
}

// hungUploads makes the uploads of TestRedisHung: each answers 503
// transcode_unavailable. Failing open, the body is staged and recorded
// and then refused at the enqueue; the URL ingests too.
func hungUploads(t *testing.T, e *env, c *contract, mode api.FailMode) {
	async := map[string]string{"Prefer": "respond-async"}
	r, took := e.timed("POST", "/v1/images", func() resp {
		return e.upload("p.jpg", fixture(t, "progressive.jpg"), nil, async)
	})
	t.Logf("rate limit failing %s: POST /v1/images answered %d in %v with Redis hung", mode, r.status, took)
	wantOutage(t, c, "POST", "/v1/images", r, http.StatusServiceUnavailable, picpipe.ECodeTranscodeUnavailable)
	if mode != api.FailOpen {
		return
	}
	for _, p := range []string{"/v1/images", "/v1/files"} {
		r, _ := e.timed("POST", p, func() resp { return e.postJSON(p, `{"url": "https://example.com/a.jpg"}`, async) })
		wantOutage(t, c, "POST", p, r, http.StatusServiceUnavailable, picpipe.ECodeTranscodeUnavailable)
	}
	if files, _ := e.db.ListFiles(t.Context(), e.userID, "", 100, time.Now().Unix()); len(files) != 0 {
		t.Errorf("%d files after the refused URL ingest; want none", len(files))
	}
}

// writes are the requests of TestBlobStoreFull and TestBlobStoreFailing
// that write to the blob store, every way in.
func writes(t *testing.T, e *env, grantPath string) []struct {
	method, path string
	send         func() resp
} {
	photo := fixture(t, "photo.jpg")
	b64 := base64.StdEncoding.EncodeToString
	async := map[string]string{"Prefer": "respond-async"}
	return []struct {
		method, path string
		send         func() resp
	}{
		{"POST", "/v1/images", func() resp { return e.upload("photo.jpg", photo, nil, async) }},
		{"POST", "/v1/images", func() resp {
			return e.postJSON("/v1/images", `{"data": "data:image/jpeg;base64,`+b64(photo)+`", "filename": "p.jpg"}`, async)
		}},
		{"POST", "/v1/files", func() resp { return e.multi("/v1/files", []part{{"files", "report.pdf", pdfDoc}}, nil) }},
		{"POST", "/v1/files", func() resp {
			return e.postJSON("/v1/files", `{"data": "`+b64(pdfDoc)+`", "filename": "report.pdf"}`, nil)
		}},
		{"PUT", grantPath, func() resp { return e.do("PUT", grantPath, bytes.NewReader(photo), nil) }},
	}
}

// blobStoreOnTmpfs starts an env whose blob store is on a 1 MiB tmpfs,
// with a presigned grant made while there is room; it returns the env,
// the mount, and the grant's upload path.
func blobStoreOnTmpfs(t *testing.T) (*env, *contract, string, string) {
	dir := testenv.Tmpfs(t, "1m")
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, blobDir: filepath.Join(dir, "blobs"),
		api: api.Config{Plans: plans(picpipe.Plan{MaxUploadBytes: 10 << 20, MaxPresignedBytes: 10 << 20})}})
	c := loadContract(t, e)
	g := e.postJSON("/v1/uploads/presign", fmt.Sprintf(`{"content_type": "image/jpeg", "size": %d}`, len(fixture(t, "photo.jpg"))), nil)
	if g.status != http.StatusCreated {
		t.Fatalf("presign = %d %s", g.status, g.body)
	}
	return e, c, dir, e.pathOf(str(g.json(t), "upload_url"))
}

// TestBlobStoreFull fills the blob store's real file system (a tmpfs)
// and uploads every way in: each is 503 storage_full with Retry-After,
// never the client's 400, shows no path or errno, and leaves nothing
// behind; once space is back, uploads work again.
func TestBlobStoreFull(t *testing.T) {
	e, c, dir, grantPath := blobStoreOnTmpfs(t)
	filler := testenv.Fill(t, dir, "filler")
	for _, w := range writes(t, e, grantPath) {
		r, _ := e.timed(w.method, w.path, w.send)
		wantOutage(t, c, w.method, w.path, r, http.StatusServiceUnavailable, picpipe.ECodeStorageFull)
		if got := r.header.Get("Retry-After"); got != "60" {
			t.Errorf("storage_full Retry-After = %q; want 60", got)
		}
	}
	e.nothingKept()

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if r := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, map[string]string{"Prefer": "respond-async"}); r.status != http.StatusAccepted {
		t.Fatalf("upload once space is back = %d %s", r.status, r.body)
	}
}

// TestBlobStoreFailing remounts the blob store's file system read-only
// (writes fail with EROFS, as on a failing volume): every upload is 503
// unavailable with Retry-After and shows no path or errno.
func TestBlobStoreFailing(t *testing.T) {
	e, c, dir, grantPath := blobStoreOnTmpfs(t)
	testenv.Remount(t, dir, "ro")
	for _, w := range writes(t, e, grantPath) {
		r, _ := e.timed(w.method, w.path, w.send)
		wantOutage(t, c, w.method, w.path, r, http.StatusServiceUnavailable, picpipe.ECodeUnavailable)
	}
	e.nothingKept()
}

// TestClientBodyErrorsStayTheClients checks the other side of the line:
// a body cut short or over its limit is still the client's 400 or 413.
func TestClientBodyErrorsStayTheClients(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true,
		api: api.Config{Plans: plans(picpipe.Plan{MaxUploadBytes: 20000})}})
	body, ct := form(t, "photo.jpg", fixture(t, "photo.jpg"), nil) // 30 kB: half of it fits, the whole does not
	b := body.(*bytes.Buffer).Bytes()
	cut := e.do("POST", "/v1/images", bytes.NewReader(b[:len(b)/2]), map[string]string{"Content-Type": ct})
	if cut.status != http.StatusBadRequest || cut.errorCode(t) != picpipe.ECodeInvalidRequest {
		t.Errorf("a multipart body cut short = %d %s; want 400 invalid_request", cut.status, cut.body)
	}
	big := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	if big.status != http.StatusBadRequest || big.errorCode(t) != picpipe.ECodeFileTooLarge {
		t.Errorf("a file over the plan's limit = %d %s; want 400 file_too_large", big.status, big.body)
	}
	e.nothingKept()
}

// TestDatabaseUnreachable cuts every connection between the API and
// PostgreSQL (a loopback proxy closes them all and refuses new ones):
// every request that needs the database is 503 unavailable with
// Retry-After and no driver text; /readyz says so; once the network is
// back, so is the service.
func TestDatabaseUnreachable(t *testing.T) {
	d, proxy := testenv.PostgresBehindProxy(t)
	e := newEnv(t, d, envOpts{noWorker: true, api: api.Config{
		Plans: plans(picpipe.Plan{MaxUploadBytes: 10 << 20, MaxPresignedBytes: 10 << 20, UploadsPerMinute: 1000})}})
	c := loadContract(t, e)
	photo := fixture(t, "photo.jpg")
	first := e.upload("photo.jpg", photo, nil, map[string]string{"Prefer": "respond-async"})
	if first.status != http.StatusAccepted {
		t.Fatalf("upload before the fault = %d %s", first.status, first.body)
	}
	id := str(first.json(t), "id")

	proxy.Cut()
	for _, q := range []struct {
		method, path string
		send         func() resp
	}{
		{"GET", "/v1/images/" + id, nil},
		{"GET", "/v1/images", nil},
		{"DELETE", "/v1/images/" + id, nil},
		{"POST", "/v1/images", func() resp { return e.upload("p.jpg", fixture(t, "progressive.jpg"), nil, nil) }},
		{"POST", "/v1/files", func() resp { return e.multi("/v1/files", []part{{"files", "report.pdf", pdfDoc}}, nil) }},
		{"POST", "/v1/uploads/presign", func() resp {
			return e.postJSON("/v1/uploads/presign", `{"content_type": "image/jpeg", "size": 1000}`, nil)
		}},
		{"PUT", "/v1/uploads/upl_0000", func() resp { return e.do("PUT", "/v1/uploads/upl_0000", bytes.NewReader(photo), nil) }},
		{"POST", "/v1/keys", func() resp { return e.postJSON("/v1/keys", `{"name": "ci"}`, nil) }},
		{"GET", "/v1/keys", nil},
		{"GET", "/v1/usage", nil},
		{"GET", "/u/" + e.userID + "/00000000000000000000000000000000.webp", nil},
	} {
		send := q.send
		if send == nil {
			send = func() resp { return e.do(q.method, q.path, nil, nil) }
		}
		r, _ := e.timed(q.method, q.path, send)
		wantOutage(t, c, q.method, q.path, r, http.StatusServiceUnavailable, picpipe.ECodeUnavailable)
	}
	r := c.check(t, "GET", "/readyz", e.do("GET", "/readyz", nil, nil))
	if checks := r.json(t)["checks"].(map[string]any); r.status != http.StatusServiceUnavailable || checks["database"] != "unavailable" {
		t.Errorf("readyz with the database cut off = %d %s", r.status, r.body)
	}
	noInternals(t, r, "GET /readyz")

	proxy.Restore()
	if r := e.do("GET", "/v1/images/"+id, nil, nil); r.status != http.StatusOK {
		t.Fatalf("GET once the database is back = %d %s", r.status, r.body)
	}
}

func TestConfigRateLimitOnError(t *testing.T) {
	for _, tt := range []struct {
		mode api.FailMode
		ok   bool
	}{{"", true}, {api.FailClosed, true}, {api.FailOpen, true}, {"maybe", false}, {"Open", false}} {
		err := api.Config{RateLimitOnError: tt.mode}.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("Validate(RateLimitOnError %q) = %v; want ok %v", tt.mode, err, tt.ok)
		}
	}
	if got := (api.Config{}).WithDefaults().RateLimitOnError; got != api.FailClosed {
		t.Errorf("default RateLimitOnError = %q; want %q", got, api.FailClosed)
	}
}
