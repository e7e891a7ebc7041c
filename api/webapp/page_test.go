package webapp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"picpipe"
	"picpipe/api"
	"picpipe/fetch"
	"picpipe/imaging"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/storage"
	"picpipe/worker"
)

// TestUploadPage drives the web upload page in headless Chromium against
// a real picpipe (API, worker, redis-server, SQLite): a key pasted, two
// photos chosen, both followed to ready with their WebP and AVIF sizes,
// their links loading in the page and from Go, a refused .exe and a text
// file posing as a PNG dropped and their errors shown, the usage meter
// and the recent list, a delete; a screenshot is saved on the way. The
// page must load nothing from another host, and nothing may break its
// Content-Security-Policy.
func TestUploadPage(t *testing.T) {
	browser := chromium(t)
	site, key := startPicpipe(t, api.Config{})
	seen := &pageLog{}
	ctx := newBrowser(t, browser, seen)
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v\npage log:\n%s", what, err, seen)
		}
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v\npage log:\n%s", expr, err, seen)
		}
		return v
	}
	waitFor := func(what, expr string, d time.Duration) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(100*time.Millisecond)))
		if err != nil {
			t.Fatalf("waiting for %s: %v\npage log:\n%s", what, err, seen)
		}
	}

	run("open /app and use the key",
		chromedp.Navigate(site+"/app"),
		chromedp.WaitVisible(chromedp.CSS("#key")),
		chromedp.SendKeys(chromedp.CSS("#key"), key),
		chromedp.Click(chromedp.CSS("#use-key")),
		chromedp.WaitVisible(chromedp.CSS("#drop")),
	)
	if got := eval(`[sessionStorage.getItem('picpipe.key'), localStorage.length, document.cookie]`); !sameJSON(got, []any{key, 0.0, ""}) {
		t.Fatalf("storage = %v; want the key in sessionStorage only", got)
	}
	waitFor("the usage meter", `document.querySelector('#images-text').textContent === '0 of 50'`, 10*time.Second)

	// Two photos through the file picker.
	photos := []string{fixture(t, "photo.jpg"), fixture(t, "alpha.png")}
	run("choose two photos", chromedp.SetUploadFiles(chromedp.CSS("#files"), photos))
	waitFor("both photos ready", `document.querySelectorAll('#uploads .item[data-status="ready"]').length === 2`, 60*time.Second)
	// The photo's AVIF is smaller than its WebP: made. The small PNG's is
	// not: skipped, its WebP served.
	waitFor("both AVIFs final", `[...document.querySelectorAll('#uploads .size-avif')].map(a => a.dataset.status).join() === 'ready,skipped'`, 90*time.Second)
	waitFor("both previews drawn", `[...document.querySelectorAll('#uploads .preview')].every(i => i.complete && i.naturalWidth > 0)`, 10*time.Second)
	sizes := eval(`[...document.querySelectorAll('#uploads .sizes')].map(d => d.innerText.replace(/\s+/g, ' ').trim())`)
	for i, want := range []string{"AVIF [0-9.]+ KB", "AVIF no smaller"} {
		s := sizes.([]any)[i].(string)
		if !regexp.MustCompile(`Original [0-9.]+ KB WebP [0-9.]+ K?B \(−[0-9]+%\) ` + want).MatchString(s) {
			t.Errorf("sizes shown: %q; want the original, WebP and %s", s, want)
		}
	}
	t.Logf("sizes shown: %q", sizes)
	links := eval(`[...document.querySelectorAll('#uploads .url')].map(i => i.value)`).([]any)
	for _, l := range links {
		checkLink(t, site, l.(string))
	}
	// In the page too: fetch's */* gets the link's own WebP, a browser's
	// image Accept the AVIF where one was made.
	got := eval(`Promise.all([...document.querySelectorAll('#uploads .url')].flatMap(i => [
		fetch(i.value).then(r => r.status + ' ' + r.headers.get('content-type')),
		fetch(i.value, {headers: {Accept: 'image/avif,image/webp,*/*'}}).then(r => r.status + ' ' + r.headers.get('content-type'))]))`)
	if !sameJSON(got, []any{"200 image/webp", "200 image/avif", "200 image/webp", "200 image/webp"}) {
		t.Errorf("links fetched in the page = %v; want WebP, then AVIF when asked (the photo; the PNG has none)", got)
	}

	// Two refusals, dropped.
	run("drop a program and a text posing as a PNG", chromedp.Evaluate[chromedp.Void](`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff])], 'setup.exe'));
		dt.items.add(new File(['just some notes, not a picture\n'], 'notes.png', {type: 'image/png'}));
		const drop = document.querySelector('#drop');
		drop.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
		drop.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
	})()`))
	waitFor("both refusals shown", `document.querySelectorAll('#uploads .item[data-status="failed"] .error:not([hidden])').length === 2`, 20*time.Second)
	errs := eval(`[...document.querySelectorAll('#uploads .item[data-status="failed"]')].map(li => li.querySelector('.name').textContent + ': ' + li.querySelector('.error').textContent)`).([]any)
	for i, want := range []string{"setup.exe: ", "notes.png: "} {
		if e := errs[i].(string); !strings.HasPrefix(e, want) || !strings.Contains(e, "(unsupported_format)") {
			t.Errorf("refusal %d shows %q; want %s… (unsupported_format)", i, e, want)
		}
	}
	t.Logf("refusals shown: %q", errs)

	waitFor("the usage meter counting two", `document.querySelector('#images-text').textContent === '2 of 50'`, 10*time.Second)
	waitFor("the recent list", `document.querySelectorAll('#recent .item[data-status="ready"] .delete:not([hidden])').length === 2`, 10*time.Second)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, shot)

	// Delete the newest from the recent list: two clicks, the link is gone.
	gone := eval(`document.querySelector('#recent .item .url').value`).(string)
	run("delete", chromedp.Click(chromedp.CSS("#recent .item .delete")), chromedp.Click(chromedp.CSS("#recent .item .delete.armed")))
	waitFor("one image left", `document.querySelectorAll('#recent .item').length === 1 && document.querySelector('#images-text').textContent === '1 of 50'`, 10*time.Second)
	if res, err := http.Get(gone); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("GET the deleted link = %v, %v; want 404", res.StatusCode, err)
	}

	if bad := seen.problems(site); len(bad) > 0 {
		t.Errorf("the page broke its rules:\n%s", strings.Join(bad, "\n"))
	}
}

