package imaging

import (
	"fmt"

	"picpipe"
)

// VipsError is a failure reported by libvips. Its message is libvips's own
// and is meant for logs, never for clients. On its own it is an internal
// (retryable) error; a VipsError from reading or decoding the input is
// returned wrapped with a *picpipe.Error of code decode_failed instead.
type VipsError struct {
	Op      string // the imaging operation that failed, e.g. "thumbnail"
	Message string // the libvips error buffer
}

// Error implements the error interface.
func (e *VipsError) Error() string {
	return fmt.Sprintf("imaging: libvips %s: %s", e.Op, e.Message)
}

// decodeFailed marks err, a failure to read the input, as permanent:
// the result carries picpipe.ECodeDecodeFailed for the client and err for
// the logs.
func decodeFailed(err error) error {
	return fmt.Errorf("%w: %w", picpipe.Errorf(picpipe.ECodeDecodeFailed,
		"the image data is corrupt or truncated and could not be decoded"), err)
}

// unsupported returns a permanent unsupported_format error.
func unsupported(format string, args ...any) error {
	return picpipe.Errorf(picpipe.ECodeUnsupportedFormat, format, args...)
}

// tooManyPixels returns a permanent too_many_pixels error.
func tooManyPixels(format string, args ...any) error {
	return picpipe.Errorf(picpipe.ECodeTooManyPixels, format, args...)
}
