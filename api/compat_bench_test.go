package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"picpipe"
	"picpipe/api"
	"picpipe/fetch"
	"picpipe/imaging"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/storage"
	"picpipe/worker"
)

// The upload benchmarks compare each seed mount with the same upload
// through the native API (POST /v1/files), through the real router on a
// real redis-server, SQLite and blob directory, a worker cleaning each
// image before its answer as in production. file=jpeg is a 30 KB photo
// (its file:clean job included); file=pdf is a document of the same size,
// ready at once, so that only the API's own work is measured.
//
// BenchmarkUpload and BenchmarkUploadJSON time each route on its own;
// benchstat puts the routes of one file side by side, the native first:
//
//	go test ./api/ -run '^$' -bench 'Upload$|UploadJSON' -count 6 >bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /route bench.txt
//
// BenchmarkUploadVsNative alternates a native and a mount upload in one
// loop and reports the mount's time over the native's (wall-vs-native,
// cpu-vs-native): on a busy machine the ratio holds where the absolute
// figures wander.
//
//	go test ./api/ -run '^$' -bench VsNative -count 6 | benchstat -

// benchFile is a file the benchmarks upload.
type benchFile struct {
	name, filename, mime string
	worker               bool // its upload waits for a file:clean job
}

var benchFiles = []benchFile{
	{"jpeg", "photo.jpg", "image/jpeg", true},
	{"pdf", "report.pdf", "application/pdf", false},
}

// benchRoute is one way to upload a file: multipart (field names the
// file part) or, with dataField, base64 in a JSON body.
type benchRoute struct {
	name, path           string
	field                string
	dataField, nameField string
	fields               map[string]string
	agent                bool // authenticates with an Agent header, not the key
	pdf                  bool // takes PDF
}

// multipartRoutes and jsonRoutes are the uploads, the native one first.
var (
	multipartRoutes = []benchRoute{
		{name: "files", path: "/v1/files", field: "files", pdf: true},
		{name: "picklyone", path: "/compat/picklyone/api/v1/upload", field: "files", pdf: true},
		{name: "apimart", path: "/compat/apimart/v1/uploads/images", field: "file"},
		{name: "agent", path: "/compat/agent/api/v1/upload", field: "file", fields: map[string]string{"created_by": "bench"}, agent: true, pdf: true},
		{name: "kie-stream", path: "/compat/kie/api/file-stream-upload", field: "file", fields: map[string]string{"uploadPath": "bench"}, pdf: true},
	}
	jsonRoutes = []benchRoute{
		{name: "files", path: "/v1/files", dataField: "data", nameField: "filename", pdf: true},
		{name: "kie-base64", path: "/compat/kie/api/file-base64-upload", dataField: "base64Data", nameField: "fileName", pdf: true},
	}
)

// BenchmarkUpload: one multipart file through /v1/files and each seed
// mount that takes it.
func BenchmarkUpload(b *testing.B) { benchRoutes(b, multipartRoutes) }

// BenchmarkUploadJSON: one base64 file in a JSON body through /v1/files
// and KIE's base64 upload.
func BenchmarkUploadJSON(b *testing.B) { benchRoutes(b, jsonRoutes) }

func benchRoutes(b *testing.B, routes []benchRoute) {
	for _, f := range benchFiles {
		for _, r := range routes {
			if f.name == "pdf" && !r.pdf {
				continue
			}
			b.Run("file="+f.name+"/route="+r.name, func(b *testing.B) {
				e := newBenchEnv(b, f.worker)
				e.run(b, e.sender(b, r, f))
			})
		}
	}
}

// BenchmarkUploadVsNative: every mount's upload against the same upload
// through /v1/files, alternately in one loop.
func BenchmarkUploadVsNative(b *testing.B) {
	for _, routes := range [][]benchRoute{multipartRoutes, jsonRoutes} {
		native := routes[0]
		for _, f := range benchFiles {
			for _, r := range routes[1:] {
				if f.name == "pdf" && !r.pdf {
					continue
				}
				b.Run("file="+f.name+"/route="+r.name, func(b *testing.B) {
					e := newBenchEnv(b, f.worker)
					e.paired(b, e.sender(b, native, f), e.sender(b, r, f))
				})
			}
		}
	}
}

// benchEnv is an API (and, for images, a worker) on a fresh SQLite
// database, blob directory and redis-server, with a user of a plan
// without quotas or rate limits, its key and an Agent name.
type benchEnv struct {
	handler    http.Handler
	key, agent string
}

