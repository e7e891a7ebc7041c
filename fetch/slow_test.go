package fetch

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"picpipe"
)

// stall blocks until the client goes away (or 10 s, a safety net).
func stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func TestFetchSlowSource(t *testing.T) {
	headersThenStall := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("first bytes"))
		w.(http.Flusher).Flush()
		stall(r)
	})
	trickle := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for r.Context().Err() == nil {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
	})
	noHeaders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stall(r) })
	tests := []struct {
		name        string
		handler     http.Handler
		cfg         func(*Config)
		ctxTimeout  time.Duration
		failOnFetch bool
	}{
		{"headers then stall", headersThenStall, func(c *Config) { c.TotalTimeout = 300 * time.Millisecond }, 0, false},
		{"trickle", trickle, func(c *Config) { c.TotalTimeout = 300 * time.Millisecond }, 0, false},
		{"no headers", noHeaders, func(c *Config) { c.HeaderTimeout = 200 * time.Millisecond }, 0, true},
		{"no headers, total", noHeaders, func(c *Config) { c.TotalTimeout = 200 * time.Millisecond }, 0, true},
		{"caller deadline", headersThenStall, func(*Config) {}, 300 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			cfg := testConfig(srv.port(t))
			tt.cfg(&cfg)
			f := newFetcher(t, cfg)
			ctx := context.Background()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			resp, err := f.Fetch(ctx, srv.URL+"/slow.png", 1<<20)
			if tt.failOnFetch {
				if resp != nil {
					resp.Body.Close()
				}
				wantTransient(t, err)
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			defer resp.Body.Close()
			_, err = io.ReadAll(resp.Body)
			te := wantTransient(t, err)
			if te.Reason != "the remote server did not answer in time" {
				t.Errorf("Reason = %q", te.Reason)
			}
		})
	}
}

func TestFetchTLS(t *testing.T) {
	srv := httptest.NewTLSServer(bytesHandler([]byte("secure"), nil))
	t.Cleanup(srv.Close)
	ts := &testServer{Server: srv}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	t.Run("trusted", func(t *testing.T) {
		cfg := testConfig(ts.port(t))
		cfg.RootCAs = pool
		resp, err := newFetcher(t, cfg).Fetch(context.Background(), srv.URL+"/s.png", 100)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		defer resp.Body.Close()
		if got, _ := io.ReadAll(resp.Body); string(got) != "secure" {
			t.Errorf("body = %q, want %q", got, "secure")
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		resp, err := newFetcher(t, testConfig(ts.port(t))).Fetch(context.Background(), srv.URL+"/s.png", 100)
		if resp != nil {
			resp.Body.Close()
		}
		wantPermanent(t, err, picpipe.ECodeFetchFailed, "TLS certificate is not valid")
	})
}
