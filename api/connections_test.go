package api_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"picpipe/api"
	"picpipe/internal/testenv"
)

// endless is a JSON body that never closes its string: n bytes of it.
func endless(prefix string, n int64) io.Reader {
	return io.MultiReader(strings.NewReader(prefix), io.LimitReader(repeatReader('a'), n))
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// TestJSONBodiesLimited: a JSON control body is refused past its few KB,
// whether its length is declared or not, without being read whole.
func TestJSONBodiesLimited(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	const huge = 64 << 20
	for _, path := range []string{"/v1/keys", "/v1/uploads/presign", "/compat/kie/api/file-url-upload"} {
		for _, declared := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s declared=%t", path, declared), func(t *testing.T) {
				req, err := http.NewRequest("POST", e.srv.URL+path, endless(`{"name": "`, huge))
				if err != nil {
					t.Fatal(err)
				}
				if declared {
					req.ContentLength = huge + 10
				}
				req.Header.Set("Authorization", "Bearer "+e.key)
				req.Header.Set("Content-Type", "application/json")
				start := time.Now()
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				t.Logf("answered %d in %v", res.StatusCode, time.Since(start))
				r := resp{res.StatusCode, res.Header, b}
				var code string
				if path == "/compat/kie/api/file-url-upload" { // KIE's envelope
					code = str(r.json(t), "error")
				} else {
					code = r.errorCode(t)
				}
				if r.status != http.StatusRequestEntityTooLarge || code != "payload_too_large" {
					t.Fatalf("%d bytes of JSON = %d %s; want 413 payload_too_large", int64(huge), r.status, r.body)
				}
			})
		}
	}
	// Small ones still work.
	if r := e.postJSON("/v1/keys", `{"name": "small"}`, nil); r.status != 201 {
		t.Fatalf("a small key request = %d %s", r.status, r.body)
	}
}

// rawConn is a client connection that writes bytes as they are given.
type rawConn struct {
	t *testing.T
	net.Conn
	r *bufio.Reader
}

func (e *env) dial() *rawConn {
	e.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return &rawConn{t: e.t, Conn: c, r: bufio.NewReader(c)}
}

// response reads the next response, its body whole, within 30 s.
func (c *rawConn) response() (*http.Response, []byte, error) {
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

// closedWithin reads until the server closes the connection or bound
// passes, and reports how long it took and whether it was closed.
func (c *rawConn) closedWithin(bound time.Duration) (time.Duration, bool) {
	start := time.Now()
	c.SetReadDeadline(start.Add(bound))
	_, err := io.Copy(io.Discard, c.r)
	var ne net.Error
	timedOut := errors.As(err, &ne) && ne.Timeout()
	return time.Since(start), !timedOut
}

// TestSlowBodiesCut: bodies trickled at a byte every 200 ms, with a key
// and without, have their connections closed soon after the grace; an
// upload that keeps above the minimum rate goes through.
func TestSlowBodiesCut(t *testing.T) {
	pace := api.Pace{Grace: time.Second, MinRate: 4 << 10}
	e := newEnv(t, testenv.SQLite(t), envOpts{api: api.Config{Pace: pace}})
	const bound = 20 * time.Second // the grace, a second's slack, and then some
	head := func(auth string) string {
		return "POST /v1/images HTTP/1.1\r\nHost: picpipe.test\r\n" + auth +
			"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n--x\r\n"
	}
	tricklers := map[string]string{
		"with a key":    "Authorization: Bearer " + e.key + "\r\n",
		"without a key": "",
	}
	var wg sync.WaitGroup
	for name, auth := range tricklers {
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := e.dial()
				io.WriteString(c, head(auth))
				stop := make(chan struct{})
				defer close(stop)
				go func() { // one byte every 200 ms until the server hangs up
					for {
						select {
						case <-stop:
							return
						case <-time.After(200 * time.Millisecond):
							if _, err := c.Write([]byte("a")); err != nil {
								return
							}
						}
					}
				}()
				took, closed := c.closedWithin(bound)
				t.Logf("%s #%d: closed %t after %v", name, i, closed, took)
				if !closed {
					t.Errorf("%s #%d: the connection was still open after %v", name, i, bound)
				}
			}()
		}
	}
	wg.Wait()

	// The answer to a body cut for its pace says so.
	c := e.dial()
	io.WriteString(c, head(tricklers["with a key"]))
	res, body, err := c.response()
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), `"request_timeout"`) || !res.Close {
		t.Fatalf("stalled body = %d %s (close %t); want 408 request_timeout, connection closed", res.StatusCode, body, res.Close)
	}

	// Above the minimum rate, a slow upload goes through.
	photo := fixture(t, "photo.jpg")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "photo.jpg")
	fw.Write(photo)
	mw.Close()
	slow := e.dial()
	fmt.Fprintf(slow, "POST /v1/images HTTP/1.1\r\nHost: picpipe.test\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		e.key, mw.FormDataContentType(), buf.Len())
	start := time.Now()
	for chunk := buf.Bytes(); len(chunk) > 0; { // 2 KiB every 100 ms: 20 KiB a second, five times the minimum
		n := min(2<<10, len(chunk))
		if _, err := slow.Write(chunk[:n]); err != nil {
			t.Fatalf("slow upload cut after %v: %v", time.Since(start), err)
		}
		chunk = chunk[n:]
		time.Sleep(100 * time.Millisecond)
	}
	res, body, err = slow.response()
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("slow upload of %d bytes over %v = %v %s; want 201", buf.Len(), time.Since(start), err, body)
	}
}

