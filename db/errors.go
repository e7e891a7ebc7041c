package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"picpipe"
)

// Coded failures of the database itself, as opposed to a refused query:
// one of them is in the chain of every error of a database that cannot
// be reached, does not answer, or has no room left, so that callers
// answer with its code and only log the driver's words.
var (
	// ErrUnavailable is the database out of reach: refused or broken
	// connections, timeouts, a server shutting down or out of
	// connections, SQLite busy past its timeout or failing I/O.
	ErrUnavailable = picpipe.Errorf(picpipe.ECodeUnavailable, "the database is unavailable; retry later")
	// ErrFull is the database out of disk space.
	ErrFull = picpipe.Errorf(picpipe.ECodeStorageFull, "the database is out of storage space; retry later")
)

// outage is a driver's error coded ErrUnavailable or ErrFull. Its text
// is the driver's; its chain holds both, so errors.Is(err,
// driver.ErrBadConn) still lets database/sql retry on a fresh connection.
type outage struct {
	code *picpipe.Error
	err  error
}

func (o *outage) Error() string   { return o.err.Error() }
func (o *outage) Unwrap() []error { return []error{o.code, o.err} }

// classify codes err, an error of the database driver, when it tells of
// an outage; any other error (a constraint, a bad query, the caller's
// cancellation) comes back as it is. database/sql's control values
// (driver.ErrSkip, driver.ErrRemoveArgument) are compared by identity
// and so always come back untouched.
func classify(err error) error {
	switch {
	case err == nil, err == driver.ErrSkip, err == driver.ErrRemoveArgument,
		errors.Is(err, context.Canceled):
		return err
	case outOfSpace(err):
		return &outage{code: ErrFull, err: err}
	case unreachable(err):
		return &outage{code: ErrUnavailable, err: err}
	}
	return err
}

// unreachableOnConnect codes err, the failure to open a connection: any
// such failure but the caller's cancellation is an outage.
func unreachableOnConnect(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	if c := classify(err); c != err {
		return c
	}
	return &outage{code: ErrUnavailable, err: err}
}

func outOfSpace(err error) bool {
	var pg *pgconn.PgError
	var lite *sqlite.Error
	switch {
	case errors.As(err, &pg):
		return pg.Code == "53100" // disk_full
	case errors.As(err, &lite):
		return lite.Code()&0xff == sqlite3.SQLITE_FULL
	}
	return false
}

// unreachable reports whether err says the database is out of reach or
// cannot serve: the network, the connection, the server's state, a
// deadline. A SQL error about the query itself is not.
func unreachable(err error) bool {
	var (
		ne   net.Error
		ce   *pgconn.ConnectError
		pg   *pgconn.PgError
		lite *sqlite.Error
	)
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &ne), errors.As(err, &ce), pgconn.Timeout(err):
		return true
	case errors.As(err, &pg):
		// 08: connection exception; 53: insufficient resources; 57P0x:
		// the server shutting down or starting; 58: system error (I/O).
		return strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "53") ||
			strings.HasPrefix(pg.Code, "57P0") || strings.HasPrefix(pg.Code, "58")
	case errors.As(err, &lite):
		switch lite.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL:
			return true
		}
	}
	return false
}
