package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"picpipe"
	"picpipe/api"
	"picpipe/fetch"
	"picpipe/internal/testenv"
)

type part struct {
	field, filename string
	content         []byte
}

// multi posts a multipart body of parts and fields to path.
func (e *env) multi(path string, parts []part, fields map[string]string) resp {
	e.t.Helper()
	body, ct := multipartOf(parts, fields)
	return e.do("POST", path, body, map[string]string{"Content-Type": ct})
}

// multipartOf builds a multipart body of fields, then parts.
func multipartOf(parts []part, fields map[string]string) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for _, p := range parts {
		w, _ := mw.CreateFormFile(p.field, p.filename)
		w.Write(p.content)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (e *env) postJSON(path, body string, header map[string]string) resp {
	e.t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range header {
		h[k] = v
	}
	return e.do("POST", path, strings.NewReader(body), h)
}

// nothingKept fails the test unless the account has no image or file,
// no blob is stored and no quota is in use but what open upload grants
// reserve.
func (e *env) nothingKept() {
	e.t.Helper()
	ctx := context.Background()
	if b := e.blobs(""); len(b) != 0 {
		e.t.Fatalf("blobs left behind: %v", b)
	}
	imgs, _ := e.db.ListImages(ctx, e.userID, "", 100)
	files, _ := e.db.ListFiles(ctx, e.userID, "", 100, time.Now().Unix())
	if len(imgs)+len(files) != 0 {
		e.t.Fatalf("rows left behind: %d images, %d files", len(imgs), len(files))
	}
	// With no rows left the counters hold only what open upload grants
	// reserve, as the consistency check sums it.
	u, _ := e.db.UserByID(ctx, e.userID)
	drift, err := e.db.CounterDrifts(ctx)
	if u.ImageCount != 0 || len(drift) != 0 || err != nil {
		e.t.Fatalf("quota in use: %d images, %d bytes; drift %+v, %v", u.ImageCount, u.StorageBytes, drift, err)
	}
}

var (
	pdfDoc = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	exe    = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 200)...)
)

func TestMultiFileUpload(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	photo := fixture(t, "photo.jpg") // a camera JPEG: GPS position, make, model, XMP, IPTC
	r := e.multi("/v1/files", []part{
		{"files", "photo.jpg", photo}, {"files", "report.pdf", pdfDoc}, {"files", "data.csv", []byte("a,b\n1,2\n")},
		{"files", "cat.jpg", exe}, {"files", "notes.md", []byte("# hi\n")},
	}, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("upload = %d %s; want 201", r.status, r.body)
	}
	body := r.json(t)
	uploaded, errs := body["uploaded"].([]any), body["errors"].([]any)
	if len(uploaded) != 4 || len(errs) != 1 {
		t.Fatalf("%d uploaded, %d errors; want 4 and 1: %s", len(uploaded), len(errs), r.body)
	}
	if e0 := errs[0].(map[string]any); e0["filename"] != "cat.jpg" || e0["code"] != "unsupported_format" {
		t.Fatalf("error entry = %v; want cat.jpg unsupported_format", e0)
	}
	var pdfURL, jpgURL string
	var stored int64
	for _, u := range uploaded {
		f := u.(map[string]any)
		if !strings.HasPrefix(f["id"].(string), "file_") || f["status"] != "ready" {
			t.Fatalf("file = %v", f)
		}
		stored += int64(f["size"].(float64))
		switch f["filename"] {
		case "report.pdf":
			pdfURL = f["url"].(string)
		case "photo.jpg":
			jpgURL = f["url"].(string)
			if f["is_image"] != true || f["mime_type"] != "image/jpeg" {
				t.Fatalf("jpeg = %v", f)
			}
		}
	}
	// The photo counts as stored: without its metadata, a little smaller.
	if want := int64(len(pdfDoc) + len("a,b\n1,2\n") + len("# hi\n")); stored <= want || stored >= want+int64(len(photo)) {
		t.Fatalf("sizes add up to %d; want the others' %d plus the photo without its metadata", stored, want)
	}
	if u := e.do("GET", "/v1/usage", nil, nil).json(t); u["storage_used_bytes"] != float64(stored) || u["image_count"] != 0.0 {
		t.Fatalf("usage = %v; want %d bytes, 0 images", u, stored)
	}
	res, err := http.Get(pdfURL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(got, pdfDoc) || res.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("pdf link: %d %v", res.StatusCode, res.Header)
	}
	res, _ = http.Get(jpgURL)
	served := filepath.Join(t.TempDir(), "served.jpg")
	out, _ := os.Create(served)
	out.ReadFrom(res.Body)
	out.Close()
	res.Body.Close()
	if !strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") {
		t.Fatalf("jpeg disposition = %q; want inline", res.Header.Get("Content-Disposition"))
	}
	// The privacy hole: a file stored as it is kept its camera's EXIF.
	meta, err := exec.Command(testenv.Tool(t, "exiftool"), "-s", "-GPS:all", "-XMP:all", "-IPTC:all", "-Make", "-Model", served).CombinedOutput()
	if err != nil || strings.TrimSpace(string(meta)) != "" {
		t.Fatalf("the served JPEG carries metadata (err %v):\n%s", err, meta)
	}
	list := e.do("GET", "/v1/files", nil, nil).json(t)
	if n := len(list["data"].([]any)); n != 4 {
		t.Fatalf("listed %d files; want 4", n)
	}
	other := map[string]string{"Authorization": "Bearer " + e.newUserKey()}
	id := uploaded[0].(map[string]any)["id"].(string)
	if r := e.do("GET", "/v1/files/"+id, nil, other); r.status != 404 {
		t.Fatalf("another account's file = %d; want 404", r.status)
	}
	if r := e.do("DELETE", "/v1/files/"+id, nil, nil); r.status != 204 {
		t.Fatalf("delete = %d", r.status)
	}
	if r := e.do("GET", "/v1/files/"+id, nil, nil); r.status != 404 {
		t.Fatalf("deleted file = %d; want 404", r.status)
	}
}

