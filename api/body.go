package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/intake"
)

const (
	// defaultBodyLimit is the most bytes of a request body on a route
	// that sets no limit of its own: every route but the uploads takes a
	// small JSON body or none.
	defaultBodyLimit = 64 << 10
	// controlBodyLimit is the most bytes of a JSON control body (a key,
	// a presigned grant, a URL to fetch): a hundred IPv6 CIDRs and a name
	// fit with room to spare.
	controlBodyLimit = 16 << 10
	// ctxBody is where a request's *requestBody is kept.
	ctxBody = "picpipe.body"
)

// Pace is the slowest a request body may arrive: after Grace from the
// moment its headers were read, at least MinRate bytes a second on
// average since then. A body that falls behind is cut.
type Pace struct {
	Grace   time.Duration
	MinRate int64 // bytes a second
}

// due is the latest time by which n bytes of a body begun at start
// must have arrived.
func (p Pace) due(start time.Time, n int64) time.Time {
	return start.Add(p.Grace + time.Duration(float64(n)/float64(p.MinRate)*float64(time.Second)))
}

// requestBody is a request's body as the API reads it: at most limit
// bytes (a route sets its own with setBodyLimit before reading, the
// server's default stands otherwise), arriving at pace or cut. The pace
// is kept with the connection's read deadline, moved on as bytes arrive
// (setDeadline, nil when the connection has none), so a stalled client
// is cut even while no Read is waiting.
type requestBody struct {
	r           io.ReadCloser
	limit       int64
	n           int64
	pace        Pace
	start       time.Time
	setDeadline func(time.Time) error
	tooLarge    func()    // tells the server the body went over its limit; nil: nothing to tell
	seen        io.Writer // is given every byte read, to fingerprint the body; nil: none
	deadline    time.Time // the one last set
	err         error     // sticky: the body ended, failed or went over the limit
}

// newRequestBody returns r behind a limit and a pace whose time runs
// from start. setDeadline sets the connection's read deadline; nil when
// the request has no body to wait for.
func newRequestBody(r io.ReadCloser, limit int64, pace Pace, start time.Time, setDeadline func(time.Time) error) *requestBody {
	b := &requestBody{r: r, limit: limit, pace: pace, start: start, setDeadline: setDeadline}
	b.keepPace()
	return b
}

// Read implements io.Reader. Past the limit it fails with
// *http.MaxBytesError (as http.MaxBytesReader does); a body that fell
// behind its pace fails with request_timeout.
func (b *requestBody) Read(p []byte) (int, error) {
	if b.err == nil && b.n > b.limit { // the limit was lowered below what was read
		b.err = &http.MaxBytesError{Limit: b.limit}
	}
	if b.err != nil {
		return 0, b.err
	}
	if room := b.limit - b.n; int64(len(p)) > room+1 {
		p = p[:room+1] // one byte more tells an oversized body
	}
	b.keepPace()
	n, err := b.r.Read(p)
	b.n += int64(n)
	switch {
	case b.n > b.limit:
		n -= int(b.n - b.limit)
		b.n, b.err = b.limit, &http.MaxBytesError{Limit: b.limit}
		if b.tooLarge != nil {
			b.tooLarge()
		}
		b.see(p[:n])
		return n, b.err
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = picpipe.Errorf(picpipe.ECodeRequestTimeout,
			"the request body arrived slower than %d bytes a second", b.pace.MinRate)
	}
	if err != nil {
		// From here on the connection's read deadline is the server's:
		// at the end of a body it starts its own read, deadline cleared.
		b.err = err
	}
	b.see(p[:n])
	return n, err
}

// see gives what was read to seen.
func (b *requestBody) see(p []byte) {
	if b.seen != nil && len(p) > 0 {
		b.seen.Write(p)
	}
}

// keepPace moves the read deadline to when the bytes read so far are
// due, at most once a second.
func (b *requestBody) keepPace() {
	if b.setDeadline == nil || b.err != nil || b.pace.MinRate <= 0 {
		return
	}
	due := b.pace.due(b.start, b.n)
	if b.deadline.IsZero() || due.Sub(b.deadline) >= time.Second {
		if b.setDeadline(due) != nil {
			b.setDeadline = nil // the connection has no deadlines
			return
		}
		b.deadline = due
	}
}