func newBenchEnv(b *testing.B, withWorker bool) *benchEnv {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := testenv.SQLite(b)
	redisOpt, err := jobs.RedisOpt(testenv.StartRedis(b).URL)
	if err != nil {
		b.Fatal(err)
	}
	st, err := storage.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	deps := api.Deps{DB: d, Store: st, Redis: redisOpt}
	a, err := api.New(ctx, api.Config{Plans: plans(picpipe.Plan{MaxUploadBytes: 10 << 20, MaxPresignedBytes: 50 << 20})}, deps)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	if withWorker {
		go func() { runBenchWorker(b, ctx, deps); close(done) }()
	} else {
		close(done)
	}
	b.Cleanup(func() { cancel(); <-done; a.Close() })
	u, _, key, err := d.CreateUserWithKey(ctx, "bench", "free", "", time.Now().Unix())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.CreateAgent(ctx, "bench", u.ID, nil, time.Now().Unix()); err != nil {
		b.Fatal(err)
	}
	return &benchEnv{handler: a.Handler(), key: key, agent: "bench"}
}

// runBenchWorker runs a worker until ctx ends; it looks for tasks every
// millisecond, so that the queue's polling does not swamp the figures.
func runBenchWorker(b *testing.B, ctx context.Context, deps api.Deps) {
	if err := imaging.Startup(); err != nil {
		b.Error(err)
		return
	}
	proc, err := imaging.NewProcessor(imaging.Config{})
	if err == nil {
		var fetcher *fetch.Fetcher
		if fetcher, err = fetch.New(fetch.Config{}); err == nil {
			var w *worker.Worker
			w, err = worker.New(worker.Config{Concurrency: 1, PollInterval: time.Millisecond, ShutdownTimeout: 5 * time.Second},
				worker.Deps{DB: deps.DB, Store: deps.Store, Redis: deps.Redis, Processor: proc, Fetcher: fetcher})
			if err == nil {
				err = w.Run(ctx)
			}
		}
	}
	if err != nil && ctx.Err() == nil {
		b.Error(err)
	}
}

// sender makes the request of iteration i: f, under a name of its own,
// through r.
type sender func(i int) *http.Request

func (e *benchEnv) sender(b *testing.B, r benchRoute, f benchFile) sender {
	content := benchContent(b, f)
	header := map[string]string{"Authorization": "Bearer " + e.key}
	if r.agent {
		header = map[string]string{"Agent": e.agent}
	}
	if r.dataField != "" {
		data := "data:" + f.mime + ";base64," + base64.StdEncoding.EncodeToString(content)
		header["Content-Type"] = "application/json"
		return func(i int) *http.Request {
			body, _ := json.Marshal(map[string]string{r.dataField: data, r.nameField: fmt.Sprintf("%d-%s", i, f.filename)})
			return e.request(r.path, bytes.NewReader(body), header)
		}
	}
	return func(i int) *http.Request {
		body, ct := benchMultipart(r.field, fmt.Sprintf("%d-%s", i, f.filename), content, r.fields)
		header["Content-Type"] = ct
		return e.request(r.path, body, header)
	}
}

// run times the requests of send, each of which must answer 2xx. Besides
// the wall time it reports cpu-ns/op, the process's CPU time (API,
// worker, SQLite; not redis-server) per upload, which the machine's
// other load disturbs less.
func (e *benchEnv) run(b *testing.B, send sender) {
	b.ReportAllocs()
	start := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		e.serve(b, send(i))
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// paired sends one upload of native and one of mount per iteration, in
// turns first, timing each request apart, and reports mount's total wall
// and CPU time over native's.
func (e *benchEnv) paired(b *testing.B, native, mount sender) {
	var wall, cpu [2]time.Duration
	sends := [2]sender{native, mount}
	for i := 0; b.Loop(); i++ {
		for j := range 2 {
			k := (i + j) % 2
			req := sends[k](i)
			w, c := time.Now(), cpuTime(b)
			e.serve(b, req)
			wall[k] += time.Since(w)
			cpu[k] += cpuTime(b) - c
		}
	}
	b.ReportMetric(float64(wall[1])/float64(wall[0]), "wall-vs-native")
	b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "cpu-vs-native")
}

func (e *benchEnv) serve(b *testing.B, req *http.Request) {
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK && rec.Code != http.StatusCreated && rec.Code != http.StatusAccepted {
		b.Fatalf("%s = %d %s", req.URL.Path, rec.Code, rec.Body.Bytes())
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (e *benchEnv) request(path string, body io.Reader, header map[string]string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, body)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}

func benchContent(b *testing.B, f benchFile) []byte {
	if f.name == "pdf" { // as large as the photo
		return slices.Concat([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789abcdef"), 1900), []byte("\n%%EOF\n"))
	}
	content, err := os.ReadFile(filepath.Join("..", "imaging", "testdata", f.filename))
	if err != nil {
		b.Fatal(err)
	}
	return content
}

// benchMultipart is a multipart body with fields and one file part.
func benchMultipart(field, filename string, content []byte, fields map[string]string) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(field, filename)
	fw.Write(content)
	mw.Close()
	return &buf, mw.FormDataContentType()
}
