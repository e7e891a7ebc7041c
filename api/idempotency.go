package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
	"picpipe/intake"
)

// Idempotency-Key, as the IETF httpapi draft and Stripe have it: a POST
// sent with a key runs once per account, method, path and key; the same
// request again gets the first answer replayed (Idempotent-Replayed:
// true), the same key while the first still runs 409
// idempotency_in_progress, the key with another request 422
// idempotency_key_reused. The records live in the database, the system
// of record, beside what the requests create: they outlive a Redis
// restart or failover, which must never turn a retried upload into a
// second image.
//
// A request claims its record before anything else runs (one INSERT …
// ON CONFLICT: of two at once exactly one wins) with the fingerprint of
// its request line; its body's is known once the body has streamed
// through (bodyPrint), before anything is recorded (bodyRead). A request
// refused (4xx before it recorded anything, or any 5xx: the server's
// trouble) gives its record up, so that the client can fix the request
// and retry with the same key; any other answer is kept for
// idempotencyTTL. A running record is held by a lease its process renews
// while the request runs, so that one whose process died is taken over
// by the next retry once the lease has run out.

const (
	idempotencyHeader = "Idempotency-Key"
	replayedHeader    = "Idempotent-Replayed"
	// maxIdempotencyKey is the longest key, in bytes.
	maxIdempotencyKey = 255
	// idempotencyTTL is how long a key and its answer are kept.
	idempotencyTTL = 24 * time.Hour
	// idempotencyLease is how long a running record stays its owner's
	// without a renewal; leaseRenewEvery how often owners renew.
	idempotencyLease = 30 * time.Second
	leaseRenewEvery  = 10 * time.Second
	// maxKeptAnswer bounds the body of an answer kept for replays: the
	// JSON of a resource or a list of a few, never a blob.
	maxKeptAnswer = 1 << 20
	// ctxIdempotency holds the *idempotentRun of a request that owns its
	// key; ctxCommitted is set once a request has recorded something.
	ctxIdempotency = "picpipe.idempotency"
	ctxCommitted   = "picpipe.committed"
)

// replayedHeaders are the headers of an answer kept for its replays;
// the others (the request id, rate limits, CORS) belong to each request.
var replayedHeaders = []string{"Content-Type", "Location", "ETag", "Last-Modified", "Preference-Applied", "Link"}

var (
	errIdempotencyInProgress = picpipe.Errorf(picpipe.ECodeIdempotencyInProgress,
		"a request with this Idempotency-Key is still running; retry when it has finished")
	errIdempotencyKeyReused = picpipe.Errorf(picpipe.ECodeIdempotencyKeyReused,
		"this Idempotency-Key was used with another request; send a new key with a new request")
)

// idempotentRun is a request running under the record it claimed.
type idempotentRun struct {
	db      *db.DB
	rec     *db.IdempotencyKey
	print   *bodyPrint
	checked bool // bodyRead ran
	yield   bool // keep the record as it was found, for its next taker
}

// idempotent runs a POST sent with an Idempotency-Key once (see above).
// It runs after authentication and the route's scope, and before the
// rate limit and anything that reads the body.
func (s *Server) idempotent(c *gin.Context) {
	values := c.Request.Header.Values(idempotencyHeader)
	if c.Request.Method != http.MethodPost || len(values) == 0 {
		c.Next()
		return
	}
	key, err := parseIdempotencyKey(values)
	if err != nil {
		fail(c, err)
		return
	}
	now := s.now()
	claim := &db.IdempotencyKey{UserID: userOf(c).ID, Method: c.Request.Method, Path: c.Request.URL.Path,
		Key: key, RequestHash: requestHash(c.Request), Owner: newLeaseOwner(),
		LeaseUntil: now.Add(idempotencyLease).Unix(), CreatedAt: now.Unix(), ExpiresAt: now.Add(idempotencyTTL).Unix()}
	rec, err := s.db.ClaimIdempotencyKey(c.Request.Context(), claim, now.Unix())
	if err != nil {
		fail(c, err)
		return
	}
	if rec.Owner != claim.Owner {
		s.answerAgain(c, claim, rec)
		return
	}
	s.runOnce(c, rec)
}

