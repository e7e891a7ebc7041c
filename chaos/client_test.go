package chaos

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// answer is what the API said to one POST /v1/images.
type answer struct {
	Status int    // 0 when no answer came (connection refused, reset, timeout)
	ID     string // the image id, when the answer carries one
	State  string // the image's status in the answer
	Code   string // the error code of an error answer
	Took   time.Duration
	Err    error // a transport error
}

// acked reports whether the upload was acknowledged: a 200, 201 or 202
// with an image id. From then on the image must end ready or failed.
func (a answer) acked() bool {
	return (a.Status == http.StatusOK || a.Status == http.StatusCreated || a.Status == http.StatusAccepted) && a.ID != ""
}

func (a answer) String() string {
	if a.Status == 0 {
		return fmt.Sprintf("no answer after %v (%v)", a.Took.Round(time.Millisecond), a.Err)
	}
	s := fmt.Sprintf("%d", a.Status)
	if a.Code != "" {
		s += " " + a.Code
	}
	return fmt.Sprintf("%s in %v", s, a.Took.Round(time.Millisecond))
}

// sendOptions shape one upload.
type sendOptions struct {
	fields map[string]string // form fields beside the file
	async  bool              // Prefer: respond-async
	wait   int               // Prefer: wait=N (seconds) when > 0
	rate   int               // bytes per second of the body; 0: as fast as possible
	name   string            // the part's file name; "" means the file's base name
}

// upload sends the file at path as multipart POST /v1/images, streamed
// from disk, with the key of the run.
func (s *stack) upload(ctx context.Context, key, path string, o sendOptions) answer {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() { pw.CloseWithError(writeForm(mw, path, o)) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiURL+"/v1/images", pr)
	if err != nil {
		return answer{Err: err}
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	if o.async {
		req.Header.Set("Prefer", "respond-async")
	} else if o.wait > 0 {
		req.Header.Set("Prefer", fmt.Sprintf("wait=%d", o.wait))
	}
	start := time.Now()
	resp, err := s.http.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return answer{Err: err, Took: time.Since(start)}
	}
	defer resp.Body.Close()
	a := answer{Status: resp.StatusCode}
	var v imageView
	json.NewDecoder(resp.Body).Decode(&v) // error answers carry only error.code
	io.Copy(io.Discard, resp.Body)
	a.Took = time.Since(start)
	a.ID, a.State, a.Code = v.ID, v.Status, v.Error.Code
	return a
}

func writeForm(mw *multipart.Writer, path string, o sendOptions) error {
	for k, v := range o.fields {
		if err := mw.WriteField(k, v); err != nil {
			return err
		}
	}
	name := o.name
	if name == "" {
		name = filepath.Base(path)
	}
	part, err := mw.CreateFormFile("file", name)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if o.rate > 0 {
		r = &slowReader{r: f, rate: o.rate}
	}
	if _, err := io.Copy(part, r); err != nil {
		return err
	}
	return mw.Close()
}

// slowReader reads at about rate bytes a second: an upload that stays
// in flight for a while.
type slowReader struct {
	r    io.Reader
	rate int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if n := max(s.rate/20, 1); len(p) > n {
		p = p[:n]
	}
	n, err := s.r.Read(p)
	time.Sleep(time.Duration(n) * time.Second / time.Duration(s.rate))
	return n, err
}

// imageView is the part of an Image the suite reads.
type imageView struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	URL      string `json:"url"`
	Filename string `json:"filename"`
	Error    struct {
		Code string `json:"code"`
	} `json:"error"`
}

// image reads GET /v1/images/{id}. It returns the HTTP status (0 without
// an answer) and, on 200, the image.
func (s *stack) image(ctx context.Context, key, id string) (int, imageView, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.apiURL+"/v1/images/"+id, nil)
	if err != nil {
		return 0, imageView{}, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, imageView{}, err
	}
	defer resp.Body.Close()
	var v imageView
	if resp.StatusCode == http.StatusOK {
		err = json.NewDecoder(resp.Body).Decode(&v)
	}
	return resp.StatusCode, v, err
}

// fetchLink reads a direct link whole and returns its status and, on
// 200, the SHA-256 of the body; a body that is not an image is an error.
func (s *stack) fetchLink(ctx context.Context, url string) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp.StatusCode, "", err
	}
	if ct := http.DetectContentType(b); !strings.HasPrefix(ct, "image/") {
		return resp.StatusCode, "", fmt.Errorf("%d bytes of %s, not an image", len(b), ct)
	}
	return resp.StatusCode, fmt.Sprintf("%x", sha256.Sum256(b)), nil
}

// viaEachAPI returns link as it reads through each API process of the
// stack: itself when there is one; otherwise with its origin (the proxy)
// replaced by each process's own.
func (s *stack) viaEachAPI(link string) []string {
	if len(s.apis) == 1 {
		return []string{link}
	}
	var out []string
	for _, a := range s.apis {
		out = append(out, a.url+strings.TrimPrefix(link, s.apiURL))
	}
	return out
}
