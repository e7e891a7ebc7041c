package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"

	"picpipe/storage"
)

// Open implements storage.Store. It asks for the blob's size and time
// (a HEAD) and reads nothing yet: each Read after a Seek, and each
// ReadAt, is a ranged GET of the version that HEAD saw, so that a blob
// replaced meanwhile fails (storage.ErrUnavailable) rather than mixing
// two versions. Reads run under ctx.
func (s *Store) Open(ctx context.Context, key string) (storage.Blob, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		return nil, s.fail(ctx, "open", key, err)
	}
	return &blob{ctx: ctx, s: s, key: key, size: info.Size, mod: info.LastModified, etag: info.ETag}, nil
}

// blob is an open object: a position, and the body of the GET that
// reads from there, if one is open.
type blob struct {
	ctx  context.Context
	s    *Store
	key  string
	size int64
	mod  time.Time
	etag string
	off  int64
	body io.ReadCloser
}

var _ io.ReaderAt = (*blob)(nil)

func (b *blob) Size() int64        { return b.size }
func (b *blob) ModTime() time.Time { return b.mod }

// Read reads on from the position, opening a GET of the rest of the
// blob when none is open.
func (b *blob) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	if b.body == nil {
		body, err := b.get(b.off, b.size-1)
		if err != nil {
			return 0, err
		}
		b.body = body
	}
	n, err := b.body.Read(p)
	b.off += int64(n)
	switch {
	case err == io.EOF && b.off < b.size:
		err = io.ErrUnexpectedEOF
	case err == io.EOF:
		return n, io.EOF
	}
	if err != nil {
		b.closeBody()
		return n, b.s.fail(b.ctx, "read", b.key, err)
	}
	return n, nil
}

// Seek implements io.Seeker; it moves the position, and closes the open
// GET if the position changed.
func (b *blob) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += b.off
	case io.SeekEnd:
		offset += b.size
	case io.SeekStart:
	default:
		return b.off, fmt.Errorf("storage: seek %s: bad whence %d", b.key, whence)
	}
	if offset < 0 {
		return b.off, fmt.Errorf("storage: seek %s: negative position %d", b.key, offset)
	}
	if offset != b.off {
		b.closeBody()
		b.off = offset
	}
	return offset, nil
}

// ReadAt implements io.ReaderAt with one ranged GET; it leaves the
// position alone.
func (b *blob) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("storage: read %s: negative offset %d", b.key, off)
	}
	if off >= b.size || len(p) == 0 {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), b.size)
	body, err := b.get(off, end-1)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	n, err := io.ReadFull(body, p[:end-off])
	if err != nil {
		return n, b.s.fail(b.ctx, "read", b.key, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// get opens a GET of bytes from..to, inclusive, of the version Open saw.
func (b *blob) get(from, to int64) (io.ReadCloser, error) {
	var opts minio.GetObjectOptions
	if err := opts.SetRange(from, to); err != nil {
		return nil, fmt.Errorf("storage: read %s: %w", b.key, err)
	}
	if b.etag != "" {
		opts.SetMatchETag(b.etag)
	}
	body, _, _, err := b.s.core.GetObject(b.ctx, b.s.bucket, b.s.object(b.key), opts)
	if minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed {
		err = errors.Join(errReplaced, err)
	}
	if err != nil {
		return nil, b.s.fail(b.ctx, "read", b.key, err)
	}
	return body, nil
}

// errReplaced is why a read of a blob replaced since Open fails.
var errReplaced = errors.New("the blob was replaced since it was opened")

func (b *blob) closeBody() {
	if b.body != nil {
		b.body.Close()
		b.body = nil
	}
}

// Close implements io.Closer.
func (b *blob) Close() error {
	b.closeBody()
	return nil
}
