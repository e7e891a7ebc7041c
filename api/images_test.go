package api_test

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picpipe"
	"picpipe/api"
	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/jobs"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	revoked := e.newUserKey()
	k, err := e.db.APIKeyByHash(context.Background(), db.HashSecret(revoked))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.RevokeAPIKey(context.Background(), "", k.ID, 1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		header     map[string]string
		wantStatus int
	}{
		{"no key", map[string]string{"Authorization": ""}, 401},
		{"unknown key", map[string]string{"Authorization": "Bearer pk_live_nope"}, 401},
		{"wrong scheme", map[string]string{"Authorization": "Basic " + e.key}, 401},
		{"revoked key", map[string]string{"Authorization": "Bearer " + revoked}, 401},
		{"bearer", nil, 200},
		{"x-api-key", map[string]string{"Authorization": "", "X-Api-Key": e.key}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/v1/images", nil, tt.header)
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d %s; want %d", r.status, r.body, tt.wantStatus)
			}
			if tt.wantStatus == 401 {
				if got := r.errorCode(t); got != "unauthorized" || r.header.Get("WWW-Authenticate") == "" {
					t.Fatalf("code = %q, WWW-Authenticate %q; want unauthorized with a challenge", got, r.header.Get("WWW-Authenticate"))
				}
			}
		})
	}
}

func TestSuspendedUserForbidden(t *testing.T) {
	d := testenv.SQLite(t)
	e := newEnv(t, d, envOpts{noWorker: true})
	if err := d.Exec(context.Background(), "UPDATE users SET status = 'suspended' WHERE id = ?", e.userID); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/v1/images", nil, nil)
	if r.status != 403 || r.errorCode(t) != "forbidden" {
		t.Fatalf("suspended user: %d %s; want 403 forbidden", r.status, r.body)
	}
}

// TestUploadLifecycle is the walking skeleton: upload, link, poll, list,
// dedup, delete — on SQLite and on PostgreSQL.
func TestUploadLifecycle(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpts{})
		photo := fixture(t, "photo.jpg")

		r := e.upload("photo.jpg", photo, map[string]string{"quality": "75"}, nil)
		if r.status != http.StatusCreated {
			t.Fatalf("sync upload = %d %s; want 201", r.status, r.body)
		}
		img := r.json(t)
		if img["status"] != "ready" || img["format"] != "webp" || img["width"] != 480.0 || img["height"] != 320.0 {
			t.Fatalf("uploaded image = %s; want ready 480x320 webp", r.body)
		}
		if !strings.HasPrefix(img["id"].(string), "img_") || img["size_original"] != float64(len(photo)) {
			t.Fatalf("id/size_original = %v/%v", img["id"], img["size_original"])
		}
		if ratio := img["compression_ratio"].(float64); ratio <= 0 || ratio >= 1 {
			t.Fatalf("compression_ratio = %v; want in (0,1)", ratio)
		}
		link := img["url"].(string)
		if !strings.HasPrefix(link, e.srv.URL+"/u/"+e.userID+"/") || !strings.HasSuffix(link, ".webp") {
			t.Fatalf("url = %q", link)
		}

		// The same bytes and options again: the same image, 200.
		again := e.upload("other-name.jpg", photo, map[string]string{"quality": "75"}, nil)
		if again.status != http.StatusOK || again.json(t)["id"] != img["id"] || again.json(t)["url"] != link {
			t.Fatalf("repeat upload = %d %s; want 200 with the same id and url", again.status, again.body)
		}
		// Other options: another image.
		resized := e.upload("photo.jpg", photo, map[string]string{"resize": "240x"}, nil)
		if resized.status != http.StatusCreated || resized.json(t)["width"] != 240.0 || resized.json(t)["height"] != 160.0 {
			t.Fatalf("resized upload = %d %s; want 201, 240x160", resized.status, resized.body)
		}

		// Asynchronous: 202 + Location, then ready when polled.
		async := e.upload("p.jpg", fixture(t, "progressive.jpg"), nil, map[string]string{"Prefer": "respond-async"})
		if async.status != http.StatusAccepted || async.json(t)["status"] != "queued" {
			t.Fatalf("async upload = %d %s; want 202 queued", async.status, async.body)
		}
		loc := async.header.Get("Location")
		if loc != "/v1/images/"+async.json(t)["id"].(string) {
			t.Fatalf("Location = %q", loc)
		}
		if got := e.poll(async.json(t)["id"].(string)); got["status"] != "ready" {
			t.Fatalf("polled image = %v; want ready", got)
		}

		list := e.do("GET", "/v1/images?limit=2", nil, nil).json(t)
		if n := len(list["data"].([]any)); n != 2 || list["next_cursor"] == nil {
			t.Fatalf("first page: %d items, next_cursor %v; want 2 and a cursor", n, list["next_cursor"])
		}
		rest := e.do("GET", "/v1/images?limit=2&cursor="+list["next_cursor"].(string), nil, nil).json(t)
		if n := len(rest["data"].([]any)); n != 1 || rest["next_cursor"] != nil {
			t.Fatalf("second page: %d items, next_cursor %v; want 1 and null", n, rest["next_cursor"])
		}

		// Another account sees nothing of it.
		other := map[string]string{"Authorization": "Bearer " + e.newUserKey()}
		if r := e.do("GET", "/v1/images/"+img["id"].(string), nil, other); r.status != 404 || r.errorCode(t) != "not_found" {
			t.Fatalf("other user's GET = %d %s; want 404 not_found", r.status, r.body)
		}
		if r := e.do("DELETE", "/v1/images/"+img["id"].(string), nil, other); r.status != 404 {
			t.Fatalf("other user's DELETE = %d; want 404", r.status)
		}

		if r := e.do("DELETE", "/v1/images/"+img["id"].(string), nil, nil); r.status != http.StatusNoContent {
			t.Fatalf("DELETE = %d %s; want 204", r.status, r.body)
		}
		if r := e.do("GET", "/v1/images/"+img["id"].(string), nil, nil); r.status != 404 {
			t.Fatalf("GET after delete = %d; want 404", r.status)
		}
		if res, err := http.Get(link); err != nil || res.StatusCode != 404 {
			t.Fatalf("link after delete = %v %v; want 404", res.StatusCode, err)
		}
	})
}