// TestUploadPageHeaders: the page and its files come with a strict
// Content-Security-Policy (its own scripts and styles only, nothing
// inline, no framing), never sniffed, never framed.
func TestUploadPageHeaders(t *testing.T) {
	site, _ := startPicpipe(t, api.Config{})
	res, err := http.Get(site + "/app")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/app/" {
		t.Fatalf("GET /app ended at %s; want /app/", res.Request.URL)
	}
	for file, typ := range map[string]string{"": "text/html", "app.js": "text/javascript", "app.css": "text/css", "icon.svg": "image/svg+xml"} {
		res, err := http.Get(site + "/app/" + file)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		csp := res.Header.Get("Content-Security-Policy")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), typ) || len(body) == 0 {
			t.Errorf("GET /app/%s = %d %s", file, res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, want := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self';", "frame-ancestors 'none'", "connect-src 'self';"} {
			if !strings.Contains(csp, want) {
				t.Errorf("/app/%s CSP %q lacks %q", file, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("/app/%s: CSP %q, X-Frame-Options %q, nosniff %q", file, csp, res.Header.Get("X-Frame-Options"), res.Header.Get("X-Content-Type-Options"))
		}
		if strings.Contains(string(body), "http://") && typ != "image/svg+xml" || strings.Contains(string(body), "https://") {
			t.Errorf("/app/%s names another host", file)
		}
	}
	for _, p := range []string{"/app/nope.js", "/app/../openapi.json", "/app/index.go"} {
		if res, err := http.Get(site + p); err != nil || res.StatusCode != 404 {
			t.Errorf("GET %s = %v %v; want 404", p, res.StatusCode, err)
		}
	}
}

// chromium returns the path of Debian's chromium. Without it the test is
// skipped, except in CI (CI set), where it fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI must run the browser test (make test installs it)")
	}
	t.Skip("chromium is not installed (make test installs it: apt-get install chromium)")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile, kept off the