func TestMultiFileRefusals(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true,
		api: api.Config{MaxRequestBytes: 100 << 10, Plans: plans(picpipe.Plan{MaxUploadBytes: 40 << 10})}})
	small := []byte("hello\n")
	six := []part{}
	for i := range 6 {
		six = append(six, part{"files", fmt.Sprintf("f%d.txt", i), small})
	}
	if r := e.multi("/v1/files", six, nil); r.status != 400 || r.errorCode(t) != "invalid_request" {
		t.Fatalf("six files = %d %s; want 400 invalid_request", r.status, r.body)
	}
	e.nothingKept()
	big := bytes.Repeat([]byte("a"), 45<<10)
	five := []part{}
	for i := range 5 { // 175 KiB: over the 100 KiB request limit and its multipart slack
		five = append(five, part{"files", fmt.Sprintf("f%d.txt", i), bytes.Repeat([]byte("b"), 35<<10)})
	}
	if r := e.multi("/v1/files", five, nil); r.status != 413 || r.errorCode(t) != "payload_too_large" {
		t.Fatalf("body over the request limit = %d %s; want 413 payload_too_large", r.status, r.body)
	}
	e.nothingKept()
	r := e.multi("/v1/files", []part{{"files", "big.txt", big}, {"files", "ok.txt", small}}, nil)
	if r.status != 201 {
		t.Fatalf("one over-size part = %d %s; want 201 with an error entry", r.status, r.body)
	}
	errs := r.json(t)["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["code"] != "file_too_large" || len(r.json(t)["uploaded"].([]any)) != 1 {
		t.Fatalf("= %s; want ok.txt uploaded, big.txt file_too_large", r.body)
	}
	if b := e.blobs(""); len(b) != 1 {
		t.Fatalf("blobs = %v; want only ok.txt", b)
	}
	// Every file refused: the first refusal is the error, all are listed.
	r = e.multi("/v1/files", []part{{"files", "x.exe", small}, {"files", "y.jpg", exe}}, nil)
	if r.status != 400 || r.errorCode(t) != "unsupported_format" || len(r.json(t)["errors"].([]any)) != 2 {
		t.Fatalf("all refused = %d %s; want 400 with two errors", r.status, r.body)
	}
	for _, bad := range []string{"0", "59", "forever", "31d"} {
		if r := e.multi("/v1/files", []part{{"files", "a.txt", small}}, map[string]string{"expires_in": bad}); r.status != 400 {
			t.Errorf("expires_in %q = %d; want 400", bad, r.status)
		}
	}
}

