package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"picpipe"
	"picpipe/db"
	"picpipe/imaging"
	"picpipe/jobs"
	"picpipe/storage"
)

// processImage handles image:process: claim the row under a new attempt,
// run the pipeline on the staged source, store the output under a key of
// this attempt's own, mark the row ready (queueing its variants) and
// enqueue them, or for a GIF drop the source. A client's bad file ends the
// row failed and the task done; system trouble is retried, and ends the
// row failed with internal when the retries run out. Run twice at once,
// only the latest claim's outcome is recorded, and the other run removes
// only what it wrote itself.
func (w *Worker) processImage(ctx context.Context, t *asynq.Task) error {
	p, err := jobs.ParseImagePayload(t)
	if err != nil {
		return err
	}
	img, err := w.deps.DB.ClaimImage(ctx, p.ImageID, w.deps.Now().Unix())
	if errors.Is(err, db.ErrImageNotFound) {
		return nil // deleted, already final, or never committed: nothing to do
	} else if err != nil {
		return err
	}
	if img.PrevAttempt != "" {
		w.sweep(ctx, blobKeys(img, img.PrevAttempt, outputFormats...)...)
	}
	w.announceStart(ctx, img.ID)
	out, err := w.runPipeline(ctx, img)
	if err != nil {
		return w.failOrRetry(ctx, t.Type(), img, err)
	}
	img.Format, img.Width, img.Height, img.Served = out.Format, out.Width, out.Height, served(out)
	img.OutputKey = blobKey(img, img.Attempt, out.Format)
	if img.OutputSize, err = w.deps.Store.Put(ctx, img.OutputKey, bytes.NewReader(out.Data)); err != nil {
		return w.failOrRetry(ctx, t.Type(), img, err)
	}
	source, kinds := img.SourceKey, db.VariantsFor(out.Format)
	if len(kinds) == 0 {
		img.SourceKey = "" // nothing more is made from it
	}
	img.UpdatedAt = w.deps.Now().Unix()
	if err := w.deps.DB.FinishImage(ctx, img, kinds...); errors.Is(err, db.ErrImageNotFound) {
		// Deleted or claimed again meanwhile: the output is this
		// attempt's own, so no row names it.
		w.deps.Store.Delete(ctx, img.OutputKey)
		return nil
	} else if err != nil {
		// Retried. The output stays: had the commit gone through
		// unseen, the row names it (check --repair collects it if not).
		return err
	}
	outcomes.WithLabelValues(t.Type(), outcomeOK).Inc()
	w.announce(ctx, img.ID)
	for _, kind := range kinds {
		w.enqueueVariant(ctx, img.ID, kind)
	}
	if len(kinds) == 0 {
		w.deps.Store.Delete(ctx, source)
	}
	return nil
}

// runPipeline reads the staged source and runs the imaging pipeline on it.
func (w *Worker) runPipeline(ctx context.Context, img *db.Image) (*imaging.Output, error) {
	src, err := w.readBlob(ctx, img.SourceKey)
	if err != nil {
		return nil, err
	}
	return w.deps.Processor.Process(ctx, src, img.SourceName, optionsOf(img))
}

// readBlob reads a staged source whole: libvips decodes from memory. A
// missing source can never come back, so it is a permanent failure.
func (w *Worker) readBlob(ctx context.Context, key string) ([]byte, error) {
	b, err := w.deps.Store.Open(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, picpipe.Errorf(picpipe.ECodeInternal, "the staged source is missing")
	} else if err != nil {
		return nil, err
	}
	defer b.Close()
	buf := bytes.NewBuffer(make([]byte, 0, b.Size()+bytes.MinRead))
	_, err = buf.ReadFrom(b)
	return buf.Bytes(), err
}

// served names what out is: the upload itself without its metadata, or
// an encode.
func served(out *imaging.Output) string {
	if out.Original {
		return db.ServedOriginal
	}
	return db.ServedOptimized
}

func optionsOf(img *db.Image) imaging.Options {
	return imaging.Options{Quality: img.Quality, Lossless: img.Lossless,
		Width: img.ResizeWidth, Height: img.ResizeHeight}
}

// outputFormats are the formats image:process stores: WebP, or an
// animated GIF passed through.
var outputFormats = []string{"webp", "gif"}

// sweep removes what an attempt a claim took over may have written (a
// run that died, or whose commit failed, after writing its output): that
// attempt can no longer be recorded, so no row names it, and a run of it
// still going removes its own output anyway. Failures are left to
// picpipe check --repair.
func (w *Worker) sweep(ctx context.Context, keys ...string) {
	for _, key := range keys {
		if err := w.deps.Store.Delete(ctx, key); err != nil {
			slog.Warn("sweep a replaced attempt's output", "key", key, "err", err)
		}
	}
}

