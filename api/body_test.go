package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"picpipe"
)

func TestRequestBodyLimit(t *testing.T) {
	tests := []struct {
		size, limit int64
		raise       int64 // setLimit before reading, 0 for none
		wantN       int64
		tooLarge    bool
	}{
		{size: 10, limit: 10, wantN: 10},
		{size: 11, limit: 10, wantN: 10, tooLarge: true},
		{size: 1 << 20, limit: 64 << 10, wantN: 64 << 10, tooLarge: true},
		{size: 1 << 20, limit: 64 << 10, raise: 1 << 20, wantN: 1 << 20},
		{size: 0, limit: 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.size, "/", tt.limit, "/", tt.raise), func(t *testing.T) {
			b := newRequestBody(io.NopCloser(strings.NewReader(strings.Repeat("x", int(tt.size)))), tt.limit, Pace{}, time.Now(), nil)
			if tt.raise != 0 {
				b.setLimit(tt.raise)
			}
			n, err := io.Copy(io.Discard, b)
			var mbe *http.MaxBytesError
			if n != tt.wantN || errors.As(err, &mbe) != tt.tooLarge || (!tt.tooLarge && err != nil) {
				t.Fatalf("read %d, %v; want %d bytes, too large %t", n, err, tt.wantN, tt.tooLarge)
			}
		})
	}
}

// stalling is a reader that gives n bytes, then fails as a connection
// past its read deadline does.
type stalling struct{ n int }

func (s *stalling) Read(p []byte) (int, error) {
	if s.n == 0 {
		return 0, fmt.Errorf("read tcp: %w", os.ErrDeadlineExceeded)
	}
	k := min(len(p), s.n)
	s.n -= k
	return k, nil
}

func TestRequestBodyPace(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	pace := Pace{Grace: 10 * time.Second, MinRate: 1000}
	var deadlines []time.Time
	set := func(d time.Time) error { deadlines = append(deadlines, d); return nil }
	b := newRequestBody(io.NopCloser(&stalling{n: 5000}), 1<<20, pace, start, set)
	if len(deadlines) != 1 || !deadlines[0].Equal(start.Add(10*time.Second)) {
		t.Fatalf("deadlines before any read = %v; want the grace, %v", deadlines, start.Add(10*time.Second))
	}
	p := make([]byte, 500)
	for range 10 { // 500 bytes at a time: the deadline moves by whole seconds only
		if _, err := b.Read(p); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Time{start.Add(10 * time.Second), start.Add(11 * time.Second), start.Add(12 * time.Second),
		start.Add(13 * time.Second), start.Add(14 * time.Second)}
	if fmt.Sprint(deadlines) != fmt.Sprint(want) {
		t.Fatalf("deadlines after 5000 bytes = %v; want %v", deadlines, want)
	}
	_, err := b.Read(p)
	if picpipe.ErrorCode(err) != picpipe.ECodeRequestTimeout {
		t.Fatalf("read past the deadline = %v; want request_timeout", err)
	}
	before := len(deadlines)
	if _, err2 := b.Read(p); err2 != err || len(deadlines) != before {
		t.Fatalf("read after the cut = %v, %d deadlines set; want the same error and no deadline", err2, len(deadlines)-before)
	}
}

// TestRequestBodyEndsItsDeadlines: once the body has ended, the
// connection's read deadline is the server's again: never set after EOF.
func TestRequestBodyEndsItsDeadlines(t *testing.T) {
	var set int
	b := newRequestBody(io.NopCloser(strings.NewReader("abc")), 10, Pace{Grace: time.Second, MinRate: 1},
		time.Now(), func(time.Time) error { set++; return nil })
	if _, err := io.ReadAll(b); err != nil {
		t.Fatal(err)
	}
	after := set
	for range 3 {
		b.Read(make([]byte, 8))
	}
	if set != after {
		t.Fatalf("%d deadlines set after the end of the body; want none", set-after)
	}
}