func TestDeliveryHeadersAndMetadata(t *testing.T) {
	exiftool := testenv.Tool(t, "exiftool")
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	r := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("upload = %d %s", r.status, r.body)
	}
	link := r.json(t)["url"].(string)

	get := func(h map[string]string) *http.Response {
		req, _ := http.NewRequest("GET", link, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	res := get(map[string]string{"Accept": "image/webp"})
	for k, want := range map[string]string{
		"Content-Type": "image/webp", "Vary": "Accept", "X-Picpipe-Format": "webp",
		"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
	etag := res.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) {
		t.Fatalf("ETag = %q; want a strong ETag", etag)
	}
	out := filepath.Join(t.TempDir(), "out.webp")
	f, _ := os.Create(out)
	f.ReadFrom(res.Body)
	f.Close()
	meta, err := exec.Command(exiftool, "-G", "-s", "-EXIF:all", "-XMP:all", "-IPTC:all", "-GPS:all", out).CombinedOutput()
	if err != nil || strings.TrimSpace(string(meta)) != "" {
		t.Fatalf("served WebP carries metadata (err %v):\n%s", err, meta)
	}

	if res := get(map[string]string{"Accept": "image/webp", "If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match = %d; want 304", res.StatusCode)
	}
	if res := get(map[string]string{"Range": "bytes=0-11"}); res.StatusCode != http.StatusPartialContent || res.ContentLength != 12 {
		t.Fatalf("Range = %d len %d; want 206, 12 bytes", res.StatusCode, res.ContentLength)
	}
	if res := get(nil); res.StatusCode != 200 {
		t.Fatalf("no Accept = %d", res.StatusCode)
	}
	// Unknown hash, wrong extension: 404.
	for _, p := range []string{"/u/" + e.userID + "/0000.webp", strings.TrimSuffix(strings.TrimPrefix(link, e.srv.URL), ".webp") + ".gif"} {
		if r := e.do("GET", p, nil, nil); r.status != 404 {
			t.Errorf("GET %s = %d; want 404", p, r.status)
		}
	}
}

func TestAVIFNegotiation(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	r := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	link := r.json(t)["url"].(string)
	id := r.json(t)["id"].(string)
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, err := e.db.VariantOf(context.Background(), id, db.VariantAVIF)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status == db.StatusReady {
			// The source goes with the last variant's end: its row at
			// once, its blob right after the commit.
			for settle := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				img, err := e.db.ImageByID(context.Background(), e.userID, id)
				if err != nil {
					t.Fatal(err)
				}
				if img.SourceKey == "" && len(e.blobs("staging")) == 0 {
					break
				}
				if time.Now().After(settle) {
					t.Fatalf("source kept after AVIF: %q, %v", img.SourceKey, e.blobs("staging"))
				}
			}
			break
		}
		if v.Status == db.StatusFailed || time.Now().After(deadline) {
			t.Fatalf("avif status %q", v.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, tt := range []struct{ accept, want string }{
		{"image/avif,image/webp,*/*", "avif"},
		{"image/webp", "webp"},
		{"image/avif;q=0.5,image/webp", "webp"},
		{"image/avif;q=0,*/*", "webp"},
		{"image/*", "webp"},
		{"*/*", "webp"},
		{"", "webp"}, // wget, curl, scripts: the .webp link is a WebP
	} {
		req, _ := http.NewRequest("GET", link, nil)
		req.Header.Set("Accept", tt.accept)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if got := res.Header.Get("X-Picpipe-Format"); got != tt.want || res.Header.Get("Content-Type") != "image/"+tt.want || res.Header.Get("Vary") != "Accept" {
			t.Errorf("Accept %q: format %q type %q vary %q; want %s", tt.accept, got, res.Header.Get("Content-Type"), res.Header.Get("Vary"), tt.want)
		}
		if isWebP := len(body) > 12 && string(body[8:12]) == "WEBP"; isWebP != (tt.want == "webp") {
			t.Errorf("Accept %q: the body starts % x; want %s bytes", tt.accept, body[:min(len(body), 12)], tt.want)
		}
	}
}

// TestRefusals: bad input gets a stable code and leaves no row and no blob.
func TestRefusals(t *testing.T) {
	d := testenv.SQLite(t)
	e := newEnv(t, d, envOpts{api: api.Config{Plans: plans(picpipe.Plan{MaxUploadBytes: 40 << 10})}})
	photo := fixture(t, "photo.jpg")
	big := append(append([]byte{}, photo...), make([]byte, 40<<10)...)
	tests := []struct {
		name     string
		file     string
		content  []byte
		fields   map[string]string
		wantCode string
		status   int
	}{
		{"text file", "notes.txt", []byte("hello, this is not an image"), nil, "unsupported_format", 400},
		{"exe renamed jpg", "cat.jpg", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 200)...), nil, "unsupported_format", 400},
		{"jpeg named png", "photo.png", photo, nil, "unsupported_format", 400},
		{"svg", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), nil, "unsupported_format", 400},
		{"no file", "", nil, map[string]string{"quality": "80"}, "invalid_request", 400},
		{"empty file", "a.jpg", []byte{}, nil, "invalid_request", 400},
		{"quality 0", "photo.jpg", photo, map[string]string{"quality": "0"}, "invalid_request", 400},
		{"quality 101", "photo.jpg", photo, map[string]string{"quality": "101"}, "invalid_request", 400},
		{"lossless junk", "photo.jpg", photo, map[string]string{"lossless": "maybe"}, "invalid_request", 400},
		{"resize junk", "photo.jpg", photo, map[string]string{"resize": "big"}, "invalid_request", 400},
		{"resize x", "photo.jpg", photo, map[string]string{"resize": "x"}, "invalid_request", 400},
		{"resize huge", "photo.jpg", photo, map[string]string{"resize": "9000x"}, "invalid_request", 400},
		{"too large", "photo.jpg", big, nil, "file_too_large", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(tt.file, tt.content, tt.fields, nil)
			if r.status != tt.status || r.errorCode(t) != tt.wantCode {
				t.Fatalf("= %d %s; want %d %s", r.status, r.body, tt.status, tt.wantCode)
			}
		})
	}
	if r := e.do("POST", "/v1/images", strings.NewReader(`{}`), map[string]string{"Content-Type": "text/plain"}); r.status != 400 {
		t.Fatalf("non-multipart = %d; want 400", r.status)
	}
	if b := e.blobs(""); len(b) != 0 {
		t.Fatalf("blobs left behind: %v", b)
	}
	if imgs, _ := d.ListImages(context.Background(), e.userID, "", 100); len(imgs) != 0 {
		t.Fatalf("rows left behind: %d", len(imgs))
	}
}

