package api

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/api/compat"
	"picpipe/db"
	"picpipe/imaging/sniff"
	"picpipe/intake"
	"picpipe/jobs"
)

var _ compat.Core = (*Server)(nil)

// withDefaults fills in the limits and gate a spec leaves to the user's
// plan and the configuration.
func (s *Server) withDefaults(spec compat.FileSpec, user *db.User) compat.FileSpec {
	if plan := s.planOf(user).MaxUploadBytes; spec.Limit == 0 || (plan > 0 && plan < spec.Limit) {
		spec.Limit = plan
	}
	if spec.NameField == "" {
		spec.NameField = "filename"
	}
	if spec.RequestLimit == 0 {
		spec.RequestLimit = s.cfg.MaxRequestBytes
	}
	if spec.Policy == nil {
		spec.Policy = &sniff.FilesPolicy
	}
	return spec
}

// ReceiveFiles implements compat.Core: POST /v1/files's way in, for any
// mount.
func (s *Server) ReceiveFiles(c *gin.Context, spec compat.FileSpec) (*compat.FileResult, error) {
	user := userOf(c)
	spec = s.withDefaults(spec, user)
	res, err := s.stageFiles(c, user, spec)
	if err != nil {
		return nil, err
	}
	if err := bodyRead(c); err != nil {
		s.dropFiles(c.Request.Context(), res.Files)
		return nil, err
	}
	return s.commitFiles(c, user, spec, res)
}

// stageFiles reads a multipart body as spec says. A file refused on its
// own is an error entry; a request refused whole (a part too many, a body
// over the limit) leaves nothing.
func (s *Server) stageFiles(c *gin.Context, user *db.User, spec compat.FileSpec) (res *compat.FileResult, err error) {
	mr, err := multipartBody(c, spec.RequestLimit, "a "+spec.Fields[0]+" field")
	if err != nil {
		return nil, err
	}
	ctx := stagingContext(c)
	res = &compat.FileResult{Fields: map[string]string{}}
	defer func() {
		if err != nil {
			s.dropFiles(ctx, res.Files)
		}
	}()
	parts := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return res, intake.BodyError(err)
		}
		if err := s.stagePartOf(ctx, part, user, spec, res, &parts); err != nil {
			return res, err
		}
	}
	if parts == 0 {
		return res, picpipe.Errorf(picpipe.ECodeInvalidRequest, "missing %s field", spec.Fields[0])
	}
	return res, nil
}

// stagePartOf takes one part: a file, a kept field, or something else.
func (s *Server) stagePartOf(ctx context.Context, part *formPart, user *db.User, spec compat.FileSpec, res *compat.FileResult, parts *int) error {
	defer part.Close()
	name := part.FormName()
	switch {
	case slices.Contains(spec.Fields, name):
		if *parts++; *parts > spec.Max {
			return picpipe.Errorf(picpipe.ECodeInvalidRequest, "at most %d files per request", spec.Max)
		}
		f := s.newFile(user, part.FileName())
		counted := &countingReader{r: part}
		err := s.stageOneFile(ctx, counted, f, spec)
		if err == nil {
			res.Files = append(res.Files, f)
			return nil
		}
		if !perFile(err) {
			return err
		}
		fe := compat.FileError{Filename: f.Name, Code: picpipe.ErrorCode(err), Message: picpipe.ErrorMessage(err)}
		if fe.Code == picpipe.ECodeFileTooLarge {
			io.Copy(io.Discard, counted) // its whole size, for the answer
			fe.Size, fe.Limit = counted.n, spec.Limit
		}
		res.Errors = append(res.Errors, fe)
	case name == spec.ExpiryField || slices.Contains(spec.Keep, name):
		v, err := io.ReadAll(io.LimitReader(part, 1024))
		if err != nil {
			return intake.BodyError(err)
		}
		res.Fields[name] = string(v)
	}
	return nil
}

// stageOneFile streams r as the file f through spec's gate, filling in
// its type, size and hash.
func (s *Server) stageOneFile(ctx context.Context, r io.Reader, f *db.File, spec compat.FileSpec) error {
	g := s.fileGate(spec.Policy)
	got, err := s.stager.Stage(ctx, r, f.StorageKey, spec.Limit, g, f.Name)
	if err != nil {
		return err
	}
	f.MIME, f.Ext, f.Size, f.SHA256 = g.Type.MIME, g.Type.Ext, got.Size, got.SHA256
	f.Status = statusOfStored(g.Type)
	return nil
}

// commitFiles records staged files against the user's quota (a file that
// does not fit becomes an error and its blob goes), enqueues the cleaning
// of the images among them, and waits up to the request's preferred wait
// for them to be ready.
func (s *Server) commitFiles(c *gin.Context, user *db.User, spec compat.FileSpec, res *compat.FileResult) (*compat.FileResult, error) {
	ctx := c.Request.Context()
	expiry := spec.Expiry
	if v := res.Fields[spec.ExpiryField]; spec.ExpiryField != "" && v != "" {
		var err error
		if expiry, err = parseExpiry(v); err != nil {
			s.dropFiles(ctx, res.Files)
			return nil, err
		}
	}
	staged := res.Files
	res.Files = nil
	rctx := context.WithoutCancel(ctx) // a client gone now must not cut the recording in half
	for i, f := range staged {
		err := s.commitFile(rctx, user, f, spec, res.Fields, expiry)
		switch {
		case err == nil:
			res.Files = append(res.Files, f)
		case errors.Is(err, db.ErrQuotaExceeded): // this file only: the others may fit
			s.store.Delete(context.WithoutCancel(ctx), f.StorageKey)
			ce := coded(err)
			res.Errors = append(res.Errors, compat.FileError{Filename: f.Name, Code: picpipe.ErrorCode(ce), Message: picpipe.ErrorMessage(ce)})
		default:
			s.dropFiles(ctx, staged[i:])
			return nil, err
		}
	}
	s.awaitFiles(ctx, res.Files, s.fileWait(c))
	return res, nil
}

