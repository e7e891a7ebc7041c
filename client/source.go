package client

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
)

// Progress is called as an upload's bytes are sent: sent of total (total
// is -1 when a Source's size is unknown). Within one attempt sent only
// grows, and it reaches total when the last byte has been sent; a retried
// upload starts again from 0. It is called from the goroutine that writes
// the request body, so it must not block for long.
type Progress func(sent, total int64)

// Source is the bytes of one upload and the name they are sent under. It
// is streamed, never held in memory.
type Source struct {
	// Name is the file name sent with the bytes; its extension, if any,
	// must agree with them.
	Name string
	size int64
	open func() (io.ReadCloser, int64, error)
	// once is set for a Source that can be read only once; used records
	// that it was.
	once bool
	used atomic.Bool
}

// NewFileSource returns the file at path as a Source named after its base
// name. The file is opened anew for each attempt, so uploads of it are
// retried. It returns the error of os.Stat, or an error for a directory.
func NewFileSource(path string) (*Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("client: %s is not a regular file", path)
	}
	return &Source{Name: filepath.Base(path), size: fi.Size(), open: func() (io.ReadCloser, int64, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, fi.Size(), nil
	}}, nil
}

// NewSource returns a Source of size bytes (-1 when unknown) that open
// reads from the start each time it is called, so uploads of it are
// retried.
func NewSource(name string, size int64, open func() (io.ReadCloser, error)) *Source {
	return &Source{Name: name, size: size, open: func() (io.ReadCloser, int64, error) {
		rc, err := open()
		return rc, size, err
	}}
}

// NewReaderSource returns a Source that reads r once: its uploads are not
// retried. size is r's length, or -1 when unknown (the request is then
// sent chunked).
func NewReaderSource(name string, r io.Reader, size int64) *Source {
	return &Source{Name: name, size: size, once: true, open: func() (io.ReadCloser, int64, error) {
		return io.NopCloser(r), size, nil
	}}
}

// Size is the number of bytes the Source holds, or -1 when unknown.
func (s *Source) Size() int64 { return s.size }

// errSourceUsed is the error of a second read of a read-once Source.
var errSourceUsed = errors.New("client: the source was already read (a reader can be sent once; use NewFileSource or NewSource to retry)")

// reader opens the Source for one attempt: its bytes and its size, the
// bytes bounded by the size when it is known.
func (s *Source) reader() (io.ReadCloser, int64, error) {
	if s.once && s.used.Swap(true) {
		return nil, 0, errSourceUsed
	}
	rc, size, err := s.open()
	if err != nil {
		return nil, 0, err
	}
	if size < 0 {
		return rc, size, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, size), rc}, size, nil
}

// replayable reports whether every Source can be read again.
func replayable(srcs ...*Source) bool {
	for _, s := range srcs {
		if s.once {
			return false
		}
	}
	return true
}

// counter reports to fn the bytes written through it, of total.
type counter struct {
	w     io.Writer
	sent  *int64
	total int64
	fn    Progress
}

func (c counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.sent += int64(n)
	if c.fn != nil && n > 0 {
		c.fn(*c.sent, c.total)
	}
	return n, err
}
