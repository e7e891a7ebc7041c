package api_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"picpipe/api"
	"picpipe/imaging"
	"picpipe/internal/testenv"
)

// seedScenario runs each seed's upload the way its own clients do, and
// its main refusals, validating every answer against the contract and
// checking the fields those clients read.
func seedScenario(t *testing.T, c *contract, e *env) {
	photo, png := fixture(t, "photo.jpg"), fixture(t, "alpha.png")
	ctx := context.Background()
	// Picklyone: partial success, keys, and the files in /v1/files.
	r := c.check(t, "POST", "/compat/picklyone/api/v1/upload", e.multi("/compat/picklyone/api/v1/upload",
		[]part{{"files", "anchor.jpg", photo}, {"files", "report.pdf", pdfDoc}, {"files", "evil.jpg", exe}}, nil))
	body := r.json(t)
	up, _ := body["uploaded"].([]any)
	if r.status != 200 || body["success"] != true || len(up) != 2 || len(body["errors"].([]any)) != 1 {
		t.Fatalf("picklyone = %d %s; want 200, 2 uploaded, 1 error", r.status, r.body)
	}
	first := up[0].(map[string]any)
	if !strings.HasPrefix(str(first, "key"), "files/"+e.userID+"/") || first["isImage"] != true || first["mimeType"] != "image/jpeg" {
		t.Fatalf("picklyone uploaded[0] = %v", first)
	}
	if g := e.do("GET", "/v1/files/"+str(first, "id"), nil, nil); g.status != 200 {
		t.Fatalf("picklyone file in /v1/files = %d", g.status)
	}
	r = c.check(t, "POST", "/compat/picklyone/api/v1/upload", e.multi("/compat/picklyone/api/v1/upload",
		[]part{{"files", "evil.jpg", exe}}, nil))
	if r.status != 400 || r.json(t)["success"] != false {
		t.Fatalf("picklyone, all refused = %d %s; want 400 success false", r.status, r.body)
	}

	// APIMart: a URL valid 72 hours; refusals in {error: {message, type}}.
	r = c.check(t, "POST", "/compat/apimart/v1/uploads/images", e.multi("/compat/apimart/v1/uploads/images",
		[]part{{"file", "image.jpg", photo}}, nil))
	body = r.json(t)
	if r.status != 200 || !strings.Contains(str(body, "url"), "/f/") || body["content_type"] != "image/jpeg" ||
		body["filename"] != "image.jpg" || body["bytes"].(float64) <= 0 {
		t.Fatalf("apimart = %d %s", r.status, r.body)
	}
	if exp := body["expires_at"].(float64) - body["created_at"].(float64); exp != 72*3600 {
		t.Fatalf("apimart url lives %vs; want 72 h", exp)
	}
	for _, tt := range []struct {
		name    string
		parts   []part
		status  int
		message string
	}{
		{"pdf", []part{{"file", "doc.pdf", pdfDoc}}, 400, "unsupported image type"},
		{"too large", []part{{"file", "big.png", append(append([]byte{}, png[:64]...), make([]byte, 10<<20+100)...)}}, 413, "file size 10485924 exceeds maximum 10485760 bytes"},
		{"no file", []part{{"other", "x.png", png}}, 400, "missing or invalid file field"},
	} {
		r := c.check(t, "POST", "/compat/apimart/v1/uploads/images", e.multi("/compat/apimart/v1/uploads/images", tt.parts, nil))
		e := r.json(t)["error"].(map[string]any)
		if r.status != tt.status || e["type"] != "invalid_request_error" || !strings.Contains(str(e, "message"), tt.message) {
			t.Fatalf("apimart %s = %d %s; want %d %q", tt.name, r.status, r.body, tt.status, tt.message)
		}
	}

	// Agent-header: an Agent name instead of a key; created_by kept.
	if _, err := e.db.CreateAgent(ctx, "fastgpt", e.userID, nil, time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	agent := func(name string, parts []part, fields map[string]string) resp {
		body, ct := multipartOf(parts, fields)
		return c.check(t, "POST", "/compat/agent/api/v1/upload", e.do("POST", "/compat/agent/api/v1/upload", body,
			map[string]string{"Authorization": "", "Agent": name, "Content-Type": ct}))
	}
	r = agent("fastgpt", []part{{"file", "document.pdf", pdfDoc}}, map[string]string{"created_by": "python_user"})
	data, _ := r.json(t)["data"].(map[string]any)
	if r.status != 200 || r.json(t)["code"] != 200.0 || !strings.Contains(str(data, "id"), "/f/") ||
		data["created_by"] != "python_user" || data["extension"] != "pdf" || data["mime_type"] != "application/pdf" {
		t.Fatalf("agent = %d %s", r.status, r.body)
	}
	if r = agent("nobody", []part{{"file", "a.pdf", pdfDoc}}, nil); r.status != 401 || r.json(t)["code"] != 401.0 {
		t.Fatalf("unknown agent = %d %s; want 401 in the seed's envelope", r.status, r.body)
	}
	if r = agent("fastgpt", []part{{"file", "tool.exe", exe}}, nil); r.status != 415 || r.json(t)["code"] != 415.0 {
		t.Fatalf("agent, an executable = %d %s; want 415", r.status, r.body)
	}

	// KIE: base64 to a path, the same path again replaces it; a stream.
	kie := func(path, body string) resp {
		return c.check(t, "POST", path, e.postJSON(path, body, nil))
	}
	dataURL := "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	r = kie("/compat/kie/api/file-base64-upload", `{"base64Data": "`+dataURL+`", "uploadPath": "images/base64", "fileName": "test-image.png"}`)
	data, _ = r.json(t)["data"].(map[string]any)
	if r.status != 200 || r.json(t)["success"] != true || data["filePath"] != "images/base64/test-image.png" ||
		data["mimeType"] != "image/png" || !strings.HasSuffix(str(data, "uploadedAt"), "Z") {
		t.Fatalf("kie base64 = %d %s", r.status, r.body)
	}
	firstID := str(data, "fileId")
	r = kie("/compat/kie/api/file-base64-upload", `{"base64Data": "`+dataURL+`", "uploadPath": "images/base64", "fileName": "test-image.png"}`)
	if r.status != 200 {
		t.Fatalf("kie base64 again = %d %s", r.status, r.body)
	}
	if g := e.do("GET", "/v1/files/"+firstID, nil, nil); g.status != 404 {
		t.Fatalf("the replaced file = %d; want 404", g.status)
	}
	if r = kie("/compat/kie/api/file-base64-upload", `{"base64Data": "`+dataURL+`", "fileName": "a.jpg"}`); r.status != 400 || r.json(t)["success"] != false {
		t.Fatalf("kie, a png named .jpg = %d %s; want 400", r.status, r.body)
	}
	r = c.check(t, "POST", "/compat/kie/api/file-stream-upload", e.multi("/compat/kie/api/file-stream-upload",
		[]part{{"file", "photo.jpg", photo}}, map[string]string{"uploadPath": "u"}))
	if data, _ = r.json(t)["data"].(map[string]any); r.status != 200 || data["filePath"] != "u/photo.jpg" {
		t.Fatalf("kie stream = %d %s", r.status, r.body)
	}
	if r = kie("/compat/kie/api/file-url-upload", `{"uploadPath": "x"}`); r.status != 400 || r.json(t)["code"] != 400.0 {
		t.Fatalf("kie url without fileUrl = %d %s; want 400", r.status, r.body)
	}
	if r = kie("/compat/kie/api/file-url-upload", `{"fileUrl": "http://169.254.169.254/latest/meta-data/", "fileName": "x.jpg"}`); r.status != 422 {
		t.Fatalf("kie url to the metadata address = %d %s; want 422 fetch_failed", r.status, r.body)
	}
}

// TestCompatRoot: one seed may be mounted at the root too; two that claim
// one path are refused at start, naming both.
func TestCompatRoot(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{CompatRoot: []string{"kie"}}})
	r := e.postJSON("/api/file-base64-upload", `{"base64Data": "aGVsbG8gd29ybGQ=", "fileName": "hello.txt"}`, nil)
	if r.status != 200 || r.json(t)["success"] != true {
		t.Fatalf("kie at the root = %d %s", r.status, r.body)
	}
	_, err := api.New(context.Background(), api.Config{CompatRoot: []string{"picklyone", "agent"}}, e.deps)
	if err == nil || !strings.Contains(err.Error(), "POST /api/v1/upload") || !strings.Contains(err.Error(), "agent") {
		t.Fatalf("picklyone and agent at the root: %v; want a refusal naming the path", err)
	}
	if _, err := api.New(context.Background(), api.Config{CompatRoot: []string{"nope"}}, e.deps); err == nil {
		t.Fatal("an unknown seed at the root was accepted")
	}
}

