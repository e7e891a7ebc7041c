package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picpipe"
	"picpipe/api"
	"picpipe/db"
	"picpipe/fetch"
	"picpipe/imaging"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/outbox"
	"picpipe/storage"
	"picpipe/worker"
)

// env is a whole picpipe (API, worker, real Redis, a real database, a
// blob directory) on loopback, for scenario tests.
type env struct {
	t       *testing.T
	api     *api.Server
	srv     *httptest.Server
	deps    api.Deps
	cfg     api.Config
	db      *db.DB
	blobDir string
	key     string
	userID  string
	redis   *testenv.RedisProcess
}

type envOpts struct {
	api       api.Config
	noWorker  bool
	imagingCf imaging.Config
	fetch     fetch.Config     // the worker's fetcher; zero: public addresses only
	now       func() time.Time // the API's clock; nil: time.Now
	blobDir   string           // the blob store's directory; "": a new temporary one
	store     storage.Store    // the blob store; nil: a storage.Local on blobDir
	redisURL  string           // PICPIPE_REDIS_URL; "": a private redis-server (env.redis)
	// webhooks configures the worker's deliveries; "" BaseURL: the test
	// server's URL, so that events carry the links the API answers.
	webhooks   outbox.Config
	hookRetry  time.Duration    // the wait before each retry of a delivery; 0: 100 ms
	workerNow  func() time.Time // the worker's clock; nil: time.Now
	noDispatch bool             // no dispatch after commits: only reconcile's sweep queues deliveries
}

func newEnv(t *testing.T, d *db.DB, o envOpts) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var rp *testenv.RedisProcess
	url := o.redisURL
	if url == "" {
		rp = testenv.StartRedis(t)
		url = rp.URL
	}
	redisOpt, err := jobs.RedisOpt(url)
	if err != nil {
		t.Fatal(err)
	}
	blobDir := o.blobDir
	if blobDir == "" {
		blobDir = t.TempDir()
	}
	st := o.store
	if st == nil {
		if st, err = storage.NewLocal(blobDir); err != nil {
			t.Fatal(err)
		}
	}
	if o.api.Plans == nil {
		o.api.Plans = plans(picpipe.Plan{MaxUploadBytes: 10 << 20, MaxPresignedBytes: 50 << 20}) // no quota, no rate limit
	}
	fetcher, err := fetch.New(o.fetch) // one address policy: URL ingest, webhook URLs and deliveries
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(ctx, o.api, api.Deps{DB: d, Store: st, Redis: redisOpt, Now: o.now, Fetcher: fetcher})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(a)
	queue := jobs.OpenQueue(redisOpt)
	if !o.noDispatch {
		d.OnEvents(outbox.NewDispatcher(d, queue, nil).Hook)
	}
	if o.webhooks.BaseURL == "" {
		o.webhooks.BaseURL = srv.URL
	}
	if o.hookRetry == 0 {
		o.hookRetry = 100 * time.Millisecond
	}
	done := make(chan struct{})
	if !o.noWorker {
		if err := imaging.Startup(); err != nil {
			t.Fatal(err)
		}
		proc, err := imaging.NewProcessor(o.imagingCf)
		if err != nil {
			t.Fatal(err)
		}
		w, err := worker.New(worker.Config{Concurrency: 2, ShutdownTimeout: 5 * time.Second, RetryCheckInterval: 50 * time.Millisecond,
			RetryDelay: func(int, error) time.Duration { return 10 * time.Millisecond },
			Webhooks:   o.webhooks, WebhookBackoff: func(int) time.Duration { return o.hookRetry }},
			worker.Deps{DB: d, Store: st, Redis: redisOpt, Processor: proc, Fetcher: fetcher, Now: o.workerNow})
		if err != nil {
			t.Fatal(err)
		}
		go func() { w.Run(ctx); close(done) }()
	} else {
		close(done)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		d.OnEvents(nil)
		queue.Close()
		srv.Close()
		a.Close()
	})
	u, k, secret, err := d.CreateUserWithKey(ctx, "tester", "free", "", time.Now().Unix())
	if err != nil {
		t.Fatal(err)
	}
	_ = k
	return &env{t: t, api: a, srv: srv, deps: api.Deps{DB: d, Store: st, Redis: redisOpt, Now: o.now}, cfg: o.api,
		db: d, blobDir: blobDir, key: secret, userID: u.ID, redis: rp}
}

// another starts a second API process on the same database, Redis and
// blobs, and returns an env that talks to it.
func (e *env) another() *env {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := api.New(ctx, e.cfg, e.deps)
	if err != nil {
		e.t.Fatal(err)
	}
	srv := serve(a)
	e.t.Cleanup(func() { cancel(); srv.Close(); a.Close() })
	other := *e
	other.api, other.srv = a, srv
	return &other
}

// serve starts a test server of a as picpipe serves it: its http.Server,
// on a guarded listener.
func serve(a *api.Server) *httptest.Server {
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = a.HTTPServer()
	srv.Listener = api.GuardListener(srv.Listener)
	srv.Start()
	return srv
}

// plans returns plans where free (every test user's plan) is p.
func plans(p picpipe.Plan) picpipe.Plans { return picpipe.Plans{picpipe.DefaultPlan: p} }

// newUserKey returns the secret of a key of a new user.
func (e *env) newUserKey() string {
	_, _, secret, err := e.db.CreateUserWithKey(context.Background(), "other", "free", "", time.Now().Unix())
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	return m
}

// errorCode returns error.code of an error body, checking its shape.
func (r resp) errorCode(t *testing.T) string {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("body %s has no error object", r.body)
	}
	if rid, _ := e["request_id"].(string); !strings.HasPrefix(rid, "req_") || rid != r.header.Get("X-Request-Id") {
		t.Fatalf("error request_id %q, header %q; want the same req_ id", rid, r.header.Get("X-Request-Id"))
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error %s has no message", r.body)
	}
	return e["code"].(string)
}

func (e *env) do(method, path string, body io.Reader, header map[string]string) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, ok := header["Authorization"]; !ok {
		req.Header.Set("Authorization", "Bearer "+e.key)
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

// form builds a multipart body with a file part and option fields.
func form(t *testing.T, filename string, content []byte, fields map[string]string) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if filename != "" {
		fw, _ := mw.CreateFormFile("file", filename)
		fw.Write(content)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (e *env) upload(filename string, content []byte, fields map[string]string, header map[string]string) resp {
	e.t.Helper()
	body, ct := form(e.t, filename, content, fields)
	h := map[string]string{"Content-Type": ct}
	for k, v := range header {
		h[k] = v
	}
	return e.do("POST", "/v1/images", body, h)
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "imaging", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// blobs lists the files in the blob store under dir ("" for all).
func (e *env) blobs(dir string) []string {
	e.t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(e.blobDir, dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(e.blobDir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// settle waits until every variant of the ready image id is final and
// its staged source is gone: until no background work of it remains.
func (e *env) settle(id string) {
	e.t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		vs, err := e.db.VariantsOf(ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		done := true
		for _, v := range vs {
			done = done && v.Done()
		}
		img, err := e.db.ImageForWork(ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		if done && img.SourceKey == "" && len(e.blobs("staging")) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("image %s: variants %+v, source %q still there after 60 s", id, vs, img.SourceKey)
		}
	}
}

// poll GETs the image until its status is final or the deadline passes.
func (e *env) poll(id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.do("GET", "/v1/images/"+id, nil, nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("GET image %s = %d %s", id, r.status, r.body)
		}
		m := r.json(e.t)
		if s := m["status"]; s == "ready" || s == "failed" || time.Now().After(deadline) {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
}
