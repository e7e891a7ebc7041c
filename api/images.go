package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"

	"picpipe"
	"picpipe/db"
	"picpipe/intake"
	"picpipe/jobs"
	"picpipe/resource"
)

// errorMessage is why a file failed: a stable code and a message.
type errorMessage struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// imageView renders img with its variants vs as the Image resource
// (package resource, which webhooks send too), its link under the
// request's base URL; the output fields are null until it is ready.
func (s *Server) imageView(c *gin.Context, img *db.Image, vs []db.Variant) resource.Image {
	return resource.NewImage(s.baseURL(c), img, vs)
}

// createImage is POST /v1/images: take the image in (multipart, base64
// or data URL, a presigned upload, or a URL to fetch), record it, enqueue
// its work, then wait for the result as the client prefers.
func (s *Server) createImage(c *gin.Context) {
	user := userOf(c)
	plan := s.planOf(user)
	id := db.NewID(db.PrefixImage)
	in, err := s.imageIntake(c, "staging/"+user.ID+"/"+id, plan.MaxUploadBytes)
	if err == nil {
		if err = bodyRead(c); err != nil {
			s.dropIntake(c.Request.Context(), in)
		}
	}
	if err != nil {
		fail(c, err)
		return
	}
	wait, applied := preferredWait(c.GetHeader("Prefer"), s.cfg.DefaultWait, s.cfg.MaxWait)
	ctx := c.Request.Context()
	var changes <-chan struct{}
	if wait > 0 {
		// Before its task is queued, so that no change of it goes
		// unheard: the row as recorded is then its state until one comes.
		ch, unwatch := s.waiter.WatchEnds(id)
		defer unwatch()
		changes = ch
	}
	// The body is in: a client gone from here on must not cut the
	// recording in half (its retry, with an Idempotency-Key, finds it).
	rctx := context.WithoutCancel(ctx)
	var (
		img     *db.Image
		created = true
	)
	if in.url != "" {
		img, err = s.recordImageURL(rctx, user, id, in, wait > 0)
	} else {
		img, created, err = s.recordUpload(rctx, user, id, in, wait > 0)
	}
	if err != nil {
		fail(c, err)
		return
	}
	markCommitted(c)
	if applied != "" {
		c.Header("Preference-Applied", applied)
	}
	if img.ID != id {
		changes = nil // a dedup hit: another image, read before it was watched
	}
	s.respondUpload(c, s.await(ctx, img, wait, changes), created)
}

// dropIntake removes the bytes in staged, unless they are a presigned
// grant's: those stay the grant's, for a retry within its hour.
func (s *Server) dropIntake(ctx context.Context, in *upload) {
	if in.st != nil && in.grant == nil {
		s.store.Delete(context.WithoutCancel(ctx), in.st.Key)
	}
}

// upload is an image on its way in: staged bytes (with the presigned
// grant they came through, if any), or a URL to fetch, with its options.
type upload struct {
	st    *staged
	grant *db.UploadGrant
	url   string
	opts  imageOptions
}

// imageIntake reads the request: multipart, or JSON with one of data,
// url and staging_key. Staged bytes go under key.
func (s *Server) imageIntake(c *gin.Context, key string, limit int64) (*upload, error) {
	if ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); ct != "application/json" {
		st, err := s.stageMultipart(c, key, limit)
		if err != nil {
			return nil, err
		}
		return &upload{st: st, opts: st.Options}, nil
	}
	src, err := s.stageJSON(c, key, limit, s.imageGate(), "data", "filename")
	if err != nil {
		return nil, err
	}
	in := &upload{}
	if in.opts, err = optionsFrom(src.Fields); err == nil {
		err = s.jsonUpload(c, in, src, key)
	}
	if err != nil && src.HasData {
		s.store.Delete(context.WithoutCancel(c.Request.Context()), key)
	}
	return in, err
}