// parseIdempotencyKey reads the key: one header, an sf-string as the
// draft has it ("…") or the bare value as Stripe's clients send it, of 1
// to maxIdempotencyKey printable ASCII characters.
func parseIdempotencyKey(values []string) (string, error) {
	if len(values) != 1 {
		return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "send one Idempotency-Key header, not %d", len(values))
	}
	key := strings.TrimSpace(values[0])
	if len(key) >= 2 && key[0] == '"' && key[len(key)-1] == '"' {
		inner := key[1 : len(key)-1]
		key = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(inner)
		if strings.Count(inner, `\`) != 2*strings.Count(inner, `\\`)+strings.Count(inner, `\"`) {
			return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, `Idempotency-Key: a quoted key may escape only " and \`)
		}
	}
	switch {
	case key == "":
		return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "Idempotency-Key is empty")
	case len(key) > maxIdempotencyKey:
		return "", picpipe.Errorf(picpipe.ECodeInvalidRequest,
			"Idempotency-Key has %d characters; at most %d are allowed (a UUID has 36)", len(key), maxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "Idempotency-Key must be printable ASCII")
		}
	}
	return key, nil
}

// newLeaseOwner returns the token of a request holding a record.
func newLeaseOwner() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// answerAgain answers a request whose key another request holds or
// answered: 422 for another request line, 409 while the first runs, and
// once it is done, after reading the body (only to print it: nothing is
// kept), the first answer again or 422 for another body.
func (s *Server) answerAgain(c *gin.Context, claim, rec *db.IdempotencyKey) {
	switch {
	case rec.RequestHash != claim.RequestHash:
		fail(c, errIdempotencyKeyReused)
		return
	case rec.State == db.IdempotencyRunning:
		c.Header("Retry-After", "1")
		fail(c, errIdempotencyInProgress)
		return
	}
	same, err := s.sameBody(c, rec)
	if err != nil {
		fail(c, err)
		return
	}
	if !same {
		fail(c, errIdempotencyKeyReused)
		return
	}
	replay(c, rec)
}

// sameBody reads the request's body and reports whether it prints as
// rec's did. A body longer than rec's (beyond what another boundary
// makes of a form) is another body: its rest is not read.
func (s *Server) sameBody(c *gin.Context, rec *db.IdempotencyKey) (bool, error) {
	limit := rec.BodySize
	if isMultipart(c.Request) {
		limit += intake.MultipartOverhead
	}
	if c.Request.ContentLength > limit {
		return false, nil
	}
	setBodyLimit(c, limit)
	print := newBodyPrint(c.Request, bodyOf(c))
	sum, _, err := print.finish()
	switch {
	case intake.IsTooLarge(err):
		return false, nil
	case err != nil && isMultipart(c.Request):
		return false, nil // not the well-formed form it was
	case err != nil:
		return false, intake.BodyError(err)
	}
	return sum == rec.BodyHash, nil
}

// replay answers with rec's kept answer.
func replay(c *gin.Context, rec *db.IdempotencyKey) {
	var h http.Header
	if err := json.Unmarshal([]byte(rec.Headers), &h); err == nil {
		for k, vs := range h {
			c.Writer.Header()[k] = vs
		}
	}
	c.Header(replayedHeader, "true")
	c.Status(rec.Status)
	c.Writer.WriteString(rec.Body)
	c.Abort()
}

// runOnce runs the request under the record it holds, keeping the lease
// while it runs, and then keeps its answer or gives the record up.
func (s *Server) runOnce(c *gin.Context, rec *db.IdempotencyKey) {
	run := &idempotentRun{db: s.db, rec: rec, print: newBodyPrint(c.Request, bodyOf(c))}
	c.Set(ctxIdempotency, run)
	s.leases.hold(rec.Owner)
	defer s.leases.drop(rec.Owner)
	w := &keptAnswer{ResponseWriter: c.Writer}
	c.Writer = w
	defer func() {
		if r := recover(); r != nil {
			s.giveUp(c, run)
			panic(r)
		}
	}()
	c.Next()
	c.Writer = w.ResponseWriter
	if s.keeps(c, w) && !run.yield {
		s.keep(c, run, w)
		return
	}
	s.giveUp(c, run)
}

// keeps reports whether an answer is kept for replays: one that is not
// the server's failure (5xx) nor a refusal of a request that recorded
// nothing (4xx), and that was small enough to keep whole.
func (s *Server) keeps(c *gin.Context, w *keptAnswer) bool {
	status := w.Status()
	switch {
	case w.over || status >= http.StatusInternalServerError:
		return false
	case status >= http.StatusBadRequest:
		return c.GetBool(ctxCommitted)
	}
	return true
}

// keep records the answer w for replays.
func (s *Server) keep(c *gin.Context, run *idempotentRun, w *keptAnswer) {
	ctx := context.WithoutCancel(c.Request.Context())
	rec := run.rec
	sum, size, err := run.print.finish()
	if err != nil {
		slog.WarnContext(ctx, "idempotency: the body of an answered request could not be printed; its key is given up",
			"err", err, "request_id", requestID(c))
		s.giveUp(c, run)
		return
	}
	h := http.Header{}
	for _, k := range replayedHeaders {
		if v := w.Header().Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	headers, _ := json.Marshal(h)
	rec.Status, rec.Headers, rec.Body, rec.BodyHash, rec.BodySize = w.Status(), string(headers), w.kept.String(), sum, size
	if err := s.db.FinishIdempotencyKey(ctx, rec); err != nil {
		slog.WarnContext(ctx, "idempotency: the answer could not be kept", "err", err, "request_id", requestID(c))
	}
}

// giveUp releases the record of a request that ends without an answer to
// keep — or, when the request found the body of a taken-over record to
// differ (yield), hands it back untouched for the next retry to compare.
func (s *Server) giveUp(c *gin.Context, run *idempotentRun) {
	ctx := context.WithoutCancel(c.Request.Context())
	var err error
	if run.yield {
		err = s.db.YieldIdempotencyKey(ctx, run.rec)
	} else {
		err = s.db.ReleaseIdempotencyKey(ctx, run.rec)
	}
	if err != nil && !errors.Is(err, db.ErrIdempotencyLost) {
		slog.WarnContext(ctx, "idempotency: release a key", "err", err, "request_id", requestID(c))
	}
}

// bodyRead is what a handler calls once it has read the request's body,
// before it records anything: under an Idempotency-Key it prints the
// body and records its print in the key's record, so that a retry after
// this process died can be compared; it refuses (422) a body that is not
// the one a record taken over had. The handler drops what it staged when
// bodyRead refuses.
func bodyRead(c *gin.Context) error {
	run := runOf(c)
	if run == nil || run.checked {
		return nil
	}
	run.checked = true
	sum, size, err := run.print.finish()
	if err != nil {
		return intake.BodyError(err)
	}
	if run.rec.BodyHash != "" && run.rec.BodyHash != sum {
		run.yield = true
		return errIdempotencyKeyReused
	}
	run.rec.BodyHash, run.rec.BodySize = sum, size
	err = run.db.SetIdempotencyBody(context.WithoutCancel(c.Request.Context()), run.rec)
	if errors.Is(err, db.ErrIdempotencyLost) {
		return errIdempotencyInProgress
	}
	return err
}

// bodyPrintOf returns the print of the request's body under an
// Idempotency-Key, nil without one.
func bodyPrintOf(c *gin.Context) *bodyPrint {
	if run := runOf(c); run != nil {
		return run.print
	}
	return nil
}

// runOf returns the run of a request that holds its Idempotency-Key, nil
// for any other.
func runOf(c *gin.Context) *idempotentRun {
	v, _ := c.Get(ctxIdempotency)
	run, _ := v.(*idempotentRun)
	return run
}

// markCommitted notes that the request recorded something: an answer of
// its own failure (422 decode_failed for an upload that failed) is then
// kept for its replays like any other.
func markCommitted(c *gin.Context) { c.Set(ctxCommitted, true) }

// keptAnswer writes an answer and keeps a copy of its body, up to
// maxKeptAnswer bytes.
type keptAnswer struct {
	gin.ResponseWriter
	kept bytes.Buffer
	over bool
}

func (w *keptAnswer) keep(n int) bool {
	if w.kept.Len()+n > maxKeptAnswer {
		w.over = true
	}
	return !w.over
}

// Write implements io.Writer.
func (w *keptAnswer) Write(b []byte) (int, error) {
	if w.keep(len(b)) {
		w.kept.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// WriteString implements io.StringWriter.
func (w *keptAnswer) WriteString(s string) (int, error) {
	if w.keep(len(s)) {
		w.kept.WriteString(s)
	}
	return w.ResponseWriter.WriteString(s)
}