// TestAmbiguousFramingRefused: a request with both Content-Length and
// Transfer-Encoding is refused and its connection closed, so that what
// follows it is never read as another request; a chunked request is the
// last of its connection; requests framed by Content-Length alone keep
// the connection, pipelined or not.
func TestAmbiguousFramingRefused(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	auth := "Authorization: Bearer " + e.key + "\r\n"
	key := func(cl string) string {
		return "POST /v1/keys HTTP/1.1\r\nHost: picpipe.test\r\n" + auth + "Content-Type: application/json\r\n" + cl
	}
	smuggled := "GET /v1/usage HTTP/1.1\r\nHost: picpipe.test\r\n" + auth + "\r\n"
	tests := []struct {
		name, send string
		want       []int // the statuses answered, in order, before the connection closes
		open       bool  // the connection stays open after them
	}{
		{"both headers", key("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") + "0\r\n\r\n" + smuggled,
			[]int{400}, false},
		{"both, lower case, Transfer-Encoding first", key("transfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n") + "0\r\n\r\n" + smuggled,
			[]int{400}, false},
		{"both, after a request framed by length", key("Content-Length: 13\r\n\r\n") + `{"name": "a"}` +
			key("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") + "0\r\n\r\n" + smuggled,
			[]int{201, 400}, false},
		{"chunked alone", key("Transfer-Encoding: chunked\r\n\r\n") + "d\r\n" + `{"name": "a"}` + "\r\n0\r\n\r\n" + smuggled,
			[]int{201}, false},
		{"pipelined, framed by length", key("Content-Length: 13\r\n\r\n") + `{"name": "a"}` + smuggled,
			[]int{201, 200}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.dial()
			io.WriteString(c, tt.send)
			for i, want := range tt.want {
				res, body, err := c.response()
				if err != nil {
					t.Fatalf("answer %d: %v", i+1, err)
				}
				if res.StatusCode != want {
					t.Fatalf("answer %d = %d %s; want %d", i+1, res.StatusCode, body, want)
				}
				if want == 400 && !strings.Contains(string(body), `"invalid_request"`) {
					t.Fatalf("refusal = %s; want invalid_request", body)
				}
			}
			took, closed := c.closedWithin(3 * time.Second)
			if closed == tt.open {
				t.Fatalf("after %d answers the connection was closed %t (after %v); want %t", len(tt.want), closed, took, !tt.open)
			}
		})
	}
}
