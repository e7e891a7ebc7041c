package api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/storage"
)

// The fuzz targets of the API's own parsers: Prefer, the resize and other
// image options, expires_in, and Range on the delivery of a real blob.
// make test runs each for a few seconds, make fuzz for as long as
// FUZZTIME says.

// FuzzPrefer: any Prefer header gives a wait between 0 and the cap, and a
// Preference-Applied value that says what was applied.
func FuzzPrefer(f *testing.F) {
	for _, s := range []string{"", "respond-async", "wait=5", "wait=\"30\", respond-async", "WAIT = 99999999999999999999",
		"wait=-1", "handling=strict, wait=2", "wait=9223372036854775807", ",,,="} {
		f.Add(s)
	}
	const def, max = 10 * time.Second, 60 * time.Second
	f.Fuzz(func(t *testing.T, header string) {
		wait, applied := preferredWait(header, def, max)
		switch {
		case wait < 0 || wait > max:
			t.Fatalf("preferredWait(%q) = %v; want 0 to %v", header, wait, max)
		case applied == "respond-async" && wait != 0:
			t.Fatalf("preferredWait(%q) = %v, respond-async", header, wait)
		case applied == "" && wait != def:
			t.Fatalf("preferredWait(%q) = %v with nothing applied; want %v", header, wait, def)
		case strings.HasPrefix(applied, "wait="):
			if n, err := strconv.Atoi(strings.TrimPrefix(applied, "wait=")); err != nil || time.Duration(n)*time.Second != wait {
				t.Fatalf("preferredWait(%q) = %v, %q", header, wait, applied)
			}
		}
	})
}

// FuzzImageOptions: resize, quality and lossless either set options in
// range or refuse with invalid_request.
func FuzzImageOptions(f *testing.F) {
	for _, s := range [][2]string{{"resize", "1920x"}, {"resize", "x1080"}, {"resize", "800x600"}, {"resize", "0x0"},
		{"resize", "99999x1"}, {"resize", " 10X10 "}, {"quality", "82"}, {"quality", "101"}, {"lossless", "true"},
		{"lossless", "yes"}, {"resize", "１x１"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		o := defaultOptions()
		ok, err := o.set(name, value)
		if err != nil {
			if !ok || picpipe.ErrorCode(err) != picpipe.ECodeInvalidRequest {
				t.Fatalf("set(%q, %q) = %v, %v; want invalid_request", name, value, ok, err)
			}
			return
		}
		if o.Quality < 1 || o.Quality > 100 || o.Width < 0 || o.Height < 0 || o.Width > maxEdge || o.Height > maxEdge {
			t.Fatalf("set(%q, %q) gave %+v", name, value, o)
		}
		if name == "resize" && o.Width == 0 && o.Height == 0 {
			t.Fatalf("set(resize, %q) gave no box", value)
		}
	})
}

// FuzzExpiresIn: expires_in is refused with invalid_request or gives a
// lifetime from a minute to 30 days.
func FuzzExpiresIn(f *testing.F) {
	// 18446744134 seconds wrap a Duration round to 60 s.
	for _, s := range []string{"60", "72h", "30s", "2592000", "2592001", "-1h", "1e9", "9223372036854775807",
		"1h1m1s1ms", "18446744134"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, err := parseExpiry(v)
		if err != nil {
			if picpipe.ErrorCode(err) != picpipe.ECodeInvalidRequest {
				t.Fatalf("parseExpiry(%q) = %v; want invalid_request", v, err)
			}
			return
		}
		if d < minExpiry || d > maxExpiry {
			t.Fatalf("parseExpiry(%q) = %v; want %v to %v", v, d, minExpiry, maxExpiry)
		}
		if n, err := strconv.Atoi(v); err == nil && (n > int(maxExpiry/time.Second) || d != time.Duration(n)*time.Second) {
			t.Fatalf("parseExpiry(%q) = %v; want %d seconds, or a refusal", v, d, n)
		}
	})
}

// FuzzRange: a Range (and If-Range) header on the delivery of a real blob
// from a storage.Local, through the real serving code, answers 200, 206
// or 416 with a body bounded by the blob and the ranges asked for.
func FuzzRange(f *testing.F) {
	blob := bytes.Repeat([]byte("0123456789abcdef"), 8<<10) // 128 KiB
	st, err := storage.NewLocal(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	if _, err := st.Put(context.Background(), "images/u/x.webp", bytes.NewReader(blob)); err != nil {
		f.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	s := &Server{store: st}
	r := gin.New()
	r.GET("/i", func(c *gin.Context) {
		s.serveBlob(c, "images/u/x.webp", map[string]string{"Content-Type": "image/webp", "ETag": `"e"`})
	})
	for _, s := range []string{"bytes=0-0", "bytes=-1", "bytes=100-", "bytes=0-0,2-2,4-4", "bytes=131072-", "bytes=5-1",
		"bytes=0-" + strings.Repeat("9", 30), "items=0-1", "bytes=" + strings.Repeat("0-0,", 500) + "0-0"} {
		f.Add(s, "")
	}
	f.Add("bytes=0-10", `"e"`)
	f.Fuzz(func(t *testing.T, rng, ifRange string) {
		req := httptest.NewRequest(http.MethodGet, "/i", nil)
		req.Header.Set("Range", rng)
		if ifRange != "" {
			req.Header.Set("If-Range", ifRange)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusPartialContent, http.StatusRequestedRangeNotSatisfiable:
		default:
			t.Fatalf("Range %q: status %d", rng, w.Code)
		}
		// Every part costs its bytes and a header of its own; the bytes
		// of all parts never exceed the blob (net/http serves it whole
		// instead).
		if limit := len(blob) + 256*(strings.Count(rng, ",")+1); w.Body.Len() > limit {
			t.Fatalf("Range %q: %d bytes answered for a %d-byte blob", rng, w.Body.Len(), len(blob))
		}
	})
}
