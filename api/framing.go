package api

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"picpipe"
)

// A request that carries both Content-Length and Transfer-Encoding is how
// requests are smuggled past a proxy that frames by one header while
// picpipe frames by the other. Go's server lets Transfer-Encoding win and
// drops Content-Length from the request before any handler sees it, so
// the guard reads the request heads off the connection itself: the
// listener wraps each connection in a framedConn, guardFraming hands each
// request its head's verdict, and refuseAmbiguous answers 400 and closes
// the connection. Connections are followed through bodies framed by
// Content-Length only: a request with Transfer-Encoding is the last one
// its connection carries.

const (
	// maxHeaderBytes bounds a request's head (the server's MaxHeaderBytes).
	maxHeaderBytes = 64 << 10
	// maxFollowedHead is the longest head followed: the server refuses
	// (431) before, as it allows itself 4 KiB more than MaxHeaderBytes.
	maxFollowedHead = maxHeaderBytes + 8<<10
	// maxPendingHeads bounds the heads read ahead of their handlers
	// (pipelined requests) that a connection remembers.
	maxPendingHeads = 32
)

// GuardListener returns l with its connections' request heads followed,
// for an http.Server made by HTTPServer: without it requests that carry
// both Content-Length and Transfer-Encoding are not recognised (they are
// still never followed by another request on their connection).
func GuardListener(l net.Listener) net.Listener { return framedListener{l} }

type framedListener struct{ net.Listener }

func (l framedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &framedConn{Conn: c}, nil
}

// framedConn is a connection whose request heads are followed as the
// server reads them: for each head, whether it carried both
// Content-Length and Transfer-Encoding.
type framedConn struct {
	net.Conn
	mu    sync.Mutex
	head  []byte // the head being read
	skip  int64  // bytes of the last head's body still to come
	lost  bool   // the framing is no longer followed
	heads []bool // per head not yet handed to its request: ambiguous
}

// Read implements net.Conn, following what goes by.
func (c *framedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.follow(p[:n])
		c.mu.Unlock()
	}
	return n, err
}

// follow reads b, the next bytes of the connection: body bytes to skip,
// or a head to judge.
func (c *framedConn) follow(b []byte) {
	for len(b) > 0 && !c.lost {
		if c.skip > 0 {
			k := min(c.skip, int64(len(b)))
			c.skip, b = c.skip-k, b[k:]
			continue
		}
		if len(c.head) == 0 {
			b = bytes.TrimLeft(b, "\r\n") // blank lines between requests
			if len(b) == 0 {
				return
			}
		}
		from := len(c.head)
		c.head = append(c.head, b...)
		end := headEnd(c.head, from)
		if end < 0 {
			if len(c.head) > maxFollowedHead { // the server refuses it (431)
				c.lost, c.head = true, nil
			}
			return
		}
		head, rest := c.head[:end], c.head[end:]
		c.head = nil
		ambiguous, body, ok := judgeHead(head)
		c.heads = append(c.heads, ambiguous)
		c.skip, c.lost = body, !ok || len(c.heads) > maxPendingHeads
		b = rest
	}
}

// next returns the verdict of the next request's head: ambiguous when it
// carried both Content-Length and Transfer-Encoding; known false when
// the connection is no longer followed.
func (c *framedConn) next() (ambiguous, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.heads) == 0 {
		return false, false
	}
	ambiguous = c.heads[0]
	c.heads = c.heads[1:]
	return ambiguous, true
}

// headEnd returns the length of the head at the start of h, up to and
// including the blank line that ends it (lines end in LF or CRLF, as the
// server reads them), or -1 while it is incomplete. Only an end at or
// after from (less a line ending) is new.
func headEnd(h []byte, from int) int {
	for i := max(from-2, 0); ; {
		j := bytes.IndexByte(h[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		switch {
		case i < len(h) && h[i] == '\n':
			return i + 1
		case i+1 < len(h) && h[i] == '\r' && h[i+1] == '\n':
			return i + 2
		}
	}
}

// judgeHead reads a request head: ambiguous when it carries both
// Content-Length and Transfer-Encoding; body, the bytes of its body
// when framed by Content-Length; ok false when what follows it is not
// followed (a chunked body, or a head the server refuses and closes on).
func judgeHead(h []byte) (ambiguous bool, body int64, ok bool) {
	lines := strings.Split(string(h), "\n")
	http10 := strings.HasSuffix(strings.TrimSuffix(lines[0], "\r"), " HTTP/1.0")
	var te bool
	var lengths []string
	for _, l := range lines[1:] {
		name, value, found := strings.Cut(strings.TrimSuffix(l, "\r"), ":")
		switch {
		case !found:
		case strings.EqualFold(name, "Content-Length"):
			lengths = append(lengths, strings.Trim(value, " \t"))
		case strings.EqualFold(name, "Transfer-Encoding"):
			te = true
		}
	}
	ambiguous = te && len(lengths) > 0
	if te && !http10 { // HTTP/1.0 ignores Transfer-Encoding
		return ambiguous, 0, false
	}
	if len(lengths) == 0 {
		return ambiguous, 0, true
	}
	for _, l := range lengths[1:] {
		if l != lengths[0] {
			return ambiguous, 0, false
		}
	}
	n, err := strconv.ParseUint(lengths[0], 10, 63)
	return ambiguous, int64(n), err == nil
}

// framedConnKey keeps a request's framedConn in its context.
type framedConnKey struct{}

// framingVerdictKey marks a request whose head carried both headers.
type framingVerdictKey struct{}

// withFramedConn is the http.Server's ConnContext.
func withFramedConn(ctx context.Context, c net.Conn) context.Context {
	if fc, ok := c.(*framedConn); ok {
		return context.WithValue(ctx, framedConnKey{}, fc)
	}
	return ctx
}

// guardFraming hands every request the verdict of its head, before any
// routing, and closes the connection after a request with
// Transfer-Encoding (the heads after a chunked body are not followed)
// or an ambiguous one, which refuseAmbiguous answers.
func guardFraming(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fc, _ := r.Context().Value(framedConnKey{}).(*framedConn)
		if fc != nil {
			if ambiguous, _ := fc.next(); ambiguous {
				r = r.WithContext(context.WithValue(r.Context(), framingVerdictKey{}, true))
			}
		}
		if len(r.TransferEncoding) > 0 || r.Context().Value(framingVerdictKey{}) != nil {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// refuseAmbiguous answers 400 to a request whose head carried both
// Content-Length and Transfer-Encoding, without reading its body.
func refuseAmbiguous(c *gin.Context) {
	if c.Request.Context().Value(framingVerdictKey{}) != nil {
		failCode(c, picpipe.ECodeInvalidRequest, "a request must not carry both Content-Length and Transfer-Encoding")
		return
	}
	c.Next()
}
