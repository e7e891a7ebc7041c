package fetch

import (
	"context"
	"errors"
	"io"
	"sync"

	"picpipe"
)

// cappedBody is a response body that fails with file_too_large as soon as
// more than max bytes arrive, whatever Content-Length said, and that maps
// transfer errors to permanent or transient ones. Close releases the
// connection and the request's context.
type cappedBody struct {
	rc     io.ReadCloser
	max    int64
	left   int64
	err    error
	cancel context.CancelFunc
	once   sync.Once
}

func newCappedBody(rc io.ReadCloser, max int64, cancel context.CancelFunc) *cappedBody {
	return &cappedBody{rc: rc, max: max, left: max, cancel: cancel}
}

// Read implements io.Reader.
func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte past the cap is enough to know
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), 0
		b.err = tooLarge(b.max)
		return n, b.err
	}
	b.left -= int64(n)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		b.err = io.EOF
	default:
		b.err = classify(err)
	}
	return n, b.err
}

// Close implements io.Closer. It is safe to call more than once.
func (b *cappedBody) Close() error {
	var err error
	b.once.Do(func() {
		err = b.rc.Close()
		b.cancel()
	})
	return err
}

func tooLarge(max int64) error {
	return picpipe.Errorf(picpipe.ECodeFileTooLarge, "the remote file is larger than the limit of %d bytes", max)
}