// TestProcessingFailures: undecodable files end failed with a stable code,
// synchronously as an error and on poll, with no blob left.
func TestProcessingFailures(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	png := fixture(t, "alpha.png")
	truncated := png[:len(png)/2] // a whole header: only decoding finds the cut
	r := e.upload("cut.png", truncated, nil, nil)
	if r.status != 422 || r.errorCode(t) != "decode_failed" {
		t.Fatalf("truncated PNG = %d %s; want 422 decode_failed", r.status, r.body)
	}
	async := e.upload("cut.png", truncated, map[string]string{"quality": "50"}, map[string]string{"Prefer": "respond-async"})
	got := e.poll(async.json(t)["id"].(string))
	if got["status"] != "failed" || got["error"].(map[string]any)["code"] != "decode_failed" || got["url"] != nil {
		t.Fatalf("polled truncated upload = %v; want failed decode_failed", got)
	}
	if b := e.blobs(""); len(b) != 0 {
		t.Fatalf("blobs left behind: %v", b)
	}
	// A failed image does not block a later upload of the same bytes.
	if r := e.upload("cut.png", truncated, nil, nil); r.status != 422 {
		t.Fatalf("retry of a failed upload = %d; want 422 again", r.status)
	}
}

// TestRefusedFromTheHeader: what the bytes passing through the API show
// (a size over the limits in the header, a JPEG cut short) is refused at
// once, before anything is queued, whichever way the bytes come in.
func TestRefusedFromTheHeader(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{MaxEdge: 400}})
	photo := fixture(t, "photo.jpg")    // 480×320
	small := fixture(t, "orient-1.jpg") // 64×32
	cut := small[:len(small)-100]
	tests := []struct {
		name    string
		send    func() resp
		code    string
		refused bool
	}{
		{"edge over the limit, multipart", func() resp { return e.upload("p.jpg", photo, nil, nil) }, "too_many_pixels", true},
		{"edge over the limit, base64", func() resp {
			return e.postJSON("/v1/images", `{"data":"`+base64.StdEncoding.EncodeToString(photo)+`"}`, nil)
		}, "too_many_pixels", true},
		{"truncated JPEG, multipart", func() resp { return e.upload("cut.jpg", cut, nil, nil) }, "decode_failed", true},
		{"truncated JPEG, async", func() resp {
			return e.upload("cut.jpg", cut, nil, map[string]string{"Prefer": "respond-async"})
		}, "decode_failed", true},
		{"truncated JPEG, base64", func() resp {
			return e.postJSON("/v1/images", `{"data":"`+base64.StdEncoding.EncodeToString(cut)+`"}`, nil)
		}, "decode_failed", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send()
			if r.status != 422 || r.errorCode(t) != tt.code {
				t.Fatalf("= %d %s; want 422 %s", r.status, r.body, tt.code)
			}
		})
	}
	if b := e.blobs(""); len(b) != 0 {
		t.Fatalf("blobs left behind: %v", b)
	}
	if imgs, _ := e.db.ListImages(context.Background(), e.userID, "", 10); len(imgs) != 0 {
		t.Fatalf("rows left behind: %d", len(imgs))
	}
	// A whole JPEG within the limits passes (no worker here: it is queued).
	if r := e.upload("p.jpg", small, map[string]string{"resize": "100x"}, map[string]string{"Prefer": "respond-async"}); r.status != 202 {
		t.Fatalf("whole small JPEG = %d %s; want 202", r.status, r.body)
	}
}

