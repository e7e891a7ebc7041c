package fetch

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"picpipe"
)

func TestPost(t *testing.T) {
	var got struct {
		method, ct, body string
	}
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.ct, got.body = r.Method, r.Header.Get("Content-Type"), string(b)
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(strings.Repeat("a", 5000)))
	}))
	f := newFetcher(t, testConfig(s.port(t)))
	ans, err := f.Post(context.Background(), s.URL+"/hook", http.Header{"Content-Type": {"application/json"}}, []byte(`{"a":1}`), 1024)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Status != http.StatusAccepted || len(ans.Body) != 1024 {
		t.Fatalf("answer %d with %d bytes; want 202 with the first 1024", ans.Status, len(ans.Body))
	}
	if got.method != "POST" || got.ct != "application/json" || got.body != `{"a":1}` {
		t.Fatalf("server got %+v", got)
	}
}

func TestPostFollowsNoRedirect(t *testing.T) {
	target := newServer(t, bytesHandler([]byte("moved"), nil))
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	f := newFetcher(t, testConfig(s.port(t), target.port(t)))
	ans, err := f.Post(context.Background(), s.URL, http.Header{}, nil, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Status != http.StatusTemporaryRedirect || target.hits.Load() != 0 {
		t.Fatalf("answer %d, the target hit %d times; want the 307 itself and no hit", ans.Status, target.hits.Load())
	}
}

// TestPostRefused: loopback is refused at dial time unless the config
// allows it, and nothing reaches the server.
func TestPostRefused(t *testing.T) {
	s := newServer(t, bytesHandler([]byte("ok"), nil))
	f := newFetcher(t, Config{AllowedPorts: []int{s.port(t)}})
	_, err := f.Post(context.Background(), s.URL, http.Header{}, nil, 1024)
	wantPermanent(t, err, picpipe.ECodeFetchFailed, "not allowed")
	_, err = f.Post(context.Background(), "http://localhost:"+strconv.Itoa(s.port(t)), http.Header{}, nil, 1024)
	wantPermanent(t, err, picpipe.ECodeFetchFailed, "not allowed")
	if s.hits.Load() != 0 {
		t.Fatalf("the refused server was hit %d times", s.hits.Load())
	}
}

func TestPostTimeout(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer close(release)
	f := newFetcher(t, testConfig(s.port(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := f.Post(ctx, s.URL, http.Header{}, nil, 1024)
	wantTransient(t, err)
}

func TestCheckTarget(t *testing.T) {
	ctx := context.Background()
	strict := newFetcher(t, Config{})
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/hook",
		"http://192.168.1.10/hook",
		"http://127.0.0.1/hook",
		"http://[::1]/hook",
		"http://localhost/hook",
		"http://2130706433/hook",
		"ftp://example.com/hook",
		"https://user:pw@example.com/hook",
		"https://example.com:8443/hook",
		"http://nonexistent.invalid/hook",
	} {
		if err := strict.CheckTarget(ctx, u); picpipe.ErrorCode(err) != picpipe.ECodeFetchFailed {
			t.Errorf("CheckTarget(%s) = %v; want fetch_failed", u, err)
		}
	}
	for _, u := range []string{"https://93.184.215.14/hook", "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook"} {
		if err := strict.CheckTarget(ctx, u); err != nil {
			t.Errorf("CheckTarget(%s) = %v; want nil", u, err)
		}
	}
	allowed := newFetcher(t, testConfig(80))
	if err := allowed.CheckTarget(ctx, "http://localhost/hook"); err != nil {
		t.Errorf("loopback allowed by the config: %v", err)
	}
}
