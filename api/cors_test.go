package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"picpipe/api"
	"picpipe/internal/testenv"
)

const appOrigin = "https://app.example.com"

// preflight sends a browser's CORS preflight of method to path from origin.
func (e *env) preflight(path, origin, method string) resp {
	e.t.Helper()
	return e.do("OPTIONS", path, nil, map[string]string{"Authorization": "", "Origin": origin,
		"Access-Control-Request-Method": method, "Access-Control-Request-Headers": "authorization,content-type,prefer,idempotency-key"})
}

// hasAll reports whether the comma-separated header value lists every one
// of want, in any case.
func hasAll(value string, want ...string) bool {
	have := map[string]bool{}
	for _, v := range strings.Split(value, ",") {
		have[strings.ToLower(strings.TrimSpace(v))] = true
	}
	for _, w := range want {
		if !have[strings.ToLower(w)] {
			return false
		}
	}
	return true
}

// TestCORSConfigured: with PICPIPE_CORS_ORIGINS set, a listed origin's
// preflight is answered 204 with what the API takes, and its requests'
// answers — refusals too — carry the origin, Vary: Origin and the headers
// a client reads; another origin gets none of it; the dashboard and the
// web page stay their own origin's.
func TestCORSConfigured(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{
		AdminToken: adminToken, CORSOrigins: []string{"HTTPS://App.Example.com:443/", " http://localhost:3000"}}})
	for _, path := range []string{"/v1/images", "/v1/images/img_01M7YTEZ1BEFDVC5TCH1VF72AP", "/v1/uploads/presign", "/v1/usage",
		"/compat/kie/api/file-base64-upload", "/"} {
		r := e.preflight(path, appOrigin, "POST")
		h := r.header
		if r.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != appOrigin ||
			!hasAll(h.Get("Access-Control-Allow-Methods"), "GET", "POST", "DELETE") ||
			!hasAll(h.Get("Access-Control-Allow-Headers"), "Authorization", "Content-Type", "Prefer", "Idempotency-Key") ||
			h.Get("Access-Control-Max-Age") == "" || !hasAll(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Errorf("preflight of POST %s from %s = %d %v", path, appOrigin, r.status, h)
		}
	}
	if r := e.preflight("/v1/images", "http://localhost:3000", "DELETE"); r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("preflight from the second origin = %d %v", r.status, r.header)
	}
	r := e.preflight("/v1/images", "https://evil.example", "POST")
	if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(string(r.body), "PICPIPE_CORS_ORIGINS") {
		t.Errorf("preflight from an unlisted origin = %d %v %s; want 403 without Allow-Origin", r.status, r.header, r.body)
	}

	type check struct {
		name   string
		r      resp
		status int
	}
	withOrigin := map[string]string{"Origin": appOrigin}
	upload := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, map[string]string{"Origin": appOrigin, "Prefer": "respond-async"})
	for _, c := range []check{
		{"usage", e.do("GET", "/v1/usage", nil, withOrigin), 200},
		{"an upload", upload, 202},
		{"a refusal", e.do("GET", "/v1/usage", nil, map[string]string{"Origin": appOrigin, "Authorization": "Bearer pk_live_nope"}), 401},
		{"a seed mount", e.postJSON("/compat/kie/api/file-base64-upload", `{"base64Data": "aGVsbG8=", "uploadPath": "n", "fileName": "hello.txt"}`, withOrigin), 200},
		{"discovery", e.do("GET", "/", nil, withOrigin), 200},
	} {
		h := c.r.header
		if c.r.status != c.status || h.Get("Access-Control-Allow-Origin") != appOrigin || !hasAll(strings.Join(h.Values("Vary"), ","), "Origin") ||
			!hasAll(h.Get("Access-Control-Expose-Headers"), "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Location", "X-Request-Id") {
			t.Errorf("%s from %s = %d %v; want %d with Allow-Origin, Vary: Origin and Expose-Headers", c.name, appOrigin, c.r.status, h, c.status)
		}
	}
	if loc := upload.header.Get("Location"); loc == "" {
		t.Error("the upload's answer has no Location to expose")
	}

	other := e.do("GET", "/v1/usage", nil, map[string]string{"Origin": "https://evil.example"})
	if other.status != 200 || other.header.Get("Access-Control-Allow-Origin") != "" || !hasAll(strings.Join(other.header.Values("Vary"), ","), "Origin") {
		t.Errorf("a request from an unlisted origin = %d %v; want no Allow-Origin, Vary: Origin", other.status, other.header)
	}
	for _, path := range []string{"/admin/queues/", "/metrics", "/app/"} {
		r := e.do("GET", path, nil, map[string]string{"Origin": appOrigin, "Authorization": "Bearer " + adminToken})
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET %s from %s carries Allow-Origin %q; want none", path, appOrigin, r.header.Get("Access-Control-Allow-Origin"))
		}
		if p := e.preflight(path, appOrigin, "POST"); p.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight of %s answered %d with Allow-Origin", path, p.status)
		}
	}
}