func TestTemporaryFiles(t *testing.T) {
	now := time.Now()
	clock := &now
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, now: func() time.Time { return *clock }})
	r := e.multi("/v1/files", []part{{"files", "a.txt", []byte("temporary\n")}}, map[string]string{"expires_in": "72h"})
	if r.status != 201 {
		t.Fatalf("= %d %s", r.status, r.body)
	}
	f := r.json(t)["uploaded"].([]any)[0].(map[string]any)
	if f["expires_at"] != float64(now.Unix()+72*3600) {
		t.Fatalf("expires_at = %v; want %d", f["expires_at"], now.Unix()+72*3600)
	}
	res, _ := http.Get(f["url"].(string))
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Cache-Control"), "private, max-age=") {
		t.Fatalf("link = %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	later := now.Add(72*time.Hour + time.Second)
	clock = &later
	if r := e.do("GET", "/v1/files/"+f["id"].(string), nil, nil); r.status != 404 {
		t.Fatalf("expired file = %d; want 404", r.status)
	}
	if res, _ := http.Get(f["url"].(string)); res.StatusCode != 404 {
		t.Fatalf("expired link = %d; want 404", res.StatusCode)
	}
}

func TestBase64AndDataURLs(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{api: api.Config{Plans: plans(picpipe.Plan{MaxUploadBytes: 40 << 10})}})
	photo := fixture(t, "photo.jpg")
	b64 := base64.StdEncoding.EncodeToString(photo)

	r := e.postJSON("/v1/images", `{"quality": 70, "data": "data:image/jpeg;base64,`+b64+`", "filename": "p.jpg"}`, nil)
	if r.status != 201 || r.json(t)["quality"] != 70.0 || r.json(t)["filename"] != "p.jpg" {
		t.Fatalf("data URL image = %d %s; want 201 at quality 70", r.status, r.body)
	}
	urlSafe := base64.RawURLEncoding.EncodeToString([]byte("a,b\n1,2\n"))
	r = e.postJSON("/v1/files", `{"data": "`+urlSafe+`", "filename": "t.csv", "expires_in": 3600}`, nil)
	if r.status != 201 || r.json(t)["mime_type"] != "text/csv" || r.json(t)["size"] != 8.0 {
		t.Fatalf("raw url-safe base64 file = %d %s", r.status, r.body)
	}
	// Escaped slashes, as some JSON encoders write them, decode the same.
	escaped := strings.ReplaceAll(b64, "/", `\/`)
	if r := e.postJSON("/v1/images", `{"data":"`+escaped+`","resize":"100x"}`, nil); r.status != 201 {
		t.Fatalf("escaped base64 = %d %s", r.status, r.body)
	}

	// Refusals, on an account of their own: each must leave nothing.
	e = newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{Plans: plans(picpipe.Plan{MaxUploadBytes: 40 << 10})}})

	refusals := []struct {
		name, path, body, code string
	}{
		{"declared type lies", "/v1/images", `{"data": "data:image/png;base64,` + b64 + `"}`, "unsupported_format"},
		{"extension lies", "/v1/images", `{"data": "` + b64 + `", "filename": "x.gif"}`, "unsupported_format"},
		{"not base64", "/v1/images", `{"data": "@@@@not base64@@@@"}`, "invalid_request"},
		{"not an image", "/v1/images", `{"data": "` + base64.StdEncoding.EncodeToString(pdfDoc) + `"}`, "unsupported_format"},
		{"two sources", "/v1/images", `{"data": "` + b64 + `", "url": "https://example.com/a.jpg"}`, "invalid_request"},
		{"no source", "/v1/images", `{"quality": 80}`, "invalid_request"},
		{"bad option", "/v1/images", `{"data": "` + b64 + `", "quality": 0}`, "invalid_request"},
		{"not JSON", "/v1/images", `{"data": "` + b64[:100], "invalid_request"},
		{"nested", "/v1/files", `{"data": {"x": 1}}`, "invalid_request"},
		{"file type lies", "/v1/files", `{"data": "data:application/pdf;base64,` + base64.StdEncoding.EncodeToString([]byte("text")) + `"}`, "unsupported_format"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r := e.postJSON(tt.path, tt.body, nil)
			if r.status != 400 || r.errorCode(t) != tt.code {
				t.Fatalf("= %d %s; want 400 %s", r.status, r.body, tt.code)
			}
		})
	}
	// Over the limit: refused from Content-Length before a byte is decoded,
	// and on the stream when the length is not declared.
	huge := base64.StdEncoding.EncodeToString(make([]byte, 60<<10))
	if r := e.postJSON("/v1/files", `{"data": "`+huge+`"}`, nil); r.status != 400 || r.errorCode(t) != "file_too_large" {
		t.Fatalf("over the limit = %d %s; want 400 file_too_large", r.status, r.body)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/files", io.MultiReader(strings.NewReader(`{"data": "`+huge+`"}`)))
	req.ContentLength = -1 // chunked
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("chunked over the limit = %d; want 400", res.StatusCode)
	}
	e.nothingKept()
}

