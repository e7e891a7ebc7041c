package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// RetryPolicy says which failed requests are sent again and when. A
// request is retried when the answer is 429 rate_limited or any 503 (the
// server's passing trouble), after the answer's Retry-After or, without
// one, an exponential backoff; a GET also when the network failed, and
// any request when its connection could not be made. quota_exceeded is
// never retried: waiting does not free quota. An upload is retried only
// when its Source can be read again (NewFileSource, NewSource). The zero
// value of each field means the default written beside it.
type RetryPolicy struct {
	// MaxAttempts is how many times a request is sent at most, the first
	// time included; 0 means 4, and 1 turns retries off.
	MaxAttempts int
	// MinDelay is the first backoff when the answer names no
	// Retry-After; it doubles with each attempt. 0 means 500 ms.
	MinDelay time.Duration
	// MaxDelay caps the backoff; 0 means 30 s.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; an
	// answer asking for longer is returned as it is. 0 means 2 minutes.
	MaxRetryAfter time.Duration
	// OnRetry, when set, is called before each wait with the attempt that
	// failed (1 for the first), its error and the wait.
	OnRetry func(attempt int, err error, wait time.Duration)
}

// NoRetry is a RetryPolicy that sends each request once.
var NoRetry = RetryPolicy{MaxAttempts: 1}

// withDefaults returns p with its zero fields set to their defaults.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 4
	}
	if p.MinDelay == 0 {
		p.MinDelay = 500 * time.Millisecond
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = 2 * time.Minute
	}
	return p
}

// wait returns how long to wait before sending r again after attempt
// failed with err, and whether to send it again at all.
func (p RetryPolicy) wait(attempt int, r *request, err error) (time.Duration, bool) {
	if r.once || attempt >= p.MaxAttempts || (r.body != nil && !r.replayable) {
		return 0, false
	}
	var e *Error
	switch {
	case errors.As(err, &e) && retryable(e):
		if e.RetryAfter > p.MaxRetryAfter {
			return 0, false
		}
		if e.RetryAfter > 0 {
			return e.RetryAfter + jitter(e.RetryAfter/10), true
		}
		return p.backoff(attempt), true
	case e == nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
		(r.method == http.MethodGet || isDialError(err)):
		return p.backoff(attempt), true
	}
	return 0, false
}

// retryable reports whether an answer is the server's passing trouble.
func retryable(e *Error) bool {
	switch e.Status {
	case http.StatusTooManyRequests:
		return e.Code != CodeQuotaExceeded
	case http.StatusServiceUnavailable:
		return true
	}
	return false
}

// backoff is the wait after attempt with no Retry-After: MinDelay
// doubled for each attempt before, capped at MaxDelay, half of it random.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.MinDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d/2 + jitter(d/2)
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// isDialError reports whether err is a connection that could not be
// made: nothing of the request was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// sleep waits d or until ctx is done, and returns ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