// network, and returns its tab's context; every request, log entry and
// exception of the tab is recorded in seen.
func newBrowser(t *testing.T, path string, seen *pageLog) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 1000),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(seen.record))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancelT)
	return tctx
}

// pageLog records what a tab asked for and complained of.
type pageLog struct {
	mu       sync.Mutex
	requests []string
	entries  []string
}

func (l *pageLog) record(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, e.Request.URL)
	case *log.EventEntryAdded:
		l.entries = append(l.entries, string(e.Entry.Source)+" "+string(e.Entry.Level)+": "+e.Entry.Text)
	case *runtime.EventExceptionThrown:
		l.entries = append(l.entries, "exception: "+e.ExceptionDetails.Text+" "+describe(e.ExceptionDetails.Exception))
	}
}

func describe(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	return o.Description
}

// problems lists requests to anywhere but site, CSP violations and
// uncaught exceptions. (The refused uploads' 400s are the network's
// errors, expected.)
func (l *pageLog) problems(site string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, u := range l.requests {
		if !strings.HasPrefix(u, site+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			out = append(out, "a request to another host: "+u)
		}
	}
	for _, e := range l.entries {
		if strings.HasPrefix(e, "exception") || strings.HasPrefix(e, "security") || strings.Contains(e, "Content Security Policy") {
			out = append(out, e)
		}
	}
	return out
}

func (l *pageLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.entries, "\n")
}

// startPicpipe runs the API (configured by cfg) and a worker on a real
// redis-server and SQLite, with a blob directory, on 127.0.0.1; it
// returns the API's base URL and the secret of a new account's key (the
// free plan: 50 images).
func startPicpipe(t *testing.T, cfg api.Config) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := testenv.SQLite(t)
	redisOpt, err := jobs.RedisOpt(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plans := picpipe.Plans{picpipe.DefaultPlan: {MaxImages: 50, MaxStorageBytes: 200 << 20, MaxUploadBytes: 10 << 20, MaxPresignedBytes: 50 << 20}}
	cfg.Plans = plans
	a, err := api.New(ctx, cfg, api.Deps{DB: d, Store: st, Redis: redisOpt})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = a.HTTPServer()
	srv.Listener = api.GuardListener(srv.Listener)
	srv.Start()
	if err := imaging.Startup(); err != nil {
		t.Fatal(err)
	}
	proc, err := imaging.NewProcessor(imaging.Config{})
	if err != nil {
		t.Fatal(err)
	}
	fetcher, err := fetch.New(fetch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(worker.Config{Concurrency: 2, ShutdownTimeout: 5 * time.Second},
		worker.Deps{DB: d, Store: st, Redis: redisOpt, Processor: proc, Fetcher: fetcher})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close(); a.Close() })
	_, _, key, err := d.CreateUserWithKey(ctx, "browser", picpipe.DefaultPlan, "", time.Now().Unix())
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, key
}

// checkLink GETs a link the page shows, from Go: it is on site and
// answers the WebP it names.
func checkLink(t *testing.T, site, link string) {
	t.Helper()
	if !strings.HasPrefix(link, site+"/u/") || !strings.HasSuffix(link, ".webp") {
		t.Fatalf("link %q; want %s/u/….webp", link, site)
	}
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/webp" || len(body) < 12 || string(body[8:12]) != "WEBP" {
		t.Errorf("GET %s = %d %s, %d bytes; want a WebP", link, res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("GET %s: Access-Control-Allow-Origin %q; want *", link, res.Header.Get("Access-Control-Allow-Origin"))
	}
}

// saveScreenshot writes png under $PICPIPE_SCREENSHOT_DIR (the system's
// temporary directory without it) and logs where.
func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	dir := os.Getenv("PICPIPE_SCREENSHOT_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "picpipe-upload-page.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the upload page: %s", path)
}

// fixture copies an image of imaging/testdata to a temporary directory
// and returns its path there.
func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "imaging", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// sameJSON compares a value Evaluate decoded with want.
func sameJSON(got any, want []any) bool {
	g, ok := got.([]any)
	if !ok || len(g) != len(want) {
		return false
	}
	for i := range want {
		if g[i] != want[i] {
			return false
		}
	}
	return true
}
