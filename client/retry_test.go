package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"picpipe"
	"picpipe/client"
)

// retries records a client's retries.
type retries struct {
	mu    sync.Mutex
	codes []client.Code
	waits []time.Duration
}

func (r *retries) policy(attempts int) client.RetryPolicy {
	return client.RetryPolicy{MaxAttempts: attempts, OnRetry: func(_ int, err error, wait time.Duration) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.codes = append(r.codes, client.ErrorCode(err))
		r.waits = append(r.waits, wait)
	}}
}

func (r *retries) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.codes)
}

// exhaust spends the account's upload rate with c (which must not
// retry) until an upload is refused 429, and returns that error.
func exhaust(t *testing.T, c *client.Client) *client.Error {
	t.Helper()
	for i := range 500 {
		_, err := c.UploadFileData(context.Background(), fmt.Appendf(nil, "note %d\n", i), "n.txt", nil)
		var e *client.Error
		if errors.As(err, &e) {
			return e
		} else if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("500 uploads and no 429")
	return nil
}

func TestRetryAfterOn429(t *testing.T) {
	// 60 a minute: a burst of 60, then one a second, so Retry-After is
	// about a second once the burst is spent.
	s := start(t, options{plan: picpipe.Plan{MaxUploadBytes: 1 << 20, UploadsPerMinute: 60}})
	e := exhaust(t, s.client(client.WithRetry(client.NoRetry)))
	if e.Status != http.StatusTooManyRequests || e.Code != client.CodeRateLimited || e.RetryAfter < time.Second ||
		e.RetryAfter > 2*time.Second || e.RequestID == "" {
		t.Fatalf("the refusal %#v; want 429 rate_limited with Retry-After 1–2 s", e)
	}

	// A Source that can be read only once is not retried.
	var once retries
	c := s.client(client.WithRetry(once.policy(5)))
	_, err := c.UploadFiles(context.Background(), []*client.Source{
		client.NewReaderSource("r.txt", bytes.NewReader([]byte("once\n")), -1)}, nil)
	if !errors.Is(err, client.CodeRateLimited) || once.count() != 0 {
		t.Fatalf("a read-once upload = %v after %d retries; want rate_limited, no retry", err, once.count())
	}

	// One that can be read again is, after the Retry-After.
	var r retries
	c = s.client(client.WithRetry(r.policy(5)))
	began := time.Now()
	res, err := c.UploadFiles(context.Background(), []*client.Source{fileSource(t, "late.txt", []byte("late\n"))}, nil)
	took := time.Since(began)
	if err != nil || len(res.Uploaded) != 1 {
		t.Fatalf("UploadFiles with retries = %+v, %v; want it uploaded", res, err)
	}
	if r.count() == 0 || r.codes[0] != client.CodeRateLimited || r.waits[0] < time.Second || took < r.waits[0] {
		t.Fatalf("retries %v after waits %v, took %v; want rate_limited waited for at least its Retry-After (≥ 1 s)", r.codes, r.waits, took)
	}
}

func TestRetryAfterOn503(t *testing.T) {
	s := start(t, options{})
	var r retries
	c := s.client(client.WithRetry(r.policy(4)))
	s.redis.Pause(t) // the upload is refused 503 transcode_unavailable, Retry-After: 5
	go func() {
		for r.count() == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		s.redis.Resume(t)
	}()
	began := time.Now()
	img, err := c.UploadImage(context.Background(), fileSource(t, "p.png", pngImage(t, 40, 40, 50)), nil)
	took := time.Since(began)
	if err != nil || img.Status != client.StatusReady {
		t.Fatalf("UploadImage across a hung Redis = %+v, %v; want it ready once Redis is back", img, err)
	}
	if r.count() != 1 || r.codes[0] != client.CodeTranscodeUnavailable || r.waits[0] < 5*time.Second || took < 5*time.Second {
		t.Fatalf("retries %v after waits %v, took %v; want one transcode_unavailable retry after Retry-After 5 s", r.codes, r.waits, took)
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	s := start(t, options{plan: picpipe.Plan{MaxUploadBytes: 1 << 20, UploadsPerMinute: 1}})
	var r retries
	p := r.policy(5)
	p.MaxRetryAfter = 10 * time.Second
	c := s.client(client.WithRetry(p))
	e := exhaust(t, c) // one a minute: Retry-After about 60 s, past what the policy waits
	if e.Code != client.CodeRateLimited || e.RetryAfter < 50*time.Second || r.count() != 0 {
		t.Fatalf("refusal %#v after %d retries; want rate_limited, Retry-After ~60 s, returned at once", e, r.count())
	}
}
