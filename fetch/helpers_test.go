package fetch

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"picpipe"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// testServer is an httptest server on loopback that counts the requests it
// receives, so that a test can prove a refused fetch never reached it.
type testServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, h http.Handler) *testServer {
	t.Helper()
	return startServer(t, httptest.NewUnstartedServer(nil), h)
}

// newServerOn starts a server on addr (e.g. "127.0.0.2:0"), skipping the
// test when the system cannot listen there.
func newServerOn(t *testing.T, addr string, h http.Handler) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	s := httptest.NewUnstartedServer(nil)
	s.Listener.Close()
	s.Listener = ln
	return startServer(t, s, h)
}

func startServer(t *testing.T, s *httptest.Server, h http.Handler) *testServer {
	ts := &testServer{Server: s}
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.hits.Add(1)
		h.ServeHTTP(w, r)
	})
	s.Start()
	t.Cleanup(s.Close)
	return ts
}

// port returns the port of the server's URL.
func (s *testServer) port(t *testing.T) int {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testConfig allows loopback and the given ports, with short timeouts.
func testConfig(ports ...int) Config {
	return Config{
		AllowedPorts:   ports,
		AllowPrefixes:  loopback,
		ConnectTimeout: 500 * time.Millisecond,
		HeaderTimeout:  2 * time.Second,
		TotalTimeout:   5 * time.Second,
	}
}

func newFetcher(t *testing.T, cfg Config) *Fetcher {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(f.Close)
	return f
}

// wantPermanent fails unless err is a *picpipe.Error with code and a
// message containing msg.
func wantPermanent(t *testing.T, err error, code, msg string) {
	t.Helper()
	var pe *picpipe.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *picpipe.Error %s", err, code)
	}
	if pe.Code != code || !strings.Contains(pe.Message, msg) {
		t.Fatalf("err = %s/%q, want %s/…%q…", pe.Code, pe.Message, code, msg)
	}
	if Temporary(err) {
		t.Fatalf("Temporary(%v) = true, want false", err)
	}
}

// wantTransient fails unless err is a non-nil *TransientError.
func wantTransient(t *testing.T, err error) *TransientError {
	t.Helper()
	var te *TransientError
	if !errors.As(err, &te) || !Temporary(err) {
		t.Fatalf("err = %v, want a transient error", err)
	}
	if Reason(err) == "" {
		t.Fatalf("Reason(%v) is empty", err)
	}
	return te
}

// bytesHandler answers body with the given headers.
func bytesHandler(body []byte, header map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Write(body)
	}
}
