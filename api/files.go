package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
	"picpipe/imaging/sniff"
	"picpipe/intake"
	"picpipe/jobs"
)

const (
	// maxFilesPerRequest bounds the files parts of one POST /v1/files.
	maxFilesPerRequest = 5
	// minExpiry and maxExpiry bound expires_in.
	minExpiry = time.Minute
	maxExpiry = 30 * 24 * time.Hour
)

// fileJSON is the File resource.
type fileJSON struct {
	ID        string        `json:"id"`
	Object    string        `json:"object"`
	Status    string        `json:"status"`
	URL       *string       `json:"url"`
	Filename  string        `json:"filename"`
	MIMEType  string        `json:"mime_type"`
	Size      int64         `json:"size"`
	IsImage   bool          `json:"is_image"`
	SHA256    string        `json:"sha256"`
	ExpiresAt *int64        `json:"expires_at"`
	CreatedAt int64         `json:"created_at"`
	Error     *errorMessage `json:"error,omitempty"`
}

func (s *Server) fileView(c *gin.Context, f *db.File) fileJSON {
	v := fileJSON{ID: f.ID, Object: "file", Status: f.Status, Filename: f.Name, MIMEType: f.MIME,
		Size: f.Size, SHA256: f.SHA256, ExpiresAt: f.ExpiresAt, CreatedAt: f.CreatedAt,
		IsImage: f.Status == db.StatusReady && isImageMIME(f.MIME)}
	switch f.Status {
	case db.StatusReady:
		u := s.baseURL(c) + "/f/" + f.UserID + "/" + f.ID + f.Ext
		v.URL = &u
	case db.StatusFailed:
		v.Error = &errorMessage{Code: f.ErrorCode, Message: f.ErrorMessage}
	}
	return v
}

func isImageMIME(m string) bool {
	t, _ := sniff.FileTypeOf(m)
	return t.Image
}

