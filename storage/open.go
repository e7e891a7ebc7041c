package storage

import (
	"context"
	"fmt"
	"net/url"
	"sync"
)

// An Opener opens the Store a URL of its scheme names.
type Opener func(ctx context.Context, u *url.URL) (Store, error)

var openers = struct {
	sync.RWMutex
	m map[string]Opener
}{m: map[string]Opener{"file": openFile}}

// Register makes a back end available to Open under scheme. A back end's
// package calls it from init, so that a program links it in with a blank
// import:
//
//	import _ "picpipe/storage/s3store" // s3://
//
// It panics when scheme is taken or fn is nil.
func Register(scheme string, fn Opener) {
	openers.Lock()
	defer openers.Unlock()
	if _, dup := openers.m[scheme]; dup || fn == nil {
		panic("storage: Register " + scheme + " twice or with a nil Opener")
	}
	openers.m[scheme] = fn
}

// Open returns the Store rawURL names: "file:///srv/blobs" is the local
// directory /srv/blobs (NewLocal); other schemes, such as "s3://bucket?…",
// are the back ends registered for them. It returns an error for a URL
// that does not parse or whose scheme has no back end, and the errors of
// the back end's opener. Errors show the URL without its password.
func Open(ctx context.Context, rawURL string) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("storage: the store URL does not parse (want file:///dir or s3://bucket?…)")
	}
	openers.RLock()
	fn := openers.m[u.Scheme]
	openers.RUnlock()
	if fn == nil {
		return nil, fmt.Errorf("storage: %s: no back end for scheme %q (want file:///dir or s3://bucket?…)", u.Redacted(), u.Scheme)
	}
	return fn(ctx, u)
}

// openFile opens "file:///dir" (or "file://localhost/dir") as a Local.
func openFile(_ context.Context, u *url.URL) (Store, error) {
	if (u.Host != "" && u.Host != "localhost") || u.Path == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("storage: %s: want file:///absolute/dir", u.Redacted())
	}
	return NewLocal(u.Path)
}
