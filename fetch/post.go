package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// lookupTimeout bounds the DNS lookup of CheckTarget.
const lookupTimeout = 2 * time.Second

// Answer is what a server answered a Post: its status and the first
// bytes of its body.
type Answer struct {
	Status int
	Body   []byte
}

// Post sends body to rawURL as a POST with header, under the same
// address and port policy as Fetch, and returns the answer whatever its
// status, with at most max bytes of its body. Redirects are not
// followed: a 3xx is the answer. ctx bounds the whole exchange.
//
// Errors are a *picpipe.Error with code fetch_failed when the URL or an
// address it resolves to is refused (the message says why, safe to
// show), or a *TransientError (timeouts, refused connections, DNS).
func (f *Fetcher) Post(ctx context.Context, rawURL string, header http.Header, body []byte, max int64) (*Answer, error) {
	u, err := f.parse(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, refuse("the URL is not valid")
	}
	req.Header = header.Clone()
	resp, err := f.post.Do(req)
	if err != nil {
		return nil, classify(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, max))
	if err != nil {
		return nil, classify(err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let a short rest keep the connection
	return &Answer{Status: resp.StatusCode, Body: b}, nil
}

// CheckTarget refuses rawURL when Fetch or Post would refuse it for its
// text (scheme, credentials, port, a numeric host in another form) or
// for an address its host has now: a literal one, or any a DNS name
// resolves to; a name that does not exist is refused too. A lookup that
// fails otherwise (a resolver out of reach) passes: every connection's
// address is checked again when it is dialled anyway. Errors are a
// *picpipe.Error with code fetch_failed saying why.
func (f *Fetcher) CheckTarget(ctx context.Context, rawURL string) error {
	u, err := f.parse(rawURL)
	if err != nil {
		return err
	}
	port, _ := urlPort(u) // checked by parse
	host, _ := asciiHost(u.Hostname())
	if a, err := netip.ParseAddr(host); err == nil {
		return f.guard.checkAddrPort(netip.AddrPortFrom(a, uint16(port)))
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return refuse("host %s does not exist", host)
	}
	for _, a := range addrs {
		if err := f.guard.checkAddrPort(netip.AddrPortFrom(a, uint16(port))); err != nil {
			return err
		}
	}
	return nil
}

// parse parses rawURL and applies the URL checks of the guard.
func (f *Fetcher) parse(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, refuse("the URL is not valid")
	}
	if err := f.guard.checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}