// jsonUpload fills in from a JSON body's source field.
func (s *Server) jsonUpload(c *gin.Context, in *upload, src *intake.JSONSource, key string) error {
	which, err := src.OneSource("url", "staging_key")
	if err != nil {
		return err
	}
	switch which {
	case "data":
		in.st = &staged{Key: key, Name: intake.SanitizeName(src.Fields["filename"]), Size: src.Staged.Size,
			SHA256: src.Staged.SHA256, Options: in.opts}
	case "url":
		in.url = src.Fields["url"]
		return intake.CheckURL(in.url)
	case "staging_key":
		in.st, in.grant, err = s.stagedFromGrant(c, src.Fields["staging_key"], key, in.opts)
	}
	return err
}

// recordUpload inserts the image row of staged bytes, counting it against
// the user's quota (and using up its presigned grant, whose reservation
// it takes over), and enqueues its processing; or returns the existing
// image when the user uploaded the same bytes with the same options
// before (created false). On error nothing is kept, but for the bytes of
// an unspent presigned grant (settleGrant).
func (s *Server) recordUpload(ctx context.Context, user *db.User, id string, in *upload, urgent bool) (*db.Image, bool, error) {
	st, now := in.st, s.now().Unix()
	img := &db.Image{
		ID: id, UserID: user.ID, Status: db.StatusQueued,
		Hash: in.opts.hash(st.SHA256), Link: db.NewLink(), SourceSHA256: st.SHA256, SourceKey: st.Key,
		SourceName: st.Name, SourceSize: st.Size, Quality: in.opts.Quality,
		Lossless: in.opts.Lossless, ResizeWidth: in.opts.Width, ResizeHeight: in.opts.Height,
		CreatedAt: now, UpdatedAt: now,
	}
	err := s.db.RunInTx(ctx, func(tx *db.DB) error {
		insert := func() error { return tx.InsertImage(ctx, img, quota(s.planOf(user))) }
		if in.grant == nil {
			return insert()
		}
		in.grant.Size, in.grant.SHA256 = st.Size, st.SHA256
		return s.useGrant(ctx, tx, in.grant, now, insert)
	})
	if in.grant != nil {
		s.settleGrant(ctx, in.grant, st.Key, err, now)
	} else if err != nil {
		s.store.Delete(context.WithoutCancel(ctx), st.Key)
	}
	if errors.Is(err, db.ErrImageExists) {
		existing, err := s.db.ImageByHash(ctx, user.ID, img.Hash)
		return existing, false, err
	} else if err != nil {
		return nil, false, err
	}
	task, err := jobs.NewImageProcessTask(img.ID, urgent)
	if err == nil {
		err = s.enqueue(ctx, task)
	}
	if err != nil {
		s.discard(context.WithoutCancel(ctx), img)
		return nil, false, err
	}
	return img, true, nil
}

// enqueue puts a task on the queue, within enqueueTimeout; a queue that
// does not take it is transcode_unavailable.
func (s *Server) enqueue(ctx context.Context, task *asynq.Task) error {
	ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	if _, err := s.queue.EnqueueContext(ctx, task); err != nil {
		return fmt.Errorf("%w: %w", errQueueUnavailable, err)
	}
	return nil
}

// discard removes a just-recorded upload whose processing could not be
// queued, row and blob, so the refused request leaves nothing behind.
func (s *Server) discard(ctx context.Context, img *db.Image) {
	s.db.RemoveImage(ctx, img)
	if img.SourceKey != "" {
		s.store.Delete(ctx, img.SourceKey)
	}
}

// await waits up to d for img to finish and returns its latest state.
// changes, when not nil, tells of the announcements of img.ID, watched
// since before img was recorded: img is its state until one comes, so the
// row is read only after one (or a second without any). Without it,
// await watches img.ID itself and reads the row first.
func (s *Server) await(ctx context.Context, img *db.Image, d time.Duration, changes <-chan struct{}) *db.Image {
	read := func() bool {
		if fresh, err := s.db.ImageByID(ctx, img.UserID, img.ID); err == nil {
			img = fresh
		}
		return img.Done()
	}
	if changes == nil {
		s.awaitDone(ctx, img.ID, d, read)
		return img
	}
	if !img.Done() {
		s.awaitChanges(ctx, changes, d, read)
	}
	return img
}

// awaitDone calls done until it reports true or d has passed. Each
// announcement of id calls it again early; it is also called every
// second, in case an announcement was missed.
func (s *Server) awaitDone(ctx context.Context, id string, d time.Duration, done func() bool) {
	if d <= 0 {
		return
	}
	changes, stop := s.waiter.WatchEnds(id) // before the first call: no change between goes unheard
	defer stop()
	if !done() {
		s.awaitChanges(ctx, changes, d, done)
	}
}

