package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned when a key has no blob.
var ErrNotFound = errors.New("storage: blob not found")

// ErrInvalidKey is returned for a key that is empty, absolute, or climbs
// out of the store with "..".
var ErrInvalidKey = errors.New("storage: invalid key")

// Blob is an open blob: readable, seekable (for HTTP Range) and sized.
type Blob interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// Store is the blob store the service runs on.
type Store interface {
	// Put streams r into key, replacing any blob there once r is fully
	// read. On error nothing is left under key. It returns the bytes written.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns the blob under key, or ErrNotFound.
	Open(ctx context.Context, key string) (Blob, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every key under prefix with its modification
	// time, in no particular order; fn's error stops the walk.
	List(ctx context.Context, prefix string, fn func(key string, mod time.Time) error) error
}
