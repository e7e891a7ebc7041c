package fetch

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// TestNoGoroutineLeak runs fetches ending every way (read fully, closed
// half-read, too large, error status, timeout, refused) and checks that,
// once the servers and the Fetcher are closed, no goroutine is left.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		mux := http.NewServeMux()
		mux.Handle("/ok", bytesHandler(make([]byte, 5000), nil))
		mux.Handle("/big", chunkedHandler(50000, true))
		mux.Handle("/declared", chunkedHandler(50000, false))
		mux.HandleFunc("/404", http.NotFound)
		mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush()
			stall(r)
		})
		mux.Handle("/redirect", redirectTo("http://10.0.0.1/"))
		srv := newServer(t, mux)
		defer srv.Close()
		cfg := testConfig(srv.port(t), 80)
		cfg.TotalTimeout = 200 * time.Millisecond
		f, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, path := range []string{"/ok", "/ok?half", "/big", "/declared", "/404", "/stall", "/redirect"} {
			resp, err := f.Fetch(context.Background(), srv.URL+path, 10000)
			if err != nil {
				continue
			}
			if path == "/ok?half" {
				resp.Body.Read(make([]byte, 10))
			} else {
				io.Copy(io.Discard, resp.Body)
			}
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