// awaitChanges calls done after each of changes, and every second in
// case an announcement was missed, until it reports true or d has
// passed. The changes are a WatchEnds': an image's claim (processing)
// is no end, and reading the row for it was one query an upload for
// nothing.
func (s *Server) awaitChanges(ctx context.Context, changes <-chan struct{}, d time.Duration, done func() bool) {
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-changes:
		case <-tick.C:
		case <-timeout.C:
			return
		case <-ctx.Done():
			return
		}
		if done() {
			return
		}
	}
}

// respondUpload answers an upload: 201 (or 200 for a dedup hit) with the
// ready image, the image's error when it failed, 202 with a Location while
// it is still running.
func (s *Server) respondUpload(c *gin.Context, img *db.Image, created bool) {
	switch img.Status {
	case db.StatusReady:
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		vs, err := s.db.VariantsOf(c.Request.Context(), img.ID)
		if err != nil { // the image is made: answer it, its variants unknown for now
			slog.WarnContext(c.Request.Context(), "read variants", "err", err, "request_id", requestID(c))
		}
		c.Header("Location", "/v1/images/"+img.ID)
		c.JSON(status, s.imageView(c, img, vs))
	case db.StatusFailed:
		failCode(c, img.ErrorCode, "image %s failed: %s", img.ID, img.ErrorMessage)
	default:
		c.Header("Location", "/v1/images/"+img.ID)
		c.JSON(http.StatusAccepted, s.imageView(c, img, nil))
	}
}

// getImage is GET /v1/images/:id.
func (s *Server) getImage(c *gin.Context) {
	ctx := c.Request.Context()
	img, err := s.db.ImageByID(ctx, userOf(c).ID, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	vs, err := s.db.VariantsOf(ctx, img.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.imageView(c, img, vs))
}

// listImages is GET /v1/images?limit=&cursor=, newest first.
func (s *Server) listImages(c *gin.Context) {
	limit, ok := pageLimit(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	imgs, err := s.db.ListImages(ctx, userOf(c).ID, c.Query("cursor"), limit+1)
	if err != nil {
		fail(c, err)
		return
	}
	ids := make([]string, len(imgs))
	for i := range imgs {
		ids[i] = imgs[i].ID
	}
	vs, err := s.db.VariantsOfImages(ctx, ids)
	if err != nil {
		fail(c, err)
		return
	}
	respondPage(c, imgs, limit, func(img *db.Image) (string, resource.Image) { return img.ID, s.imageView(c, img, vs[img.ID]) })
}

// respondPage answers a list request with rows, fetched with one more than
// limit to tell whether a next page follows; view gives each row's id (the
// cursor) and its resource.
func respondPage[T, V any](c *gin.Context, rows []T, limit int, view func(*T) (string, V)) {
	var next *string
	if len(rows) > limit {
		rows = rows[:limit]
		id, _ := view(&rows[limit-1])
		next = &id
	}
	data := make([]V, len(rows))
	for i := range rows {
		_, data[i] = view(&rows[i])
	}
	c.JSON(http.StatusOK, gin.H{"object": "list", "data": data, "next_cursor": next})
}

// deleteImage is DELETE /v1/images/:id: a soft delete; the link stops
// working at once and the blobs go with the scheduler's purge.
func (s *Server) deleteImage(c *gin.Context) {
	err := s.db.DeleteImage(c.Request.Context(), userOf(c).ID, c.Param("id"), s.now().Unix())
	if err != nil {
		fail(c, err)
		return
	}
	s.announce(c.Request.Context(), c.Param("id"))
	c.Status(http.StatusNoContent)
}

// pageLimit reads the limit query parameter (1–100, default 50), answering
// invalid_request itself when it is bad.
func pageLimit(c *gin.Context) (int, bool) {
	v := c.Query("limit")
	if v == "" {
		return 50, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		failCode(c, picpipe.ECodeInvalidRequest, "limit must be an integer from 1 to 100")
		return 0, false
	}
	return n, true
}