// blobKeys are the keys of img's renditions exts made by attempt.
func blobKeys(img *db.Image, attempt string, exts ...string) []string {
	keys := make([]string, len(exts))
	for i, ext := range exts {
		keys[i] = blobKey(img, attempt, ext)
	}
	return keys
}

// blobKey is where the rendition ext of img made by attempt is stored:
// under the image id, not its hash, so that purging a deleted image never
// touches the blobs of a later upload of the same content, and under the
// attempt, so that two runs of one image never write the same key.
func blobKey(img *db.Image, attempt, ext string) string {
	return "images/" + img.UserID + "/" + img.ID + "." + attempt + "." + ext
}

// failOrRetry ends img failed when err is final (see finalError) and
// returns what asynq should see: err itself to retry; nil when the
// failure is the client's (a bad file or URL: the task did its work);
// err with SkipRetry, so that the task is archived for an operator to
// see, when it is ours and no retries are left.
func (w *Worker) failOrRetry(ctx context.Context, typ string, img *db.Image, err error) error {
	final := finalError(ctx, err)
	if final == nil {
		return err
	}
	img.ErrorCode, img.ErrorMessage = final.Code, final.Message
	source := img.SourceKey
	img.SourceKey = ""
	img.UpdatedAt = w.deps.Now().Unix()
	if ferr := w.deps.DB.FailImage(ctx, img); errors.Is(ferr, db.ErrImageNotFound) {
		return nil // deleted, final or claimed again meanwhile
	} else if ferr != nil {
		return ferr // retried; the source is still there
	}
	if source != "" {
		w.deps.Store.Delete(ctx, source)
	}
	w.announce(ctx, img.ID)
	return settle(typ, final, err)
}

// settle counts a task's final failure by code and gives asynq its
// result: nil for a client's error, err with SkipRetry for ours.
func settle(typ string, final *picpipe.Error, err error) error {
	outcomes.WithLabelValues(typ, final.Code).Inc()
	if final.Code != picpipe.ECodeInternal {
		return nil
	}
	return fmt.Errorf("%s: %w: %w", typ, err, asynq.SkipRetry)
}

// finalError returns the client-facing error a task ends with, or nil
// when err is transient and retries remain. A *picpipe.Error is final at
// once; a transient error is final on the last attempt, as fetch_failed
// with the fetcher's reason for a fetch, internal otherwise (logged).
func finalError(ctx context.Context, err error) *picpipe.Error {
	var perr *picpipe.Error
	if errors.As(err, &perr) && !ours(perr.Code) {
		return perr
	}
	if !lastAttempt(ctx) {
		return nil
	}
	var r *retryable
	if errors.As(err, &r) {
		return r.Reason()
	}
	slog.Error("task failed after retries", "err", err)
	return picpipe.Errorf(picpipe.ECodeInternal, "processing failed after retries")
}

// ours reports whether code names trouble of the service itself (a full
// or failing store, a database or queue away): passing conditions that
// are retried, never the client's fault and never final at once.
func ours(code string) bool {
	switch code {
	case picpipe.ECodeStorageFull, picpipe.ECodeUnavailable, picpipe.ECodeTranscodeUnavailable:
		return true
	}
	return false
}

func lastAttempt(ctx context.Context) bool {
	n, ok1 := asynq.GetRetryCount(ctx)
	max, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && n >= max
}

// announce wakes API requests waiting for the image or file id, or
// following its status. Losing it only delays them until their next
// re-read of the row.
func (w *Worker) announce(ctx context.Context, id string) {
	if err := jobs.PublishDone(ctx, w.rdb, id); err != nil {
		slog.Warn("announce done", "image_id", id, "err", err)
	}
}

// announceStart tells those who follow the status of the image id that
// it is processing now (jobs.PublishStarted).
func (w *Worker) announceStart(ctx context.Context, id string) {
	if err := jobs.PublishStarted(ctx, w.rdb, id); err != nil {
		slog.Warn("announce start", "image_id", id, "err", err)
	}
}

// enqueueVariant queues the task of the variant kind of image id. Losing
// it only delays the variant: reconcile enqueues it again.
func (w *Worker) enqueueVariant(ctx context.Context, id, kind string) {
	task, err := jobs.NewVariantTask(id, kind)
	if err == nil {
		_, err = w.queue.EnqueueContext(ctx, task)
	}
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		slog.Warn("enqueue variant", "image_id", id, "kind", kind, "err", err)
	}
}
