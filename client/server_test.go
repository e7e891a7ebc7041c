package client_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"os"
	"testing"
	"time"

	"picpipe"
	"picpipe/api"
	"picpipe/client"
	"picpipe/db"
	"picpipe/fetch"
	"picpipe/imaging"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/storage"
	"picpipe/worker"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	os.Exit(m.Run())
}

// server is a whole picpipe on loopback — the API, a worker, a real
// redis-server, a SQLite database and a blob directory — and a user's
// key, for the client to talk to.
type server struct {
	t     *testing.T
	URL   string
	Key   string
	db    *db.DB
	redis *testenv.RedisProcess
}

// options change the server a test starts.
type options struct {
	plan picpipe.Plan // the plan of every user; zero: 10 MiB files, no quota, no rate
	// origin is a loopback port the worker may fetch URLs from; 0: none.
	origin int
}

// start starts a server and stops it when the test ends.
func start(t *testing.T, o options) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := testenv.SQLite(t)
	rp := testenv.StartRedis(t)
	redisOpt, err := jobs.RedisOpt(rp.URL)
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if o.plan.MaxUploadBytes == 0 {
		o.plan.MaxUploadBytes, o.plan.MaxPresignedBytes = 10<<20, 50<<20
	}
	a, err := api.New(ctx, api.Config{Plans: picpipe.Plans{picpipe.DefaultPlan: o.plan}},
		api.Deps{DB: d, Store: st, Redis: redisOpt})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = a.HTTPServer()
	srv.Listener = api.GuardListener(srv.Listener)
	srv.Start()
	done := runWorker(t, ctx, o.origin, worker.Deps{DB: d, Store: st, Redis: redisOpt})
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
		a.Close()
	})
	s := &server{t: t, URL: srv.URL, db: d, redis: rp}
	s.Key = s.newKey("tester")
	return s
}

// runWorker runs an image worker until ctx ends; its fetcher may reach
// loopback on port origin, where a test serves the URLs it ingests (every
// other private address stays refused).
func runWorker(t *testing.T, ctx context.Context, origin int, deps worker.Deps) <-chan struct{} {
	t.Helper()
	if err := imaging.Startup(); err != nil {
		t.Fatal(err)
	}
	proc, err := imaging.NewProcessor(imaging.Config{})
	if err != nil {
		t.Fatal(err)
	}
	fc := fetch.Config{}
	if origin != 0 {
		fc = fetch.Config{AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, AllowedPorts: []int{origin}}
	}
	fetcher, err := fetch.New(fc)
	if err != nil {
		t.Fatal(err)
	}
	deps.Processor, deps.Fetcher = proc, fetcher
	w, err := worker.New(worker.Config{Concurrency: 2, ShutdownTimeout: 5 * time.Second}, deps)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	return done
}

// newKey returns the secret of a key of a new user.
func (s *server) newKey(name string) string {
	s.t.Helper()
	_, _, secret, err := s.db.CreateUserWithKey(context.Background(), name, picpipe.DefaultPlan, "", time.Now().Unix())
	if err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// client returns a client of the server with the user's key.
func (s *server) client(opts ...client.Option) *client.Client {
	s.t.Helper()
	c, err := client.New(s.URL, s.Key, opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// pngImage returns a w×h PNG whose pixels depend on seed, so that images
// of different seeds are different uploads (never deduplicated).
func pngImage(t testing.TB, w, h, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*7 + seed), uint8(y*5 + seed*3), uint8(seed * 11), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeFile writes b to a new file called name in a temporary directory
// and returns its path.
func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := fmt.Sprintf("%s/%s", t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fileSource returns a Source of b saved as name.
func fileSource(t testing.TB, name string, b []byte) *client.Source {
	t.Helper()
	src, err := client.NewFileSource(writeFile(t, name, b))
	if err != nil {
		t.Fatal(err)
	}
	return src
}