// source is a loopback server the URL-ingest tests fetch from.
func source(t *testing.T, photo []byte) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/photo.jpg", func(w http.ResponseWriter, _ *http.Request) { w.Write(photo) })
	mux.HandleFunc("/report.pdf", func(w http.ResponseWriter, _ *http.Request) { w.Write(pdfDoc) })
	mux.HandleFunc("/to-metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/x.jpg", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(photo)))
		w.WriteHeader(200)
		w.Write(photo[:100])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/exe.jpg", func(w http.ResponseWriter, _ *http.Request) { w.Write(exe) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func loopbackFetch(srv *httptest.Server) fetch.Config {
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	return fetch.Config{AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		AllowedPorts: []int{port}, ConnectTimeout: time.Second, HeaderTimeout: time.Second, TotalTimeout: 500 * time.Millisecond}
}

func TestURLIngest(t *testing.T) {
	photo := fixture(t, "photo.jpg")
	src := source(t, photo)
	e := newEnv(t, testenv.SQLite(t), envOpts{fetch: loopbackFetch(src)})

	r := e.postJSON("/v1/images", `{"url": "`+src.URL+`/photo.jpg", "resize": "240x"}`, map[string]string{"Prefer": "respond-async"})
	if r.status != 202 || r.json(t)["status"] != "queued" || r.header.Get("Location") == "" {
		t.Fatalf("url image = %d %s; want 202 queued with a Location", r.status, r.body)
	}
	img := e.poll(r.json(t)["id"].(string))
	if img["status"] != "ready" || img["width"] != 240.0 || img["size_original"] != float64(len(photo)) || img["filename"] != "photo.jpg" {
		t.Fatalf("fetched image = %v; want ready, 240 wide", img)
	}
	e.settle(img["id"].(string)) // its AVIF made and its source dropped: the blobs counted below stay
	r = e.postJSON("/v1/files", `{"url": "`+src.URL+`/report.pdf"}`, map[string]string{"Prefer": "wait=10"})
	if r.status != 201 || r.json(t)["mime_type"] != "application/pdf" || r.json(t)["size"] != float64(len(pdfDoc)) {
		t.Fatalf("url file with Prefer wait = %d %s; want 201 pdf", r.status, r.body)
	}
	u := e.do("GET", "/v1/usage", nil, nil).json(t)
	if want := float64(len(photo) + len(pdfDoc)); u["storage_used_bytes"] != want || u["image_count"] != 1.0 {
		t.Fatalf("usage = %v; want %v bytes, 1 image", u, want)
	}
	blobsBefore := len(e.blobs(""))

	refused := []struct{ name, url, code string }{
		{"metadata address", "http://169.254.169.254/latest/meta-data/", "fetch_failed"},
		{"mapped loopback", "http://[::ffff:127.0.0.1]:80/x.jpg", "fetch_failed"},
		{"hex loopback", "http://0x7f000001/x.jpg", "fetch_failed"},
		{"redirect to metadata", src.URL + "/to-metadata", "fetch_failed"},
		{"redirect to private", src.URL + "/to-private", "fetch_failed"},
		{"not found", src.URL + "/missing.jpg", "fetch_failed"},
		{"slow source", src.URL + "/slow", "fetch_failed"},
		{"executable behind .jpg", src.URL + "/exe.jpg", "unsupported_format"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			r := e.postJSON("/v1/images", `{"url": "`+tt.url+`"}`, map[string]string{"Prefer": "respond-async"})
			if r.status != 202 {
				t.Fatalf("= %d %s; want 202", r.status, r.body)
			}
			got := e.poll(r.json(t)["id"].(string))
			if got["status"] != "failed" || got["error"].(map[string]any)["code"] != tt.code {
				t.Fatalf("= %v; want failed %s", got, tt.code)
			}
		})
	}
	for _, bad := range []string{"ftp://example.com/a.jpg", "file:///etc/passwd", "http://user:pw@example.com/a.jpg", "not a url", "http:///x"} {
		if r := e.postJSON("/v1/images", `{"url": "`+bad+`"}`, nil); r.status != 400 || r.errorCode(t) != "invalid_request" {
			t.Errorf("url %q = %d %s; want 400 invalid_request", bad, r.status, r.body)
		}
	}
	if n := len(e.blobs("")); n != blobsBefore {
		t.Fatalf("refused fetches left blobs: %d, was %d", n, blobsBefore)
	}
	if u := e.do("GET", "/v1/usage", nil, nil).json(t); u["image_count"] != 1.0 || u["storage_used_bytes"] != float64(len(photo)+len(pdfDoc)) {
		t.Fatalf("usage after refusals = %v; want it unchanged", u)
	}
}