// commitFile records one staged file.
func (s *Server) commitFile(ctx context.Context, user *db.User, f *db.File, spec compat.FileSpec, fields map[string]string, expiry time.Duration) error {
	if expiry > 0 {
		at := f.CreatedAt + int64(expiry.Seconds())
		f.ExpiresAt = &at
	}
	if spec.Prepare != nil {
		if err := spec.Prepare(f, fields); err != nil {
			return err
		}
	}
	replaced, err := s.db.InsertFile(ctx, f, db.Quota{MaxStorageBytes: quota(s.planOf(user)).MaxStorageBytes})
	if err != nil {
		return err
	}
	if replaced != nil && replaced.StorageKey != "" {
		s.store.Delete(context.WithoutCancel(ctx), replaced.StorageKey) // the purge collects it otherwise
	}
	s.enqueueClean(ctx, f)
	return nil
}

// dropFiles removes the blobs of files staged but not recorded.
func (s *Server) dropFiles(ctx context.Context, files []*db.File) {
	for _, f := range files {
		s.store.Delete(context.WithoutCancel(ctx), f.StorageKey)
	}
}

// ReceiveJSONFile implements compat.Core.
func (s *Server) ReceiveJSONFile(c *gin.Context, spec compat.FileSpec) (*compat.FileResult, error) {
	user := userOf(c)
	spec = s.withDefaults(spec, user)
	f := s.newFile(user, "")
	src, err := s.stageJSON(c, f.StorageKey, spec.Limit, s.fileGate(spec.Policy), spec.Fields[0], spec.NameField)
	if err != nil {
		return nil, err
	}
	if err := bodyRead(c); err != nil {
		if src.HasData {
			s.dropFiles(c.Request.Context(), []*db.File{f})
		}
		return nil, err
	}
	res := &compat.FileResult{Fields: src.Fields}
	which, err := src.OneSource(spec.Instead...)
	if err != nil || which != "data" {
		if src.HasData {
			s.dropFiles(c.Request.Context(), []*db.File{f})
		}
		return res, err
	}
	t, _ := sniff.FileTypeOf(src.Staged.MIME)
	f.Name, f.MIME, f.Ext = intake.SanitizeName(src.Fields[spec.NameField]), t.MIME, t.Ext
	f.Size, f.SHA256, f.Status = src.Staged.Size, src.Staged.SHA256, statusOfStored(t)
	res.Files = []*db.File{f}
	return s.commitFiles(c, user, spec, res)
}

// FetchFile implements compat.Core.
func (s *Server) FetchFile(c *gin.Context, rawURL string, spec compat.FileSpec) (*db.File, error) {
	user := userOf(c)
	spec = s.withDefaults(spec, user)
	ctx := c.Request.Context()
	if err := intake.CheckURL(rawURL); err != nil {
		return nil, err
	}
	f := s.newFile(user, "")
	f.Status, f.SourceURL, f.Policy = db.StatusQueued, rawURL, spec.Policy.Name()
	if spec.Expiry > 0 {
		at := f.CreatedAt + int64(spec.Expiry.Seconds())
		f.ExpiresAt = &at
	}
	if spec.Prepare != nil {
		if err := spec.Prepare(f, nil); err != nil {
			return nil, err
		}
	}
	rctx := context.WithoutCancel(ctx) // a client gone now must not cut the recording in half
	if _, err := s.db.InsertFile(rctx, f, db.Quota{}); err != nil {
		return nil, err
	}
	markCommitted(c)
	wait := s.fileWait(c)
	task, err := jobs.NewIngestURLTask(jobs.IngestFor(jobs.IngestFile, f.ID, s.planOf(user), wait > 0))
	if err == nil {
		err = s.enqueue(rctx, task)
	}
	if err != nil {
		s.db.RemoveFile(context.WithoutCancel(ctx), f)
		return nil, err
	}
	files := []*db.File{f}
	s.awaitFiles(ctx, files, wait)
	return files[0], nil
}

// FileURL implements compat.Core.
func (s *Server) FileURL(c *gin.Context, f *db.File) string {
	return s.baseURL(c) + "/f/" + f.UserID + "/" + f.ID + f.Ext
}

// Fail implements compat.Core.
func (s *Server) Fail(c *gin.Context, err error) { fail(c, err) }

// Status implements compat.Core.
func (s *Server) Status(code string) int { return statusOfCode(code) }

// Guard implements compat.Core.
func (s *Server) Guard(agents bool) []gin.HandlerFunc {
	auth := s.authenticate
	if agents {
		auth = s.authenticateAgent
	}
	return []gin.HandlerFunc{auth, requireScope(db.ScopeUpload), s.idempotent, s.limitUploads, s.checkQuota(false)}
}

// ControlBody implements compat.Core.
func (s *Server) ControlBody() gin.HandlerFunc { return controlBody }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
