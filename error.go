package picpipe

import (
	"errors"
	"fmt"
)

// Stable error codes. Clients branch on these, never on messages, so a code
// once published is never renamed. The HTTP status for each lives in one
// table in package api.
const (
	ECodeInvalidRequest       = "invalid_request"
	ECodeUnsupportedFormat    = "unsupported_format"
	ECodeFileTooLarge         = "file_too_large"
	ECodeUnauthorized         = "unauthorized"
	ECodeForbidden            = "forbidden"
	ECodeNotFound             = "not_found"
	ECodePayloadTooLarge      = "payload_too_large"
	ECodeDecodeFailed         = "decode_failed"
	ECodeTooManyPixels        = "too_many_pixels"
	ECodeRateLimited          = "rate_limited"
	ECodeQuotaExceeded        = "quota_exceeded"
	ECodeTranscodeUnavailable = "transcode_unavailable"
	ECodeFetchFailed          = "fetch_failed"
	// ECodeRequestTimeout is a request body that arrived too slowly: the
	// connection is closed.
	ECodeRequestTimeout = "request_timeout"
	// ECodeUnavailable is a database or blob store the service runs on
	// failing or out of reach: the server's trouble, worth a retry.
	ECodeUnavailable = "unavailable"
	// ECodeStorageFull is the server out of storage space (its blob disk
	// or its database's): the server's trouble, worth a later retry.
	ECodeStorageFull = "storage_full"
	// ECodeIdempotencyInProgress is a request sent with the
	// Idempotency-Key of one still running: retry once it has finished.
	ECodeIdempotencyInProgress = "idempotency_in_progress"
	// ECodeIdempotencyKeyReused is an Idempotency-Key sent again with
	// another request than the one it was first used with.
	ECodeIdempotencyKeyReused = "idempotency_key_reused"
	ECodeInternal             = "internal"
)

// Error is an error with a stable, client-facing code and a message that is
// safe to show to the client. Errors that are not *Error are internal: their
// text is logged, never shown.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("picpipe error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrEmptyFile is a file without a byte, however it came in (a multipart
// part, a JSON string, a presigned upload, a fetched body, a staged
// source): one condition, one code, whichever layer meets it first.
var ErrEmptyFile = &Error{Code: ECodeInvalidRequest, Message: "the file is empty"}

// ErrorCode returns the code of the first *Error in err's chain, ECodeInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return ECodeInternal
	}
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic text for internal errors, so that internals never leak to clients.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "internal error"
	}
}