func TestURLIngestRefusesLoopbackByDefault(t *testing.T) {
	src := source(t, fixture(t, "photo.jpg"))
	cfg := loopbackFetch(src)
	cfg.AllowPrefixes = nil // the default: public addresses only
	e := newEnv(t, testenv.SQLite(t), envOpts{fetch: cfg})
	r := e.postJSON("/v1/images", `{"url": "`+src.URL+`/photo.jpg"}`, map[string]string{"Prefer": "wait=10"})
	if r.status != 422 || r.errorCode(t) != "fetch_failed" {
		t.Fatalf("loopback source = %d %s; want 422 fetch_failed", r.status, r.body)
	}
	if !strings.Contains(string(r.body), "not allowed") {
		t.Fatalf("reason = %s; want it to say the address is not allowed", r.body)
	}
}

func TestPresignedUpload(t *testing.T) {
	now := time.Now()
	clock := &now
	e := newEnv(t, testenv.SQLite(t), envOpts{now: func() time.Time { return *clock }})
	photo := fixture(t, "photo.jpg")
	presign := func(h map[string]string, size int) resp {
		return e.postJSON("/v1/uploads/presign", fmt.Sprintf(`{"content_type": "image/jpeg", "size": %d}`, size), h)
	}
	g := presign(nil, len(photo)).json(t)
	if g["method"] != "PUT" || g["expires_in"] != 3600.0 || !strings.HasPrefix(g["staging_key"].(string), "staging/"+e.userID+"/") {
		t.Fatalf("grant = %v", g)
	}
	put := func(grant map[string]any, body []byte, h map[string]string) resp {
		u, _ := url.Parse(grant["upload_url"].(string))
		return e.do("PUT", u.Path, bytes.NewReader(body), h)
	}
	// Another account cannot see the grant; another key of the account may not use it.
	if r := put(g, photo, map[string]string{"Authorization": "Bearer " + e.newUserKey()}); r.status != 404 {
		t.Fatalf("PUT by another account = %d; want 404", r.status)
	}
	_, secondKey, err := e.db.IssueAPIKey(context.Background(), e.userID, "second", "", now.Unix())
	if err != nil {
		t.Fatal(err)
	}
	if r := put(g, photo, map[string]string{"Authorization": "Bearer " + secondKey}); r.status != 403 {
		t.Fatalf("PUT with another key = %d; want 403", r.status)
	}
	if r := put(g, append(photo, 0), nil); r.status != 413 || r.errorCode(t) != "payload_too_large" {
		t.Fatalf("PUT over the declared size = %d %s; want 413", r.status, r.body)
	}
	if r := put(g, pdfDoc, nil); r.status != 400 || r.errorCode(t) != "unsupported_format" {
		t.Fatalf("PUT of another type = %d %s; want 400 unsupported_format", r.status, r.body)
	}
	if b := e.blobs(""); len(b) != 0 {
		t.Fatalf("refused PUTs left %v", b)
	}
	if r := e.postJSON("/v1/images", `{"staging_key": "`+g["staging_key"].(string)+`"}`, nil); r.status != 400 {
		t.Fatalf("POST before the PUT = %d; want 400", r.status)
	}
	if r := put(g, photo, nil); r.status != 200 || r.json(t)["size"] != float64(len(photo)) {
		t.Fatalf("PUT = %d %s; want 200", r.status, r.body)
	}
	if r := put(g, photo, nil); r.status != 400 {
		t.Fatalf("second PUT = %d; want 400", r.status)
	}
	r := e.postJSON("/v1/images", `{"staging_key": "`+g["staging_key"].(string)+`", "quality": 60}`, nil)
	if r.status != 201 || r.json(t)["quality"] != 60.0 || r.json(t)["size_original"] != float64(len(photo)) {
		t.Fatalf("POST staging_key = %d %s; want 201", r.status, r.body)
	}
	if r := e.postJSON("/v1/images", `{"staging_key": "`+g["staging_key"].(string)+`", "quality": 61}`, nil); r.status != 400 {
		t.Fatalf("reused grant = %d %s; want 400", r.status, r.body)
	}
	// An expired grant is refused, for the PUT and for the use.
	g2 := presign(nil, len(photo)).json(t)
	later := now.Add(time.Hour + time.Second)
	clock = &later
	if r := put(g2, photo, nil); r.status != 400 || !strings.Contains(string(r.body), "expired") {
		t.Fatalf("PUT to an expired grant = %d %s; want 400 expired", r.status, r.body)
	}
	clock = &now
	for _, body := range []string{`{"content_type": "image/svg+xml", "size": 10}`, `{"content_type": "image/png", "size": 0}`,
		`{"content_type": "image/png", "size": 52428801}`} {
		if r := e.postJSON("/v1/uploads/presign", body, nil); r.status != 400 {
			t.Errorf("presign %s = %d; want 400", body, r.status)
		}
	}
}

