package api

import (
	"bufio"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/imaging/sniff"
	"picpipe/intake"
)

// staged is an image upload written to the staging area, with its
// processing options.
type staged struct {
	Limit    int64 // the most bytes the file may have
	Key      string
	Name     string
	Size     int64
	SHA256   string
	Options  imageOptions
	hasBytes bool
}

// imageGate is the gate image uploads pass, with the configured limits.
func (s *Server) imageGate() *intake.ImageGate {
	return intake.NewImageGate(s.cfg.MaxEdge, s.cfg.MaxPixels).WithMaxFrames(s.cfg.MaxFrames)
}

// fileGate is the gate general files pass on a way in admitting policy,
// with the configured limits on animations.
func (s *Server) fileGate(policy *sniff.Policy) *intake.FileGate {
	return &intake.FileGate{Policy: policy, MaxFrames: s.cfg.MaxFrames, MaxPixels: s.cfg.MaxPixels}
}

// multipartBody checks that the request is multipart/form-data, bounds
// its body to limit plus the multipart overhead, and returns its reader
// (which prints the parts for an Idempotency-Key, bodyPrint).
func multipartBody(c *gin.Context, limit int64, want string) (*partReader, error) {
	ct, params, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if ct != "multipart/form-data" {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "send multipart/form-data with %s", want)
	}
	setBodyLimit(c, limit+intake.MultipartOverhead)
	if params["boundary"] == "" {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed multipart body: no boundary in Content-Type")
	}
	mr := multipart.NewReader(bufio.NewReaderSize(c.Request.Body, intake.BodyReadSize), params["boundary"])
	if p := bodyPrintOf(c); p != nil {
		return p.parts(mr), nil
	}
	return &partReader{mr: mr}, nil
}

// stageMultipart streams the multipart "file" part of the request into
// the store under key, sniffing its first bytes before anything is written
// and hashing it on the way. The other fields are options. The body is
// never held in memory whole. On any error nothing is left under key.
func (s *Server) stageMultipart(c *gin.Context, key string, limit int64) (_ *staged, err error) {
	mr, err := multipartBody(c, limit, "a file field")
	if err != nil {
		return nil, err
	}
	ctx := stagingContext(c)
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
			return nil, intake.BodyError(err)
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
func (s *Server) stagePart(ctx context.Context, part *formPart, st *staged) error {
	defer part.Close()
	name := part.FormName()
	if name == "file" {
		if st.hasBytes {
			return picpipe.Errorf(picpipe.ECodeInvalidRequest, "send one file per request")
		}
		st.hasBytes = true
		got, err := s.stager.Stage(ctx, part, st.Key, st.Limit, s.imageGate(), part.FileName())
		if err != nil {
			return err
		}
		st.Name, st.Size, st.SHA256 = intake.SanitizeName(part.FileName()), got.Size, got.SHA256
		return nil
	}
	value, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return intake.BodyError(err)
	}
	_, err = st.Options.set(name, string(value))
	return err
}

// stageJSON reads a JSON upload body through g, the base64 or data URL
// of its field dataField staged under key (nameField names it), refusing
// at once a body whose length shows its data cannot fit limit.
func (s *Server) stageJSON(c *gin.Context, key string, limit int64, g intake.Gate, dataField, nameField string) (*intake.JSONSource, error) {
	maxBody := intake.JSONBodyLimit(limit)
	if c.Request.ContentLength > maxBody {
		return nil, picpipe.Errorf(picpipe.ECodeFileTooLarge,
			"the body's %d bytes cannot decode to at most %d bytes", c.Request.ContentLength, limit)
	}
	setBodyLimit(c, maxBody)
	return s.stager.StageJSON(stagingContext(c), c.Request.Body, key, limit, g, dataField, nameField)
}

// stagingContext is the context bytes are staged in: the request's,
// but for its cancellation. A client that goes away mid-body fails the
// body's reads; one that goes away once it has sent the whole body (a
// dropped connection before the answer) has its upload staged and
// recorded all the same, for its retry under an Idempotency-Key to find.
func stagingContext(c *gin.Context) context.Context {
	return context.WithoutCancel(c.Request.Context())
}