// TestCORSAnyOrigin: "*" lets every origin call the API.
func TestCORSAnyOrigin(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{CORSOrigins: []string{"*"}}})
	r := e.preflight("/v1/files", "https://anyone.example", "POST")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight = %d %v; want 204 with Allow-Origin *", r.status, r.header)
	}
	if r := e.do("GET", "/v1/images", nil, map[string]string{"Origin": "null"}); r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("GET from a sandboxed page = %d %v; want Allow-Origin *", r.status, r.header)
	}
}

// TestCORSNoneByDefault: without PICPIPE_CORS_ORIGINS the API answers no
// origin (its preflight is the 404 of a route it does not have), while
// the public links answer every origin, preflight and all.
func TestCORSNoneByDefault(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	if r := e.preflight("/v1/images", appOrigin, "POST"); r.status != 404 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight without configured origins = %d %v; want 404 without Allow-Origin", r.status, r.header)
	}
	if r := e.do("GET", "/v1/usage", nil, map[string]string{"Origin": appOrigin}); r.header.Get("Access-Control-Allow-Origin") != "" || len(r.header.Values("Vary")) != 0 {
		t.Errorf("GET /v1/usage from %s = %v; want no CORS headers", appOrigin, r.header)
	}
	f := e.multi("/v1/files", []part{{"files", "notes.txt", []byte("hello\n")}}, nil)
	link := str(f.json(t)["uploaded"].([]any)[0].(map[string]any), "url")
	for _, path := range []string{e.pathOf(link), "/f/" + e.userID + "/file_nope.txt", "/u/" + e.userID + "/nope.webp"} {
		r := e.do("GET", path, nil, map[string]string{"Origin": appOrigin, "Authorization": ""})
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("GET %s from %s = %d %v; want Allow-Origin *", path, appOrigin, r.status, r.header)
		}
	}
	r := e.do("GET", e.pathOf(link), nil, map[string]string{"Origin": appOrigin, "Authorization": ""})
	if r.status != 200 || !hasAll(r.header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("GET the file link = %d %v; want 200 exposing ETag", r.status, r.header)
	}
	if p := e.preflight(e.pathOf(link), appOrigin, "GET"); p.status != 204 || p.header.Get("Access-Control-Allow-Origin") != "*" ||
		!hasAll(p.header.Get("Access-Control-Allow-Headers"), "Range") {
		t.Errorf("preflight of the file link = %d %v; want 204, any origin, Range", p.status, p.header)
	}
}

// TestCORSOriginsChecked: an entry that is not an origin is refused at
// start, naming it.
func TestCORSOriginsChecked(t *testing.T) {
	d := testenv.SQLite(t)
	for _, bad := range []string{"app.example.com", "ftp://app.example.com", "https://app.example.com/path", "https://user@app.example.com"} {
		_, err := api.New(context.Background(), api.Config{CORSOrigins: []string{bad}}, api.Deps{DB: d})
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("CORSOrigins %q: %v; want an error naming it", bad, err)
		}
	}
}