// TestPresignedUploadOverQuotaKeepsTheGrant: a presigned upload refused
// for quota can be used once quota is freed, within the grant's hour, on
// both stores: the client's bytes stay with the grant meanwhile, and only
// they (not a copy the refused confirmation made).
func TestPresignedUploadOverQuotaKeepsTheGrant(t *testing.T) {
	o := envOpts{api: api.Config{Plans: plans(picpipe.Plan{MaxImages: 1, MaxUploadBytes: 10 << 20, MaxPresignedBytes: 10 << 20})}}
	forEachBackend(t, o, func(t *testing.T, e *env) {
		photo := fixture(t, "photo.jpg")
		g := e.grant("image/jpeg", len(photo))
		if code, body := browserUpload(t, g, photo, nil); code != http.StatusOK && code != http.StatusNoContent {
			t.Fatalf("upload = %d %s", code, body)
		}
		first := e.upload("photo.jpg", photo, nil, nil) // fills the quota meanwhile
		if first.status != 201 {
			t.Fatalf("first upload = %d %s", first.status, first.body)
		}
		use := `{"staging_key": "` + g["staging_key"].(string) + `", "quality": 50}`
		if r := e.postJSON("/v1/images", use, nil); r.status != 429 || r.errorCode(t) != "quota_exceeded" {
			t.Fatalf("over quota = %d %s; want 429", r.status, r.body)
		}
		firstSource := "staging/" + e.userID + "/" + first.json(t)["id"].(string)
		for _, k := range e.staged() {
			if k != g["staging_key"] && k != firstSource {
				t.Fatalf("%s staged after the refusal; want only the grant's bytes", k)
			}
		}
		if r := e.do("DELETE", "/v1/images/"+first.json(t)["id"].(string), nil, nil); r.status != 204 {
			t.Fatal(r.status)
		}
		if r := e.postJSON("/v1/images", use, nil); r.status != 201 {
			t.Fatalf("after freeing quota = %d %s; want 201", r.status, r.body)
		}
	})
}
