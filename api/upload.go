package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/imaging/sniff"
	"picpipe/storage"
)

// multipartOverhead is what a multipart body may carry besides the file:
// boundaries, part headers and small option fields.
const multipartOverhead = 64 << 10

// staged is an upload written to the staging area.
type staged struct {
	Limit    int64 // the most bytes the file may have
	Key      string
	Name     string
	Size     int64
	SHA256   string
	Options  imageOptions
	hasBytes bool
}

// stageMultipart streams the multipart "file" part of the request into
// the store under key, sniffing its first bytes before anything is written
// and hashing it on the way. The other fields are options. The body is
// never held in memory whole. On any error nothing is left under key.
func (s *Server) stageMultipart(c *gin.Context, key string, limit int64) (_ *staged, err error) {
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if ct != "multipart/form-data" {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "send multipart/form-data with a file field")
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit+multipartOverhead)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed multipart body: %v", err)
	}
	ctx := c.Request.Context()
	st := &staged{Key: key, Limit: limit, Options: defaultOptions()}
	defer func() {
		if err != nil && st.hasBytes {
			s.store.Delete(context.WithoutCancel(ctx), key)
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, bodyError(err)
		}
		if err := s.stagePart(ctx, part, st); err != nil {
			return nil, err
		}
	}
	if !st.hasBytes {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "missing file field")
	}
	return st, nil
}

// stagePart handles one multipart part: the file or an option field.
func (s *Server) stagePart(ctx context.Context, part *multipart.Part, st *staged) error {
	defer part.Close()
	name := part.FormName()
	if name == "file" {
		if st.hasBytes {
			return picpipe.Errorf(picpipe.ECodeInvalidRequest, "send one file per request")
		}
		return s.stageFile(ctx, part, part.FileName(), st)
	}
	value, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return bodyError(err)
	}
	_, err = st.Options.set(name, string(value))
	return err
}

// stageFile stores one image stream under st.Key through an imageGate,
// refusing it whole when it is not an accepted image or exceeds the limit.
func (s *Server) stageFile(ctx context.Context, r io.Reader, filename string, st *staged) error {
	st.hasBytes = true
	n, sum, err := s.stageThrough(ctx, r, st.Key, st.Limit, s.imageGate(), filename)
	if err != nil {
		return err
	}
	st.Name, st.Size, st.SHA256 = sanitizeName(filename), n, sum
	return nil
}

// stageThrough streams r, the client's bytes, to the store under key
// through g: g checks the first bytes of a file named filename, watches
// the rest go by, and may refuse the whole at the end, when the blob is
// removed again.
func (s *Server) stageThrough(ctx context.Context, r io.Reader, key string, limit int64, g gate, filename string) (int64, string, error) {
	n, sum, err := s.stream(ctx, g.wrap(clientBody{r}), key, limit, func(h []byte) error {
		_, err := g.check(h, filename)
		return err
	})
	if err == nil {
		if err = g.done(); err != nil {
			s.store.Delete(context.WithoutCancel(ctx), key)
		}
	}
	return n, sum, err
}

// stream writes r to the store under key with storage.PutChecked,
// peeking sniff.HeaderSize bytes for check. r's errors are the client's
// (clientBody codes them); the store's come back coded by the store, or
// internal: a failure to write is never the client's.
func (s *Server) stream(ctx context.Context, r io.Reader, key string, limit int64, check func(header []byte) error) (int64, string, error) {
	n, sum, err := storage.PutChecked(ctx, s.store, key, r, limit, sniff.HeaderSize, check)
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = picpipe.Errorf(picpipe.ECodeInvalidRequest, "the request ended before its body was read")
	}
	return n, sum, err
}

// clientBody is the client's side of an upload: every error reading it
// (the request body, a multipart part, a decoded JSON string) is coded
// here, where it is known to be the client's, with bodyError.
type clientBody struct{ r io.Reader }

func (b clientBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = bodyError(err)
	}
	return n, err
}

// bodyError classifies an error reading the request body: payload_too_large
// past the body's limit, invalid_request otherwise. Coded errors (a gate's
// refusal, a malformed JSON string) pass as they are.
func bodyError(err error) error {
	if isTooLarge(err) {
		return picpipe.Errorf(picpipe.ECodePayloadTooLarge, "request body too large")
	}
	var pe *picpipe.Error
	if errors.As(err, &pe) {
		return err
	}
	return picpipe.Errorf(picpipe.ECodeInvalidRequest, "reading the request body: %v", err)
}
