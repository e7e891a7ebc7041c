package intake

import (
	"context"
	"errors"
	"io"
	"net/http"

	"picpipe"
	"picpipe/imaging/sniff"
	"picpipe/storage"
)

// MultipartOverhead is what a multipart body may carry besides its files:
// boundaries, part headers and small fields.
const MultipartOverhead = 64 << 10

// BodyReadSize is the most of an upload's body read from its connection
// at once, through the buffer of its parser (multipart or JSON), whose
// own would read 4 KiB at a time: each read a system call and, should
// the socket be empty, a wait for the netpoller and then for a core,
// which under concurrent uploads cost more than the bytes did.
const BodyReadSize = 64 << 10

// Stager streams uploads into a store, the one way bytes come in.
type Stager struct {
	Store storage.Store
}

// Staged is an upload written to the store.
type Staged struct {
	Key    string
	Size   int64
	SHA256 string // hex
	MIME   string // what the gate found
}

// Stage streams r, the client's bytes, to the store under key through g:
// g checks the first sniff.HeaderSize bytes of a file named filename
// before anything is written, watches the rest go by, and may refuse the
// whole at the end. The bytes are hashed on the way; more than limit is
// file_too_large. On any error nothing is left under key. Errors reading
// r are the client's (invalid_request, payload_too_large); the store's
// come back coded by the store: a failure to write is never the client's.
func (s Stager) Stage(ctx context.Context, r io.Reader, key string, limit int64, g Gate, filename string) (Staged, error) {
	st := Staged{Key: key}
	var err error
	st.Size, st.SHA256, err = storage.PutChecked(ctx, s.Store, key, g.Wrap(ClientBody{r}), limit, sniff.HeaderSize,
		func(h []byte) (err error) {
			st.MIME, err = g.Check(h, filename)
			return err
		})
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = picpipe.Errorf(picpipe.ECodeInvalidRequest, "the request ended before its body was read")
	}
	if err == nil {
		if err = g.Done(); err != nil {
			s.Store.Delete(context.WithoutCancel(ctx), key)
		}
	}
	return st, err
}

// ClientBody is the client's side of an upload: every error reading it
// (the request body, a multipart part, a decoded JSON string) is coded
// here, where it is known to be the client's, with BodyError.
type ClientBody struct{ R io.Reader }

func (b ClientBody) Read(p []byte) (int, error) {
	n, err := b.R.Read(p)
	if err != nil && err != io.EOF {
		err = BodyError(err)
	}
	return n, err
}

// BodyError classifies an error reading the request body:
// payload_too_large past the body's limit (http.MaxBytesReader),
// invalid_request otherwise. Coded errors (a gate's refusal, a malformed
// JSON string) pass as they are.
func BodyError(err error) error {
	if IsTooLarge(err) {
		return picpipe.Errorf(picpipe.ECodePayloadTooLarge, "request body too large")
	}
	var pe *picpipe.Error
	if errors.As(err, &pe) {
		return err
	}
	return picpipe.Errorf(picpipe.ECodeInvalidRequest, "reading the request body: %v", err)
}

// IsTooLarge reports whether err comes from http.MaxBytesReader.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
