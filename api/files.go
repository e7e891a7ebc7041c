package api

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/api/compat"
	"picpipe/db"
	"picpipe/imaging/sniff"
	"picpipe/intake"
	"picpipe/jobs"
	"picpipe/resource"
)

const (
	// maxFilesPerRequest bounds the files parts of one POST /v1/files.
	maxFilesPerRequest = 5
	// minExpiry and maxExpiry bound expires_in.
	minExpiry = time.Minute
	maxExpiry = 30 * 24 * time.Hour
)

// fileView renders f as the File resource (package resource, which
// webhooks send too), its link under the request's base URL.
func (s *Server) fileView(c *gin.Context, f *db.File) resource.File {
	return resource.NewFile(s.baseURL(c), f)
}

func isImageMIME(m string) bool {
	t, _ := sniff.FileTypeOf(m)
	return t.Image
}

// parseExpiry reads expires_in: whole seconds or a Go duration ("72h").
func parseExpiry(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.Atoi(v); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
		if n < 0 || n > int(maxExpiry/time.Second) {
			err = errors.New("out of range") // and n seconds may not fit a Duration
		}
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

// statusOfStored is the status a file stored as it is starts in: an
// image is processing until its metadata is removed, anything else is
// ready at once.
func statusOfStored(t sniff.FileType) string {
	if t.Image {
		return db.StatusProcessing
	}
	return db.StatusReady
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
func (s *Server) respondFiles(c *gin.Context, res *compat.FileResult) {
	errs := res.Errors
	if errs == nil {
		errs = []compat.FileError{}
	}
	if len(res.Files) == 0 {
		status, detail := errorResponse(c, picpipe.Errorf(errs[0].Code, "no file was accepted: %s", errs[0].Message))
		c.AbortWithStatusJSON(status, gin.H{"error": detail, "errors": errs})
		return
	}
	uploaded := make([]resource.File, len(res.Files))
	for i, f := range res.Files {
		uploaded[i] = s.fileView(c, f)
	}
	c.JSON(http.StatusCreated, gin.H{"object": "list", "uploaded": uploaded, "errors": errs})
}

// filesSpec is how POST /v1/files takes files: up to 5 files (or file)
// parts within the configured request limit, each within the plan's
// limit, of the Picklyone allow-list, with an optional expires_in.
var filesSpec = compat.FileSpec{Fields: []string{"files", "file"}, Max: maxFilesPerRequest, ExpiryField: "expires_in"}

// createFiles is POST /v1/files: multipart "files" parts (up to 5), each
// checked and kept or refused on its own, or JSON (data or url).
func (s *Server) createFiles(c *gin.Context) {
	if ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); ct == "application/json" {
		s.createFileFromJSON(c)
		return
	}
	res, err := s.ReceiveFiles(c, filesSpec)
	if err != nil {
		fail(c, err)
		return
	}
	s.respondFiles(c, res)
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
		fail(c, err)
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
	respondPage(c, files, limit, func(f *db.File) (string, resource.File) { return f.ID, s.fileView(c, f) })
}

// deleteFile is DELETE /v1/files/:id: the link stops working at once.
func (s *Server) deleteFile(c *gin.Context) {
	if err := s.db.DeleteFile(c.Request.Context(), userOf(c).ID, c.Param("id"), s.now().Unix()); err != nil {
		fail(c, err)
		return
	}
	s.announce(c.Request.Context(), c.Param("id"))
	c.Status(http.StatusNoContent)
}

// createFileFromJSON is POST /v1/files with JSON: {"data": base64 or data
// URL, "filename", "expires_in"} stores one file at once; {"url",
// "expires_in"} fetches it in an ingest:url task (202, or wait as Prefer
// says).
func (s *Server) createFileFromJSON(c *gin.Context) {
	spec := filesSpec
	spec.Fields, spec.Instead = []string{"data"}, []string{"url"}
	res, err := s.ReceiveJSONFile(c, spec)
	switch {
	case err != nil:
		fail(c, err)
	case res.Fields["url"] != "":
		s.createFileFromURL(c, res.Fields["url"], res.Fields["expires_in"])
	case len(res.Files) == 0: // the one refusal commitFiles makes
		failQuota(c, s.planOf(userOf(c)))
	default:
		c.Header("Location", "/v1/files/"+res.Files[0].ID)
		c.JSON(http.StatusCreated, s.fileView(c, res.Files[0]))
	}
}

// createFileFromURL records a file to fetch from rawURL, enqueues its
// ingest:url task, then waits as Prefer says.
func (s *Server) createFileFromURL(c *gin.Context, rawURL, expiresIn string) {
	spec := compat.FileSpec{}
	if expiresIn != "" {
		var err error
		if spec.Expiry, err = parseExpiry(expiresIn); err != nil {
			fail(c, err)
			return
		}
	}
	f, err := s.FetchFile(c, rawURL, spec)
	if err != nil {
		fail(c, err)
		return
	}
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
