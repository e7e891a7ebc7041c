package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"picpipe"
)

// maxHeaderBytes bounds the response headers a server may send.
const maxHeaderBytes = 64 << 10

// Fetcher downloads remote files over HTTP(S) without reaching addresses or
// ports its Config does not allow. It is safe for concurrent use.
type Fetcher struct {
	cfg    Config
	guard  *guard
	tr     *http.Transport
	client *http.Client
	post   *http.Client // Post's: no redirect followed
}

// Response is a successful (200) answer. The caller must close Body.
type Response struct {
	// Body is the body, capped: reading more than max bytes returns an
	// error with code file_too_large. Errors while reading are classified
	// like those of Fetch.
	Body io.ReadCloser
	// Filename comes from Content-Disposition, else the last path segment
	// of the final URL; sanitised (no separators or control characters)
	// and possibly "".
	Filename string
	// ContentType is the server's declared Content-Type, informational
	// only: the bytes are sniffed, never trusted on this word.
	ContentType string
	// ContentLength is the declared length, or -1 if unknown.
	ContentLength int64
	// URL is the final URL, after redirects.
	URL string
}

// New returns a Fetcher for cfg, with defaults for its zero fields.
func New(cfg Config) (*Fetcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	f := &Fetcher{cfg: cfg, guard: newGuard(cfg)}
	dialer := &net.Dialer{
		Timeout:   cfg.ConnectTimeout,
		KeepAlive: 30 * time.Second,
		Control:   f.guard.dialControl,
	}
	f.tr = &http.Transport{
		Proxy:                  nil, // never a proxy from the environment
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs},
		TLSHandshakeTimeout:    cfg.ConnectTimeout,
		ResponseHeaderTimeout:  cfg.HeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
		DisableCompression:     true, // the file as served, and no gzip bombs
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        30 * time.Second,
	}
	f.client = &http.Client{Transport: f.tr, CheckRedirect: f.checkRedirect}
	f.post = &http.Client{Transport: f.tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return f, nil
}

// Close releases idle connections. The Fetcher stays usable.
func (f *Fetcher) Close() { f.tr.CloseIdleConnections() }

// Fetch GETs rawURL and returns its body capped at max bytes (max > 0).
//
// Errors are *picpipe.Error with code picpipe.ECodeFetchFailed when retrying
// cannot help (bad scheme, credentials in the URL, port or address not
// allowed, a host that does not exist, a 4xx answer, too many redirects, an
// invalid TLS certificate) or picpipe.ECodeFileTooLarge (a declared
// Content-Length over max); their message is safe to show to the client.
// Any other error (a *TransientError: timeouts, resets, 5xx, 429) is worth
// retrying with backoff; see Temporary and Reason.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, max int64) (*Response, error) {
	if max <= 0 {
		return nil, errors.New("fetch: max must be positive")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, refuse("the URL is not valid")
	}
	if err := f.guard.checkURL(u); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.TotalTimeout)
	resp, err := f.do(ctx, u)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.ContentLength > max {
		resp.Body.Close()
		cancel()
		return nil, picpipe.Errorf(picpipe.ECodeFileTooLarge,
			"the remote file is %d bytes, over the limit of %d bytes", resp.ContentLength, max)
	}
	return &Response{
		Body:          newCappedBody(resp.Body, max, cancel),
		Filename:      filename(resp),
		ContentType:   resp.Header.Get("Content-Type"),
		ContentLength: resp.ContentLength,
		URL:           resp.Request.URL.Redacted(),
	}, nil
}

// do sends the request and returns a 200 or 203 response, closing the body
// of any other.
func (f *Fetcher) do(ctx context.Context, u *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, refuse("the URL is not valid")
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", "*/*")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, classify(err)
	}
	if err := statusError(resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// checkRedirect bounds the redirects and re-checks every target's URL; its
// address is checked when dialled, like the first one's.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.cfg.MaxRedirects {
		return refuse("too many redirects (more than %d)", f.cfg.MaxRedirects)
	}
	if err := f.guard.checkURL(req.URL); err != nil {
		var pe *picpipe.Error
		if errors.As(err, &pe) {
			return refuse("redirect refused: %s", pe.Message)
		}
		return err
	}
	req.Header.Del("Referer")
	return nil
}