// Close implements io.Closer.
func (b *requestBody) Close() error { return b.r.Close() }

// setLimit makes n the most bytes the body may have, counting those
// already read.
func (b *requestBody) setLimit(n int64) { b.limit = n }

// withBody puts every request's body behind a requestBody with the
// server's default limit and pace. A request without a body gets no
// read deadline: the server watches its connection itself.
func (s *Server) withBody(c *gin.Context) {
	var deadline func(time.Time) error
	if c.Request.Body != nil && c.Request.Body != http.NoBody && c.Request.ContentLength != 0 {
		deadline = http.NewResponseController(c.Writer).SetReadDeadline
	}
	body := c.Request.Body
	if body == nil {
		body = http.NoBody
	}
	b := newRequestBody(body, defaultBodyLimit, s.cfg.Pace, time.Now(), deadline)
	b.tooLarge = func() { signalTooLarge(c.Writer) }
	c.Request.Body = b
	c.Set(ctxBody, b)
	c.Next()
}

// signalTooLarge tells the server that the request's body went over its
// limit, as http.MaxBytesReader does for the response it is given: the
// server then answers with Connection: close and, having sent the
// answer, lets the client read it before closing, instead of resetting
// a connection the client is still writing to. Only a MaxBytesReader
// can tell it, so one is read past its limit of nothing.
func signalTooLarge(w http.ResponseWriter) {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	http.MaxBytesReader(w, io.NopCloser(strings.NewReader("!")), 0).Read(make([]byte, 1))
}

// bodyOf returns the request's body as withBody put it.
func bodyOf(c *gin.Context) *requestBody {
	v, _ := c.Get(ctxBody)
	b, _ := v.(*requestBody)
	return b
}

// setBodyLimit makes n the most bytes the request's body may have: a
// route's own need, set before its body is read.
func setBodyLimit(c *gin.Context, n int64) {
	if b := bodyOf(c); b != nil {
		b.setLimit(n)
	}
}

// presignedBody limits a presigned upload's body to the most the
// caller's plan grants; its grant narrows that further.
func (s *Server) presignedBody(c *gin.Context) {
	setBodyLimit(c, s.planOf(userOf(c)).MaxPresignedBytes+1)
	c.Next()
}

// bodyTooSlow returns the request_timeout error of a request whose body
// was cut for its pace, nil otherwise.
func bodyTooSlow(c *gin.Context) error {
	b, ok := c.Get(ctxBody)
	if !ok {
		return nil
	}
	if err := b.(*requestBody).err; picpipe.ErrorCode(err) == picpipe.ECodeRequestTimeout {
		return err
	}
	return nil
}

// controlBody reads a JSON control body (a key, a presigned grant, a URL
// to fetch) whole before its handler binds it from memory: at most
// controlBodyLimit bytes, payload_too_large past them.
func controlBody(c *gin.Context) {
	if c.Request.ContentLength > controlBodyLimit {
		failCode(c, picpipe.ECodePayloadTooLarge, "the body's %d bytes exceed the %d a JSON request may have",
			c.Request.ContentLength, controlBodyLimit)
		return
	}
	setBodyLimit(c, controlBodyLimit)
	b, err := io.ReadAll(c.Request.Body)
	if err != nil {
		fail(c, intake.BodyError(err))
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(b))
	if err := bodyRead(c); err != nil {
		fail(c, err)
		return
	}
	c.Next()
}

// bindJSON decodes the request's JSON control body (read by
// controlBody) into v: invalid_request when it is not JSON that fits v
// (want says what to send).
func bindJSON(c *gin.Context, v any, want string) error {
	err := json.NewDecoder(c.Request.Body).Decode(v)
	var pe *picpipe.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return err
	case intake.IsTooLarge(err):
		return intake.BodyError(err)
	}
	return picpipe.Errorf(picpipe.ECodeInvalidRequest, "send JSON %s: %v", want, err)
}