func TestPreferWait(t *testing.T) {
	// No worker: nothing finishes, so the wait bound decides the answer.
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	start := time.Now()
	r := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, map[string]string{"Prefer": "wait=1"})
	if r.status != http.StatusAccepted || r.header.Get("Preference-Applied") != "wait=1" {
		t.Fatalf("Prefer wait=1 = %d, applied %q; want 202 wait=1", r.status, r.header.Get("Preference-Applied"))
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("returned after %v; want it to wait the full second", el)
	}
	if b := e.blobs("staging"); len(b) != 1 {
		t.Fatalf("staging = %v; want the one queued source", b)
	}
}

func TestHealthAndAdmin(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{AdminToken: "s3cret"}})
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := e.do("GET", p, nil, nil); r.status != 200 {
			t.Errorf("%s = %d %s", p, r.status, r.body)
		}
	}
	if r := e.do("GET", "/admin/queues/", nil, map[string]string{"Authorization": ""}); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("admin without token = %d; want 401 with a challenge", r.status)
	}
	if r := e.do("GET", "/admin/queues/", nil, map[string]string{"Authorization": "Bearer wrong"}); r.status != 401 {
		t.Fatalf("admin with a wrong token = %d; want 401", r.status)
	}
	page := e.do("GET", "/admin/queues/", nil, map[string]string{"Authorization": "Basic " + basic("admin", "s3cret")})
	if page.status != 200 || !strings.Contains(string(page.body), "<div id=\"root\"") {
		t.Fatalf("asynqmon page = %d %.200s; want the app shell", page.status, page.body)
	}
	queues := e.do("GET", "/admin/queues/api/queues", nil, map[string]string{"Authorization": "Bearer s3cret"})
	if queues.status != 200 || !strings.Contains(string(queues.body), "queues") {
		t.Fatalf("asynqmon API = %d %.200s", queues.status, queues.body)
	}
	if r := e.do("GET", "/metrics", nil, map[string]string{"Authorization": ""}); r.status != 401 {
		t.Fatalf("metrics without token = %d; want 401", r.status)
	}
	if r := e.do("GET", "/metrics", nil, map[string]string{"Authorization": "Bearer s3cret"}); r.status != 200 || !strings.Contains(string(r.body), "go_goroutines") {
		t.Fatalf("metrics = %d %.200s", r.status, r.body)
	}
	closed := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	if r := closed.do("GET", "/admin/queues/", nil, map[string]string{"Authorization": "Bearer "}); r.status != 401 {
		t.Fatalf("admin with no token configured = %d; want 401", r.status)
	}
	if r := e.do("GET", "/nope", nil, nil); r.status != 404 || r.errorCode(t) != "not_found" {
		t.Fatalf("unknown route = %d %s", r.status, r.body)
	}
}