// TestKIEURLUploadKeepsTheMount: a URL the KIE mount fetches is admitted
// by KIE's list (HEIC, which /v1/files refuses), keeps the caller's
// fileName, and, like every way in for files, meets the configured frame
// limit of animations.
func TestKIEURLUploadKeepsTheMount(t *testing.T) {
	heic, anim := fixture(t, "photo.heic"), fixture(t, "anim.gif") // anim.gif has 3 frames
	mux := http.NewServeMux()
	mux.HandleFunc("/remote/photo.heic", func(w http.ResponseWriter, _ *http.Request) { w.Write(heic) })
	mux.HandleFunc("/remote/anim.gif", func(w http.ResponseWriter, _ *http.Request) { w.Write(anim) })
	src := httptest.NewServer(mux)
	t.Cleanup(src.Close)
	e := newEnv(t, testenv.SQLite(t), envOpts{fetch: loopbackFetch(src),
		api: api.Config{MaxFrames: 2}, imagingCf: imaging.Config{MaxFrames: 2}})

	// final polls the file until it is ready or failed.
	final := func(id string) map[string]any {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			f := e.do("GET", "/v1/files/"+id, nil, nil).json(t)
			if s := f["status"]; s == "ready" || s == "failed" || time.Now().After(deadline) {
				return f
			}
		}
	}
	r := e.postJSON("/compat/kie/api/file-url-upload",
		`{"fileUrl": "`+src.URL+`/remote/photo.heic", "uploadPath": "gen", "fileName": "mine.heic"}`, nil)
	data, _ := r.json(t)["data"].(map[string]any)
	if (r.status != 200 && r.status != 202) || data["fileName"] != "mine.heic" || data["filePath"] != "gen/mine.heic" {
		t.Fatalf("kie url heic = %d %s; want it accepted as gen/mine.heic", r.status, r.body)
	}
	if f := final(str(data, "fileId")); f["status"] != "ready" || f["filename"] != "mine.heic" || f["mime_type"] != "image/heic" {
		t.Fatalf("the fetched heic = %v; want ready, named mine.heic, image/heic", f)
	}

	r = e.postJSON("/compat/kie/api/file-url-upload", `{"fileUrl": "`+src.URL+`/remote/anim.gif"}`, nil)
	data, _ = r.json(t)["data"].(map[string]any)
	if r.status == 200 || r.status == 202 {
		if f := final(str(data, "fileId")); f["status"] != "failed" {
			t.Fatalf("a fetched 3-frame gif with a 2-frame limit = %v; want failed", f)
		}
	}
	if r = e.multi("/v1/files", []part{{"file", "anim.gif", anim}}, nil); r.status < 400 {
		t.Fatalf("/v1/files, a 3-frame gif with a 2-frame limit = %d %s; want refused", r.status, r.body)
	}
}
