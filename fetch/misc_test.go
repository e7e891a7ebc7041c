package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"picpipe"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"test config", testConfig(8080), true},
		{"port 0", Config{AllowedPorts: []int{0}}, false},
		{"port too big", Config{AllowedPorts: []int{65536}}, false},
		{"invalid prefix", Config{AllowPrefixes: []netip.Prefix{{}}}, false},
		{"mapped prefix", Config{AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.0/104")}}, false},
		{"v6 prefix", Config{AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("fd00::/8")}}, true},
		{"negative timeout", Config{TotalTimeout: -time.Second}, false},
		{"negative redirects", Config{MaxRedirects: -1}, true},
		{"user agent newline", Config{UserAgent: "a\r\nX-Evil: 1"}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
		if _, err := New(tt.cfg); (err == nil) != tt.ok {
			t.Errorf("%s: New() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	got := Config{}.withDefaults()
	want := Config{
		AllowedPorts: []int{80, 443}, MaxRedirects: 3,
		ConnectTimeout: 5 * time.Second, HeaderTimeout: 10 * time.Second,
		TotalTimeout: 60 * time.Second, UserAgent: "picpipe-fetch/1",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("withDefaults() = %+v, want %+v", got, want)
	}
	if got := (Config{MaxRedirects: -1}).withDefaults().MaxRedirects; got != 0 {
		t.Errorf("MaxRedirects -1 → %d, want 0", got)
	}
}

func TestSanitizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cat.jpg", "cat.jpg"},
		{"../../etc/passwd", "passwd"},
		{`C:\photos\cat.jpg`, "cat.jpg"},
		{"a\x00b\x1f\x7fc.png", "abc.png"},
		{"evil\u202egnp.exe", "evilgnp.exe"},
		{"bad\xffutf8.png", "badutf8.png"},
		{"  spaced.png  ", "spaced.png"},
		{"x.php.", "x.php"},
		{"zero\u200bwidth.png", "zerowidth.png"},
		{".", ""},
		{"..", ""},
		{"/", ""},
		{"", ""},
		{strings.Repeat("é", 200), strings.Repeat("é", 127)},
	}
	for _, tt := range tests {
		if got := sanitizeName(tt.in); got != tt.want {
			t.Errorf("sanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"120", 2 * time.Minute},
		{"-5", 0},
		{"soon", 0},
		{time.Now().Add(-time.Hour).UTC().Format(time.RFC1123), 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	future := time.Now().Add(time.Hour).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	if got := retryAfter(future); got < 59*time.Minute || got > time.Hour {
		t.Errorf("retryAfter(in an hour) = %v", got)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		permanent bool
		reason    string
	}{
		{"no such host", &net.DNSError{Err: "no such host", Name: "nope.example", IsNotFound: true},
			true, "host nope.example does not exist"},
		{"dns timeout", &net.DNSError{Err: "i/o timeout", Name: "slow.example", IsTimeout: true},
			false, "the remote server did not answer in time"},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded),
			false, "the remote server did not answer in time"},
		{"cancelled", context.Canceled, false, "the fetch was cancelled"},
		{"reset", errors.New("connection reset by peer"), false, "the connection to the remote server failed"},
		{"picpipe error", refuse("address 10.0.0.1 is not allowed"), true, "address 10.0.0.1 is not allowed"},
	}
	for _, tt := range tests {
		err := classify(tt.err)
		if Temporary(err) == tt.permanent {
			t.Errorf("%s: Temporary(%v) = %v, want %v", tt.name, err, !tt.permanent, !tt.permanent)
		}
		if got := Reason(err); got != tt.reason {
			t.Errorf("%s: Reason = %q, want %q", tt.name, got, tt.reason)
		}
		if tt.permanent && picpipe.ErrorCode(err) != picpipe.ECodeFetchFailed {
			t.Errorf("%s: code = %q, want fetch_failed", tt.name, picpipe.ErrorCode(err))
		}
	}
	if Temporary(nil) || Reason(nil) != "" {
		t.Error("Temporary(nil) or Reason(nil) not zero")
	}
	if got := Reason(errors.New("internal detail")); got != "the remote file could not be fetched" {
		t.Errorf("Reason(plain error) = %q", got)
	}
}

type closeCounter struct {
	io.Reader
	closes int
}

func (c *closeCounter) Close() error { c.closes++; return nil }

func TestCappedBodyCloseOnce(t *testing.T) {
	rc := &closeCounter{Reader: strings.NewReader("abc")}
	cancels := 0
	b := newCappedBody(rc, 10, func() { cancels++ })
	b.Close()
	b.Close()
	if rc.closes != 1 || cancels != 1 {
		t.Errorf("closes = %d, cancels = %d; want 1, 1", rc.closes, cancels)
	}
}
