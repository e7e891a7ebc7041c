package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"picpipe"
)

func TestFetchOK(t *testing.T) {
	body := []byte("\x89PNG\r\n\x1a\n not really a png")
	tests := []struct {
		name, path, disposition, wantName string
	}{
		{"name from path", "/img/cat.png", "", "cat.png"},
		{"escaped path", "/img/my%20cat.png", "", "my cat.png"},
		{"no name in path", "/img/", "", ""},
		{"disposition", "/download?id=7", `attachment; filename="dog.png"`, "dog.png"},
		{"disposition utf-8", "/d", `attachment; filename*=UTF-8''%C3%A9t%C3%A9.png`, "été.png"},
		{"disposition traversal", "/d/x.png", `attachment; filename="../../etc/passwd"`, "passwd"},
		{"disposition windows path", "/d/x.png", `attachment; filename="C:\Users\me\cat.png"`, "cat.png"},
		{"disposition escapes", "/d/x.png", `attachment; filename="a\\b/c.png"`, "c.png"},
		{"empty disposition name", "/d/x.png", `attachment; filename=""`, "x.png"},
		{"broken disposition", "/d/x.png", `attachment; filename="`, "x.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "image/png"}
			if tt.disposition != "" {
				h["Content-Disposition"] = tt.disposition
			}
			srv := newServer(t, bytesHandler(body, h))
			f := newFetcher(t, testConfig(srv.port(t)))
			resp, err := f.Fetch(context.Background(), srv.URL+tt.path, 1<<20)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(got, body) {
				t.Errorf("body = %q, want %q", got, body)
			}
			if resp.Filename != tt.wantName {
				t.Errorf("Filename = %q, want %q", resp.Filename, tt.wantName)
			}
			if resp.ContentType != "image/png" {
				t.Errorf("ContentType = %q, want image/png", resp.ContentType)
			}
			if resp.ContentLength != int64(len(body)) {
				t.Errorf("ContentLength = %d, want %d", resp.ContentLength, len(body))
			}
		})
	}
}

func TestFetchSendsUserAgentWithoutProxy(t *testing.T) {
	var gotUA string
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA = r.UserAgent()
	}))
	f := newFetcher(t, testConfig(srv.port(t)))
	if f.tr.Proxy != nil {
		t.Error("Transport.Proxy is set: a proxy from the environment could be used")
	}
	resp, err := f.Fetch(context.Background(), srv.URL+"/", 10)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	resp.Body.Close()
	if gotUA != DefaultUserAgent {
		t.Errorf("User-Agent = %q, want %q", gotUA, DefaultUserAgent)
	}
}

func TestFetchStatus(t *testing.T) {
	tests := []struct {
		status    int
		permanent bool
		msg       string
	}{
		{http.StatusNotFound, true, "remote server answered 404 Not Found"},
		{http.StatusForbidden, true, "remote server answered 403 Forbidden"},
		{http.StatusGone, true, "remote server answered 410 Gone"},
		{http.StatusUnauthorized, true, "remote server answered 401 Unauthorized"},
		{http.StatusNoContent, true, "remote server answered 204 No Content"},
		{http.StatusNotModified, true, "remote server answered 304 Not Modified"},
		{http.StatusServiceUnavailable, false, "remote server answered 503 Service Unavailable"},
		{http.StatusInternalServerError, false, "remote server answered 500 Internal Server Error"},
		{http.StatusBadGateway, false, "remote server answered 502 Bad Gateway"},
		{http.StatusTooManyRequests, false, "remote server answered 429 Too Many Requests"},
		{http.StatusRequestTimeout, false, "remote server answered 408 Request Timeout"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(tt.status)
				io.WriteString(w, "some error page")
			}))
			f := newFetcher(t, testConfig(srv.port(t)))
			resp, err := f.Fetch(context.Background(), srv.URL+"/x.png", 1<<20)
			if resp != nil {
				resp.Body.Close()
				t.Fatal("Fetch returned a response with an error status")
			}
			if tt.permanent {
				wantPermanent(t, err, picpipe.ECodeFetchFailed, tt.msg)
				return
			}
			te := wantTransient(t, err)
			if te.Reason != tt.msg {
				t.Errorf("Reason = %q, want %q", te.Reason, tt.msg)
			}
			if te.RetryAfter != 7*time.Second {
				t.Errorf("RetryAfter = %v, want 7s", te.RetryAfter)
			}
		})
	}
}

func TestFetchSizeCap(t *testing.T) {
	const max = 1000
	tests := []struct {
		name    string
		size    int
		chunked bool
		wantErr bool
	}{
		{"exactly max, declared", max, false, false},
		{"exactly max, chunked", max, true, false},
		{"over max, chunked", max + 5000, true, true},
		{"one byte over, chunked", max + 1, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, chunkedHandler(tt.size, tt.chunked))
			f := newFetcher(t, testConfig(srv.port(t)))
			resp, err := f.Fetch(context.Background(), srv.URL+"/big.bin", max)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			defer resp.Body.Close()
			if tt.chunked && resp.ContentLength != -1 {
				t.Errorf("ContentLength = %d, want -1", resp.ContentLength)
			}
			got, err := io.ReadAll(resp.Body)
			if !tt.wantErr {
				if err != nil || len(got) != tt.size {
					t.Fatalf("read %d bytes, err %v; want %d, nil", len(got), err, tt.size)
				}
				return
			}
			wantPermanent(t, err, picpipe.ECodeFileTooLarge, "larger than the limit of 1000 bytes")
			if len(got) > max {
				t.Errorf("read %d bytes, want at most %d", len(got), max)
			}
			if _, err := resp.Body.Read(make([]byte, 10)); picpipe.ErrorCode(err) != picpipe.ECodeFileTooLarge {
				t.Errorf("second read: err = %v, want file_too_large again", err)
			}
		})
	}
}

// chunkedHandler writes size bytes, in flushed pieces without a
// Content-Length when chunked.
func chunkedHandler(size int, chunked bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !chunked {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		piece := bytes.Repeat([]byte("x"), 300)
		for left := size; left > 0; left -= len(piece) {
			w.Write(piece[:min(left, len(piece))])
			if chunked {
				w.(http.Flusher).Flush()
			}
		}
	}
}

func TestFetchDeclaredLengthOverMax(t *testing.T) {
	srv := newServer(t, chunkedHandler(5000, false))
	f := newFetcher(t, testConfig(srv.port(t)))
	resp, err := f.Fetch(context.Background(), srv.URL+"/big.bin", 1000)
	if resp != nil {
		resp.Body.Close()
	}
	wantPermanent(t, err, picpipe.ECodeFileTooLarge, "the remote file is 5000 bytes, over the limit of 1000 bytes")
}

func TestFetchMaxMustBePositive(t *testing.T) {
	f := newFetcher(t, Config{})
	if _, err := f.Fetch(context.Background(), "http://127.0.0.1/", 0); err == nil {
		t.Fatal("Fetch with max 0: err = nil")
	}
}