func basic(user, pw string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pw)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func TestRunDashboard(t *testing.T) {
	redisOpt, err := jobs.RedisOpt(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- api.RunDashboard(ctx, api.Config{Addr: addr, AdminToken: "tok"}, redisOpt) }()
	get := func(path, token string) int {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	deadline := time.Now().Add(10 * time.Second)
	for get("/healthz", "") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("dashboard did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := get("/admin/queues/", ""); got != 401 {
		t.Errorf("dashboard without token = %d; want 401", got)
	}
	if got := get("/admin/queues/", "tok"); got != 200 {
		t.Errorf("dashboard with token = %d; want 200", got)
	}
	if got := get("/v1/images", "tok"); got != 404 {
		t.Errorf("dashboard serves the API: %d; want 404", got)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("RunDashboard returned %v after cancel", err)
	}
}

func TestConcurrentIdenticalUploads(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpts{})
		photo := fixture(t, "photo.jpg")
		const n = 6
		results := make(chan resp, n)
		for range n {
			go func() { results <- e.upload("photo.jpg", photo, nil, nil) }()
		}
		ids := map[string]bool{}
		statuses := map[int]int{}
		for range n {
			r := <-results
			statuses[r.status]++
			if r.status == 200 || r.status == 201 {
				ids[r.json(t)["id"].(string)] = true
			}
		}
		if len(ids) != 1 || statuses[201] != 1 || statuses[200] != n-1 {
			t.Fatalf("statuses %v, ids %v; want one 201, %d 200, one id", statuses, ids, n-1)
		}
		imgs, err := d.ListImages(context.Background(), e.userID, "", 100)
		if err != nil || len(imgs) != 1 {
			t.Fatalf("%d rows (%v); want 1", len(imgs), err)
		}
	})
}
