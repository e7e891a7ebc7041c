package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"picpipe"
)

// Code is one of picpipe's stable error codes. Branch on codes, never on
// messages. A Code is also an error, so that errors.Is(err, CodeNotFound)
// reports whether err is an *Error with that code.
type Code string

// Error implements the error interface.
func (c Code) Error() string { return string(c) }

// The stable error codes, as the server's package picpipe defines them
// (its error.go is their one owner; these are the same values, typed).
const (
	CodeInvalidRequest        = Code(picpipe.ECodeInvalidRequest)
	CodeUnsupportedFormat     = Code(picpipe.ECodeUnsupportedFormat)
	CodeFileTooLarge          = Code(picpipe.ECodeFileTooLarge)
	CodeUnauthorized          = Code(picpipe.ECodeUnauthorized)
	CodeForbidden             = Code(picpipe.ECodeForbidden)
	CodeNotFound              = Code(picpipe.ECodeNotFound)
	CodeRequestTimeout        = Code(picpipe.ECodeRequestTimeout)
	CodePayloadTooLarge       = Code(picpipe.ECodePayloadTooLarge)
	CodeDecodeFailed          = Code(picpipe.ECodeDecodeFailed)
	CodeTooManyPixels         = Code(picpipe.ECodeTooManyPixels)
	CodeFetchFailed           = Code(picpipe.ECodeFetchFailed)
	CodeRateLimited           = Code(picpipe.ECodeRateLimited)
	CodeQuotaExceeded         = Code(picpipe.ECodeQuotaExceeded)
	CodeTranscodeUnavailable  = Code(picpipe.ECodeTranscodeUnavailable)
	CodeUnavailable           = Code(picpipe.ECodeUnavailable)
	CodeStorageFull           = Code(picpipe.ECodeStorageFull)
	CodeIdempotencyInProgress = Code(picpipe.ECodeIdempotencyInProgress)
	CodeIdempotencyKeyReused  = Code(picpipe.ECodeIdempotencyKeyReused)
	CodeInternal              = Code(picpipe.ECodeInternal)
)

// Error is an error answer of the API, or the failure of an image or file
// that ended failed (then Status is 0).
type Error struct {
	// Code is the stable code; "" when the answer carried no picpipe error
	// body (a proxy's page, a bucket's XML).
	Code Code
	// Status is the HTTP status, 0 for an image's or file's own failure.
	Status int
	// Message is for people; it may change.
	Message string
	// RequestID is the answer's X-Request-Id, to quote to an operator.
	RequestID string
	// RetryAfter is the answer's Retry-After, 0 when it had none.
	RetryAfter time.Duration
	// FileErrors lists every refused file of a POST /v1/files that kept
	// none.
	FileErrors []FileError
	// body is the start of the answer's body, for answers whose error
	// is not the error body (GET /readyz).
	body []byte
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("picpipe: ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, "%s: ", e.Code)
	}
	b.WriteString(e.Message)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// Is reports whether target is e's Code, for errors.Is(err, CodeNotFound).
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// ErrorCode returns the Code of the first *Error in err's chain, or ""
// when there is none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// errorBody is the API's error body; errors is there on POST /v1/files.
type errorBody struct {
	Error struct {
		Code      Code   `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
	Errors []FileError `json:"errors"`
}

// newError returns the *Error of an answer with status >= 400 and its
// body, read by the caller (at most a bounded prefix).
func newError(res *http.Response, body []byte) *Error {
	e := &Error{Status: res.StatusCode, RequestID: res.Header.Get("X-Request-Id"),
		RetryAfter: parseRetryAfter(res.Header.Get("Retry-After"), time.Now()), body: body}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil && eb.Error.Code != "" {
		e.Code, e.Message, e.FileErrors = eb.Error.Code, eb.Error.Message, eb.Errors
		if eb.Error.RequestID != "" {
			e.RequestID = eb.Error.RequestID
		}
		return e
	}
	e.Message = http.StatusText(res.StatusCode)
	if s := strings.TrimSpace(string(body)); s != "" {
		e.Message += ": " + truncate(s, 200)
	}
	return e
}

// parseRetryAfter reads a Retry-After header, delay-seconds or an
// HTTP-date, as a duration from now; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
