package storage

import (
	"errors"
	"syscall"

	"picpipe"
)

// Coded failures of a store itself, as opposed to the reader it was
// given: one of them is in the chain of every such error, so that it
// answers with its code (storage_full, unavailable) and the real cause is
// only logged.
var (
	// ErrFull is a write refused for want of space (ENOSPC, EDQUOT).
	ErrFull = picpipe.Errorf(picpipe.ECodeStorageFull, "the server is out of storage space; retry later")
	// ErrUnavailable is any other failure of the store: an I/O error, a
	// read-only or vanished volume, refused permissions.
	ErrUnavailable = picpipe.Errorf(picpipe.ECodeUnavailable, "the blob store is unavailable; retry later")
)

// fault is a failure of the store's own medium during op on key: its
// text names the cause (for logs), its chain holds the code.
type fault struct {
	op, key string
	code    *picpipe.Error
	err     error
}

// storeFault codes err, an error of the store's file system during op on
// key.
func storeFault(op, key string, err error) error {
	code := ErrUnavailable
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		code = ErrFull
	}
	return &fault{op: op, key: key, code: code, err: err}
}

func (f *fault) Error() string   { return "storage: " + f.op + " " + f.key + ": " + f.err.Error() }
func (f *fault) Unwrap() []error { return []error{f.code, f.err} }
