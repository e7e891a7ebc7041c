package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/api/compat"
	"picpipe/db"
)

// statusOf maps each stable error code to its HTTP status. It is the only
// place that does.
var statusOf = map[string]int{
	picpipe.ECodeInvalidRequest:        http.StatusBadRequest,
	picpipe.ECodeUnsupportedFormat:     http.StatusBadRequest,
	picpipe.ECodeFileTooLarge:          http.StatusBadRequest,
	picpipe.ECodeUnauthorized:          http.StatusUnauthorized,
	picpipe.ECodeForbidden:             http.StatusForbidden,
	picpipe.ECodeNotFound:              http.StatusNotFound,
	picpipe.ECodePayloadTooLarge:       http.StatusRequestEntityTooLarge,
	picpipe.ECodeDecodeFailed:          http.StatusUnprocessableEntity,
	picpipe.ECodeTooManyPixels:         http.StatusUnprocessableEntity,
	picpipe.ECodeFetchFailed:           http.StatusUnprocessableEntity,
	picpipe.ECodeRequestTimeout:        http.StatusRequestTimeout,
	picpipe.ECodeIdempotencyInProgress: http.StatusConflict,
	picpipe.ECodeIdempotencyKeyReused:  http.StatusUnprocessableEntity,
	picpipe.ECodeRateLimited:           http.StatusTooManyRequests,
	picpipe.ECodeQuotaExceeded:         http.StatusTooManyRequests,
	picpipe.ECodeTranscodeUnavailable:  http.StatusServiceUnavailable,
	picpipe.ECodeUnavailable:           http.StatusServiceUnavailable,
	// A full disk is 503, not 507 Insufficient Storage: it is a passing
	// condition of the server (the purge frees space), and 503 with
	// Retry-After is what clients, proxies and retry libraries know to
	// wait out; the code tells it apart.
	picpipe.ECodeStorageFull: http.StatusServiceUnavailable,
	picpipe.ECodeInternal:    http.StatusInternalServerError,
}

// retryAfter is what 429 and 503 answers tell clients to wait when the
// error itself does not say; retryAfterOf overrides it for codes whose
// condition takes longer to pass, and 0 there means no Retry-After at
// all: waiting will not help.
const retryAfter = 5 * time.Second

var retryAfterOf = map[string]time.Duration{
	// No quota of a plan is monthly: images, storage and keys come back
	// only when the account deletes something, never with time.
	picpipe.ECodeQuotaExceeded: 0,
	picpipe.ECodeStorageFull:   storageFullRetryAfter,
}

// storageFullRetryAfter is the Retry-After of storage_full: space comes
// back when an operator or the purge frees it, not in seconds.
const storageFullRetryAfter = time.Minute

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// statusOfCode is the HTTP status of an error code: 500 for a code the
// table lacks.
func statusOfCode(code string) int {
	if status, ok := statusOf[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// fail renders err as the error body with the status of its code, aborts
// the handler chain, and logs the server's own failures (every 5xx, and
// only those) with their real text.
func fail(c *gin.Context, err error) {
	status, detail := errorResponse(c, err)
	if render := compat.RendererOf(c); render != nil { // a seed mount's own envelope
		render(c, status, detail.Code, detail.Message, detail.RequestID)
		c.Abort()
		return
	}
	c.AbortWithStatusJSON(status, errorBody{detail})
}

// storeErrors code the store's sentinels for clients: the one place
// where a db error becomes a code and a message. Handlers hand the
// store's errors to fail as they are.
var storeErrors = []struct {
	sentinel error
	coded    *picpipe.Error
}{
	{db.ErrImageNotFound, picpipe.Errorf(picpipe.ECodeNotFound, "no such image")},
	{db.ErrFileNotFound, picpipe.Errorf(picpipe.ECodeNotFound, "no such file")},
	{db.ErrAPIKeyNotFound, picpipe.Errorf(picpipe.ECodeNotFound, "no such API key")},
	{db.ErrGrantNotFound, picpipe.Errorf(picpipe.ECodeNotFound, "no such upload grant")},
	{db.ErrGrantSpent, picpipe.Errorf(picpipe.ECodeInvalidRequest, "the upload grant was already used")},
	{db.ErrQuotaExceeded, picpipe.Errorf(picpipe.ECodeQuotaExceeded,
		"quota exceeded: the account's plan has no room left for this; delete images or files to free quota")},
	{db.ErrTooManyKeys, picpipe.Errorf(picpipe.ECodeQuotaExceeded,
		"the account has as many API keys as it may; revoke one (a revoked key counts until a day after it was made)")},
	{db.ErrWebhookNotFound, picpipe.Errorf(picpipe.ECodeNotFound, "no such webhook endpoint")},
	{db.ErrDeliveryNotFound, picpipe.Errorf(picpipe.ECodeNotFound, "no such delivery of this webhook endpoint")},
	{db.ErrEventNotFound, picpipe.Errorf(picpipe.ECodeNotFound, "the event of this delivery is gone (events are kept 30 days)")},
	{db.ErrTooManyWebhooks, picpipe.Errorf(picpipe.ECodeQuotaExceeded,
		"the account has as many webhook endpoints as it may; delete one")},
}

// coded returns err as the client sees it: as it is when it carries a
// code (or is nobody's but the server's), the code of storeErrors when it
// is one of the store's sentinels.
func coded(err error) error {
	var pe *picpipe.Error
	if err == nil || errors.As(err, &pe) {
		return err
	}
	for _, s := range storeErrors {
		if errors.Is(err, s.sentinel) {
			return s.coded
		}
	}
	return err
}

// errorResponse is the status and error body of err, for fail and for the
// answers that add to the body. It logs the server's failures (5xx), and
// sets Retry-After on 429 and 503 when the handler has not, but for
// quota_exceeded, which time does not cure. The body holds only the
// code's message: never the text of an internal error, a path, an errno
// or a driver's words.
func errorResponse(c *gin.Context, err error) (int, errorDetail) {
	err = coded(err)
	if slow := bodyTooSlow(c); slow != nil {
		err = slow // whatever the reader made of the cut body, that was the cause
	}
	code := picpipe.ErrorCode(err)
	status := statusOfCode(code)
	if status >= http.StatusInternalServerError {
		slog.ErrorContext(c.Request.Context(), "internal error", "code", code,
			"err", err, "request_id", requestID(c), "path", c.Request.URL.Path)
	}
	if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) &&
		c.Writer.Header().Get("Retry-After") == "" {
		wait, ok := retryAfterOf[code]
		if !ok {
			wait = retryAfter
		}
		if wait > 0 {
			c.Header("Retry-After", strconv.Itoa(int(wait.Seconds())))
		}
	}
	if code == picpipe.ECodeRequestTimeout {
		c.Header("Connection", "close") // what is left of the body is not worth waiting for
	}
	if status == http.StatusUnauthorized && c.Writer.Header().Get("WWW-Authenticate") == "" {
		c.Header("WWW-Authenticate", `Bearer realm="picpipe"`)
	}
	return status, errorDetail{Code: code, Message: picpipe.ErrorMessage(err), RequestID: requestID(c)}
}

// failCode is fail with a new *picpipe.Error.
func failCode(c *gin.Context, code, format string, args ...any) {
	fail(c, picpipe.Errorf(code, format, args...))
}
