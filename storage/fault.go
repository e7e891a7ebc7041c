package storage

import "picpipe"

// Fault codes err, a failure of a back end's own medium (a disk, a
// server, the network to it) during op on key, with code, ErrFull or
// ErrUnavailable: the text names the cause for the logs, the chain holds
// the code that clients see. Back ends outside this package code their
// failures with it as Local does.
func Fault(code *picpipe.Error, op, key string, err error) error {
	return &fault{op: op, key: key, code: code, err: err}
}
