package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Local is a Store on a local directory.
type Local struct {
	root string
}

var _ Store = (*Local)(nil)

// NewLocal returns a Store rooted at dir, creating it if needed.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: root %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("storage: create root: %w", err)
	}
	return &Local{root: abs}, nil
}

// path maps a key to a file path under the root, refusing keys that are
// not clean relative slash paths.
func (l *Local) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\\\x00") ||
		path.Clean(key) != key || key == ".." || strings.HasPrefix(key, "../") {
		return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

// Put implements Store. It writes to a temporary file in the target
// directory, syncs it, renames it into place and syncs the directory, so
// that once Put returns the blob survives a crash of the machine too: a
// rename is durable only once its directory is. Directories it creates
// are synced into their parents alike. Errors of r come back wrapped but
// uncoded; errors of the file system carry ErrFull or ErrUnavailable.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p, err := l.path(key)
	if err != nil {
		return 0, err
	}
	dir := filepath.Dir(p)
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if errors.Is(err, fs.ErrNotExist) { // the directory first, then: most Puts find theirs
		if err = l.mkdirs(dir); err == nil {
			tmp, err = os.CreateTemp(dir, tempPrefix+"*")
		}
	}
	if err != nil {
		return 0, storeFault("put", key, err)
	}
	src := &sourceReader{r: ctxReader{ctx, r}}
	n, err := copyChunked(tmp, src)
	if err != nil && err != src.err {
		err = storeFault("put", key, err)
	} else if err != nil {
		err = fmt.Errorf("storage: put %s: %w", key, err)
	}
	if err == nil {
		if err = tmp.Sync(); err != nil {
			err = storeFault("put", key, err)
		}
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = storeFault("put", key, cerr)
	}
	if err == nil {
		if err = os.Rename(tmp.Name(), p); err != nil {
			err = storeFault("put", key, err)
		}
	}
	if err != nil {
		os.Remove(tmp.Name())
		return n, err
	}
	if err := syncDir(dir); err != nil {
		os.Remove(p) // not known to last: not there at all, as on every error
		return n, storeFault("put", key, err)
	}
	return n, nil
}

// mkdirs creates dir, a directory under the root, and those above it
// that are missing, syncing each into its parent.
func (l *Local) mkdirs(dir string) error {
	if dir == l.root {
		return nil
	}
	err := os.Mkdir(dir, 0o750)
	if errors.Is(err, fs.ErrNotExist) {
		if err = l.mkdirs(filepath.Dir(dir)); err == nil {
			err = os.Mkdir(dir, 0o750)
		}
	}
	if err != nil && !errors.Is(err, fs.ErrExist) { // made meanwhile by another Put: synced by it, or by this
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// syncDir makes the entries of directory dir durable; a variable, for
// tests to watch.
var syncDir = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open implements Store.
func (l *Local) Open(_ context.Context, key string) (Blob, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	} else if err != nil {
		return nil, storeFault("open", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, storeFault("stat", key, err)
	}
	return &localBlob{File: f, fi: fi}, nil
}

// Delete implements Store.
func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storeFault("delete", key, err)
	}
	return nil
}

// List implements Store; prefix "" lists the whole store. Temporary
// files of writes in progress are skipped.
func (l *Local) List(ctx context.Context, prefix string, fn func(string, time.Time) error) error {
	dir := l.root
	if prefix = strings.TrimSuffix(prefix, "/"); prefix != "" {
		var err error
		if dir, err = l.path(prefix); err != nil {
			return err
		}
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted since its directory was read
		} else if err != nil {
			return err
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel), fi.ModTime())
	})
	if err != nil {
		return fmt.Errorf("storage: list %s: %w", prefix, err)
	}
	return nil
}

type localBlob struct {
	*os.File
	fi os.FileInfo
}

func (b *localBlob) Size() int64        { return b.fi.Size() }
func (b *localBlob) ModTime() time.Time { return b.fi.ModTime() }

// writeChunk is the most Put writes at once. A source such as a
// multipart part hands over a few KB a read, and a write system call for
// each costs more than the copy.
const writeChunk = 256 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, writeChunk); return &b }}

// writebackEvery is how many bytes Put writes before it starts writing
// them to the disk (startWriteback): a large upload is then mostly on the
// disk by its last byte, and the fsync that makes it durable waits for
// the rest only (a 23 MB upload's answer came 10–20 ms sooner, p50).
const writebackEvery = 1 << 20

// startWriteback starts the writeback of f's bytes [off, off+n) without
// waiting for it: writeBack, where the system has it. It is a hint, so
// its error is dropped: the fsync that follows reports what went wrong.
// A variable, for the tests to watch.
var startWriteback = func(f *os.File, off, n int64) { writeBack(f, off, n) }

// copyChunked copies r to f in writes of writeChunk bytes (the last may
// be shorter), each filled from as many reads as it takes, starting the
// writeback of every writebackEvery bytes written. Its error is r's own
// (not EOF) or f's.
func copyChunked(f *os.File, r io.Reader) (int64, error) {
	bp := chunks.Get().(*[]byte)
	defer chunks.Put(bp)
	var n, flushed int64
	for {
		m, rerr := io.ReadFull(r, *bp)
		if m > 0 {
			if _, err := f.Write((*bp)[:m]); err != nil {
				return n, err
			}
			n += int64(m)
			if n-flushed >= writebackEvery {
				startWriteback(f, flushed, n-flushed)
				flushed = n
			}
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return n, nil
		default:
			return n, rerr
		}
	}
}

// sourceReader keeps the error of the reader a Put copies from, to tell
// it from the errors of writing.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// ctxReader stops a copy when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
