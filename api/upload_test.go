package api_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"picpipe/internal/testenv"
)

// countingReader counts the Reads of a request body.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// TestMultipartReadsInBulk: a multipart upload is taken from its
// connection in reads of tens of kilobytes, not the multipart parser's
// 4 KiB. Each read of a socket is a system call, and one that finds the
// socket empty parks the handler until the netpoller wakes it; at 4 KiB
// a 2 MB upload cost ~500 of them, which under concurrency each waited
// their turn for a core.
func TestMultipartReadsInBulk(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	file := append(fixture(t, "photo.jpg"), bytes.Repeat([]byte{0}, 1<<20)...) // what follows EOI is kept as sent
	body, ct := form(t, "big.jpg", file, map[string]string{"quality": "70"})
	uploadCountingReads(t, e, body, ct, len(file))
}

// TestJSONReadsInBulk: so is a JSON upload's base64 data.
func TestJSONReadsInBulk(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	file := append(fixture(t, "photo.jpg"), bytes.Repeat([]byte{0}, 1<<20)...)
	body := `{"filename":"big.jpg","data":"` + base64.StdEncoding.EncodeToString(file) + `"}`
	uploadCountingReads(t, e, strings.NewReader(body), "application/json", len(body))
}

// uploadCountingReads uploads body, asynchronously, and checks that it
// was read from in reads of 32 KiB or more.
func uploadCountingReads(t *testing.T, e *env, body io.Reader, ct string, size int) {
	t.Helper()
	cr := &countingReader{r: body}
	req := httptest.NewRequest("POST", "/v1/images", cr)
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Prefer", "respond-async")
	rec := httptest.NewRecorder()
	e.api.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("upload: HTTP %d %s", rec.Code, rec.Body)
	}
	if most := size/(32<<10) + 4; cr.reads > most {
		t.Errorf("the %d-byte body was read in %d reads; want at most %d", size, cr.reads, most)
	}
}
