package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultUserAgent is the User-Agent a Client sends unless WithUserAgent
// sets another.
const DefaultUserAgent = "picpipe-go-client/1"

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// Client calls one picpipe API with one API key. It is safe for
// concurrent use.
type Client struct {
	base      *url.URL
	key       string
	http      *http.Client
	userAgent string
	retry     RetryPolicy
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends the requests through h instead of a new
// http.Client of its own. Uploads may take minutes: give h no Timeout
// shorter than the largest upload needs, and bound calls with their
// context instead.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithUserAgent sets the User-Agent header sent with each request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithRetry sets the retry policy; the default is the zero RetryPolicy's
// defaults (4 attempts).
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// New returns a Client of the API at baseURL ("https://img.example.com",
// without /v1) authenticating with apiKey (pk_live_…). It returns an
// error when baseURL is not an absolute http or https URL.
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q: want http://host or https://host", baseURL)
	}
	c := &Client{base: u, key: apiKey, http: &http.Client{}, userAgent: DefaultUserAgent}
	for _, o := range opts {
		o(c)
	}
	c.retry = c.retry.withDefaults()
	return c, nil
}

// BaseURL is the API's base URL, as New was given it without a trailing
// slash.
func (c *Client) BaseURL() string { return c.base.String() }

// request is one API call; its body is opened afresh for each attempt.
type request struct {
	method string
	path   string // below the base URL, e.g. "/v1/images"
	url    string // instead of path: an absolute URL, sent without the API key
	query  url.Values
	prefer string
	// body opens the body for one attempt: its reader, content type and
	// length (-1 unknown); nil for none.
	body       func() (io.ReadCloser, string, int64, error)
	replayable bool // whether body may be opened again
	once       bool // never retried
}

// jsonBody makes r's body the JSON of v, which may be sent again.
func (r *request) jsonBody(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("client: encode request: %w", err)
	}
	r.body = func() (io.ReadCloser, string, int64, error) {
		return io.NopCloser(bytes.NewReader(b)), "application/json", int64(len(b)), nil
	}
	r.replayable = true
	return nil
}

// do sends r, retrying as the policy says, and decodes a 2xx answer's
// JSON into out (unless out is nil or the answer is 204). An answer of
// 400 or more is returned as an *Error.
func (c *Client) do(ctx context.Context, r *request, out any) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		res, err := c.send(ctx, r, out)
		if err == nil {
			return res, nil
		}
		wait, again := c.retry.wait(attempt, r, err)
		if !again || ctx.Err() != nil {
			return res, err
		}
		if c.retry.OnRetry != nil {
			c.retry.OnRetry(attempt, err, wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return res, err
		}
	}
}

// send makes one attempt of r.
func (c *Client) send(ctx context.Context, r *request, out any) (*http.Response, error) {
	req, err := c.newRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		body, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
		return res, newError(res, body)
	}
	if out == nil || res.StatusCode == http.StatusNoContent || (r.url != "" && !isJSON(res)) {
		io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
		return res, nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return res, fmt.Errorf("client: %s %s: decode the %d answer: %w", r.method, req.URL.Path, res.StatusCode, err)
	}
	return res, nil
}

// newRequest builds the http.Request of one attempt of r.
func (c *Client) newRequest(ctx context.Context, r *request) (*http.Request, error) {
	target := r.url
	if target == "" {
		u := *c.base
		u.Path += r.path
		u.RawQuery = r.query.Encode()
		target = u.String()
	}
	var body io.ReadCloser
	var ctype string
	length := int64(0)
	if r.body != nil {
		var err error
		if body, ctype, length, err = r.body(); err != nil {
			return nil, err
		}
	}
	if length == 0 && body != nil {
		body.Close() // an empty body: sent as none
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, fmt.Errorf("client: %w", err)
	}
	c.setHeaders(req, r, ctype, length)
	return req, nil
}

// setHeaders sets a request's headers: the API key only on the API's
// own paths (never on an absolute URL, which may be a bucket's).
func (c *Client) setHeaders(req *http.Request, r *request, ctype string, length int64) {
	req.ContentLength = length
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if r.url == "" && c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if r.prefer != "" {
		req.Header.Set("Prefer", r.prefer)
	}
}

// Prefer says how long an upload's answer waits for its result (RFC 7240
// Prefer). The zero value leaves it to the server (10 s by default).
type Prefer struct {
	// Async asks for the answer at once (Prefer: respond-async): the image
	// or file comes back queued or processing, to poll with WaitReady.
	Async bool
	// Wait, when positive, asks the server to wait up to Wait (Prefer:
	// wait=N, in whole seconds rounded up; the server caps it).
	Wait time.Duration
}

// header is the Prefer header of p, "" for none.
func (p Prefer) header() string {
	switch {
	case p.Async:
		return "respond-async"
	case p.Wait > 0:
		return "wait=" + strconv.FormatInt(int64((p.Wait+time.Second-1)/time.Second), 10)
	}
	return ""
}

// pathID escapes an id for a path segment.
func pathID(id string) string { return url.PathEscape(id) }

// isJSON reports whether res's body is JSON (a bucket answers XML or
// nothing).
func isJSON(res *http.Response) bool {
	ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	return ct == "application/json"
}