// fileError is one refused file of a multi-file upload.
type fileError struct {
	Filename string `json:"filename"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// parseExpiry reads expires_in: whole seconds or a Go duration ("72h").
func parseExpiry(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.Atoi(v); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < minExpiry || d > maxExpiry {
		return 0, picpipe.Errorf(picpipe.ECodeInvalidRequest,
			"expires_in must be seconds (or a duration like 72h) from %d to %d", int(minExpiry.Seconds()), int(maxExpiry.Seconds()))
	}
	return d, nil
}

// newFile returns the row of a file about to be staged.
func (s *Server) newFile(user *db.User, name string) *db.File {
	now := s.now().Unix()
	f := &db.File{ID: db.NewID(db.PrefixFile), UserID: user.ID, Status: db.StatusReady,
		Name: intake.SanitizeName(name), CreatedAt: now, UpdatedAt: now}
	f.StorageKey = "files/" + user.ID + "/" + f.ID
	return f
}

// stageOneFile streams r as the file f, filling in its type, size and hash.
func (s *Server) stageOneFile(ctx context.Context, r io.Reader, f *db.File, limit int64) error {
	g := &intake.FileGate{}
	got, err := s.stager.Stage(ctx, r, f.StorageKey, limit, g, f.Name)
	if err != nil {
		return err
	}
	f.MIME, f.Ext, f.Size, f.SHA256 = g.Type.MIME, g.Type.Ext, got.Size, got.SHA256
	f.Status = statusOfStored(g.Type)
	return nil
}

// statusOfStored is the status a file stored as it is starts in: an
// image is processing until its metadata is removed, anything else is
// ready at once.
func statusOfStored(t sniff.FileType) string {
	if t.Image {
		return db.StatusProcessing
	}
	return db.StatusReady
}

// commitFiles records staged files against the user's quota; a file that
// does not fit becomes an error and its blob goes. The images among them
// get their file:clean task, and commitFiles waits up to the request's
// preferred wait for them to be clean.
func (s *Server) commitFiles(ctx context.Context, user *db.User, files []*db.File, expiry time.Duration) ([]*db.File, []fileError, error) {
	var done []*db.File
	var errs []fileError
	q := quota(s.planOf(user))
	for i, f := range files {
		if expiry > 0 {
			at := f.CreatedAt + int64(expiry.Seconds())
			f.ExpiresAt = &at
		}
		err := s.db.InsertFile(ctx, f, db.Quota{MaxStorageBytes: q.MaxStorageBytes})
		switch {
		case err == nil:
			s.enqueueClean(ctx, f)
			done = append(done, f)
		case errors.Is(err, db.ErrQuotaExceeded):
			s.store.Delete(context.WithoutCancel(ctx), f.StorageKey)
			errs = append(errs, fileError{f.Name, picpipe.ECodeQuotaExceeded, "the file does not fit the storage quota"})
		default:
			for _, rest := range files[i:] {
				s.store.Delete(context.WithoutCancel(ctx), rest.StorageKey)
			}
			return done, errs, err
		}
	}
	return done, errs, nil
}

// enqueueClean queues the file:clean task of a file that needs one. A
// task lost here only delays the file: reconcile enqueues it again.
func (s *Server) enqueueClean(ctx context.Context, f *db.File) {
	if f.Status != db.StatusProcessing {
		return
	}
	task, err := jobs.NewFileCleanTask(f.ID, true)
	if err == nil {
		err = s.enqueue(ctx, task)
	}
	if err != nil {
		slog.WarnContext(ctx, "enqueue file clean; reconcile will", "file_id", f.ID, "err", err)
	}
}

// awaitFiles waits up to d, in all, for files to be final, and returns
// their latest state.
func (s *Server) awaitFiles(ctx context.Context, files []*db.File, d time.Duration) {
	deadline := time.Now().Add(d)
	for i, f := range files {
		s.awaitDone(ctx, f.ID, time.Until(deadline), func() bool {
			if fresh, err := s.db.FileForWork(ctx, f.ID); err == nil {
				files[i] = fresh
			}
			return files[i].Status == db.StatusReady || files[i].Status == db.StatusFailed
		})
	}
}

// respondFiles answers a multi-file upload: 201 with uploaded and errors
// when any file was kept, otherwise the first refusal as the error, with
// every refusal listed in errors.
func (s *Server) respondFiles(c *gin.Context, done []*db.File, errs []fileError) {
	if errs == nil {
		errs = []fileError{}
	}
	if len(done) == 0 {
		status, detail := errorResponse(c, picpipe.Errorf(errs[0].Code, "no file was accepted: %s", errs[0].Message))
		c.AbortWithStatusJSON(status, gin.H{"error": detail, "errors": errs})
		return
	}
	uploaded := make([]fileJSON, len(done))
	for i, f := range done {
		uploaded[i] = s.fileView(c, f)
	}
	c.JSON(http.StatusCreated, gin.H{"object": "list", "uploaded": uploaded, "errors": errs})
}

// createFiles is POST /v1/files: multipart "files" parts (up to 5), each
// checked and kept or refused on its own, or JSON (data or url).
func (s *Server) createFiles(c *gin.Context) {
	if ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); ct == "application/json" {
		s.createFileFromJSON(c)
		return
	}
	user := userOf(c)
	files, errs, expiry, err := s.stageFiles(c, user)
	if err != nil {
		fail(c, err)
		return
	}
	done, moreErrs, err := s.commitFiles(c.Request.Context(), user, files, expiry)
	if err != nil {
		fail(c, err)
		return
	}
	s.awaitFiles(c.Request.Context(), done, s.fileWait(c))
	s.respondFiles(c, done, append(errs, moreErrs...))
}

// stageFiles reads a multipart body of files parts and an optional
// expires_in. A file refused on its own is an error entry; a request
// refused whole (a sixth part, a body over the limit) leaves nothing.
func (s *Server) stageFiles(c *gin.Context, user *db.User) (files []*db.File, errs []fileError, expiry time.Duration, err error) {
	mr, err := multipartBody(c, s.cfg.MaxRequestBytes, "files fields, or JSON")
	if err != nil {
		return nil, nil, 0, err
	}
	ctx := c.Request.Context()
	defer func() {
		if err != nil {
			for _, f := range files {
				s.store.Delete(context.WithoutCancel(ctx), f.StorageKey)
			}
		}
	}()
	limit := s.planOf(user).MaxUploadBytes
	parts := 0
	for {
		part, perr := mr.NextPart()
		if errors.Is(perr, io.EOF) {
			break
		} else if perr != nil {
			return files, nil, 0, intake.BodyError(perr)
		}
		switch part.FormName() {
		case "files", "file":
			if parts++; parts > maxFilesPerRequest {
				return files, nil, 0, picpipe.Errorf(picpipe.ECodeInvalidRequest, "at most %d files per request", maxFilesPerRequest)
			}
			f := s.newFile(user, part.FileName())
			if serr := s.stageOneFile(ctx, part, f, limit); serr != nil {
				if !perFile(serr) {
					return files, nil, 0, serr
				}
				errs = append(errs, fileError{f.Name, picpipe.ErrorCode(serr), picpipe.ErrorMessage(serr)})
				continue
			}
			files = append(files, f)
		case "expires_in":
			v, _ := io.ReadAll(io.LimitReader(part, 64))
			if expiry, err = parseExpiry(string(v)); err != nil {
				return files, nil, 0, err
			}
		}
		part.Close()
	}
	if parts == 0 {
		return nil, nil, 0, picpipe.Errorf(picpipe.ECodeInvalidRequest, "missing files field")
	}
	return files, errs, expiry, nil
}

// perFile reports whether err refuses one file only; other errors
// (a body over the request limit, a broken stream, internal errors)
// refuse the whole request.
func perFile(err error) bool {
	switch picpipe.ErrorCode(err) {
	case picpipe.ECodeUnsupportedFormat, picpipe.ECodeFileTooLarge, picpipe.ECodeInvalidRequest:
		return !intake.IsTooLarge(err)
	}
	return false
}

// fileWait is how long a files upload waits for its images to be
// clean: as Prefer asks, the default otherwise. Cleaning takes
// milliseconds; the wait only shows in the answer when the queue is
// backed up.
func (s *Server) fileWait(c *gin.Context) time.Duration {
	wait, applied := preferredWait(c.GetHeader("Prefer"), s.cfg.DefaultWait, s.cfg.MaxWait)
	if applied != "" {
		c.Header("Preference-Applied", applied)
	}
	return wait
}

// getFile is GET /v1/files/:id.
func (s *Server) getFile(c *gin.Context) {
	f, err := s.db.FileByID(c.Request.Context(), userOf(c).ID, c.Param("id"), s.now().Unix())
	if err != nil {
		fail(c, storeError(err))
		return
	}
	c.JSON(http.StatusOK, s.fileView(c, f))
}

// listFiles is GET /v1/files?limit=&cursor=, newest first.
func (s *Server) listFiles(c *gin.Context) {
	limit, ok := pageLimit(c)
	if !ok {
		return
	}
	files, err := s.db.ListFiles(c.Request.Context(), userOf(c).ID, c.Query("cursor"), limit+1, s.now().Unix())
	if err != nil {
		fail(c, err)
		return
	}
	respondPage(c, files, limit, func(f *db.File) (string, fileJSON) { return f.ID, s.fileView(c, f) })
}

// deleteFile is DELETE /v1/files/:id: the link stops working at once.
func (s *Server) deleteFile(c *gin.Context) {
	if err := s.db.DeleteFile(c.Request.Context(), userOf(c).ID, c.Param("id"), s.now().Unix()); err != nil {
		fail(c, storeError(err))
		return
	}
	c.Status(http.StatusNoContent)
}

// createFileFromJSON is POST /v1/files with JSON: {"data": base64 or data
// URL, "filename", "expires_in"} stores one file at once; {"url",
// "expires_in"} fetches it in an ingest:url task (202, or wait as Prefer
// says).
func (s *Server) createFileFromJSON(c *gin.Context) {
	user := userOf(c)
	f := s.newFile(user, "")
	src, err := s.stageJSON(c, f.StorageKey, s.planOf(user).MaxUploadBytes, &intake.FileGate{})
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	which, err := src.OneSource("url")
	var expiry time.Duration
	if v := src.Fields["expires_in"]; err == nil && v != "" {
		expiry, err = parseExpiry(v)
	}
	if err != nil {
		if src.HasData {
			s.store.Delete(context.WithoutCancel(ctx), f.StorageKey)
		}
		fail(c, err)
		return
	}
	if which == "url" {
		s.createFileFromURL(c, user, f, src.Fields["url"], expiry)
		return
	}
	t, _ := sniff.FileTypeOf(src.Staged.MIME)
	f.Name, f.MIME, f.Ext = intake.SanitizeName(src.Fields["filename"]), t.MIME, t.Ext
	f.Size, f.SHA256, f.Status = src.Staged.Size, src.Staged.SHA256, statusOfStored(t)
	done, _, err := s.commitFiles(ctx, user, []*db.File{f}, expiry)
	s.awaitFiles(ctx, done, s.fileWait(c))
	switch {
	case err != nil:
		fail(c, err)
	case len(done) == 0: // the one refusal commitFiles makes
		failQuota(c, s.planOf(user))
	default:
		c.Header("Location", "/v1/files/"+done[0].ID)
		c.JSON(http.StatusCreated, s.fileView(c, done[0]))
	}
}

// createFileFromURL records a file to fetch from rawURL and enqueues its
// ingest:url task, then waits as Prefer says.
func (s *Server) createFileFromURL(c *gin.Context, user *db.User, f *db.File, rawURL string, expiry time.Duration) {
	ctx := c.Request.Context()
	if err := intake.CheckURL(rawURL); err != nil {
		fail(c, err)
		return
	}
	f.Status, f.SourceURL = db.StatusQueued, rawURL
	if expiry > 0 {
		at := f.CreatedAt + int64(expiry.Seconds())
		f.ExpiresAt = &at
	}
	if err := s.db.InsertFile(ctx, f, db.Quota{}); err != nil {
		fail(c, err)
		return
	}
	wait, applied := preferredWait(c.GetHeader("Prefer"), s.cfg.DefaultWait, s.cfg.MaxWait)
	task, err := jobs.NewIngestURLTask(jobs.IngestFor(jobs.IngestFile, f.ID, s.planOf(user), wait > 0))
	if err == nil {
		err = s.enqueue(ctx, task)
	}
	if err != nil {
		s.db.DeleteFile(context.WithoutCancel(ctx), user.ID, f.ID, s.now().Unix())
		fail(c, err)
		return
	}
	if applied != "" {
		c.Header("Preference-Applied", applied)
	}
	s.awaitDone(ctx, f.ID, wait, func() bool {
		if fresh, err := s.db.FileByID(ctx, user.ID, f.ID, s.now().Unix()); err == nil {
			f = fresh
		}
		return f.Status == db.StatusReady || f.Status == db.StatusFailed
	})
	switch f.Status {
	case db.StatusReady:
		c.Header("Location", "/v1/files/"+f.ID)
		c.JSON(http.StatusCreated, s.fileView(c, f))
	case db.StatusFailed:
		failCode(c, f.ErrorCode, "file %s failed: %s", f.ID, f.ErrorMessage)
	default:
		c.Header("Location", "/v1/files/"+f.ID)
		c.JSON(http.StatusAccepted, s.fileView(c, f))
	}
}
