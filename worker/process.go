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

// processImage handles image:process: claim the row, run the pipeline on
// the staged source, store the output under the image's id, mark the row
// ready and queue the AVIF variant (or, for a GIF, drop the source). Permanent failures end the row
// failed with their code and are not retried; transient ones are retried,
// and end the row failed when the retries run out.
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
	out, err := w.runPipeline(ctx, img)
	if err != nil {
		return w.failOrRetry(ctx, img, err)
	}
	img.Format, img.Width, img.Height = out.Format, out.Width, out.Height
	img.OutputKey = outputKey(img, out.Format)
	if img.OutputSize, err = w.deps.Store.Put(ctx, img.OutputKey, bytes.NewReader(out.Data)); err != nil {
		return w.failOrRetry(ctx, img, err)
	}
	source := img.SourceKey
	keepSource := out.Format == "webp" // the AVIF variant is made from the source
	if !keepSource {
		img.SourceKey = ""
	}
	img.UpdatedAt = w.deps.Now().Unix()
	if err := w.deps.DB.FinishImage(ctx, img); errors.Is(err, db.ErrImageNotFound) {
		// Deleted meanwhile: the purge collects the source the row names,
		// but not this output, which the row never learnt of.
		w.deps.Store.Delete(ctx, img.OutputKey)
		return nil
	} else if err != nil {
		return err // retried; the source is still there
	}
	w.announce(ctx, img.ID)
	if keepSource {
		w.enqueueAVIF(ctx, img.ID)
	} else {
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

func optionsOf(img *db.Image) imaging.Options {
	return imaging.Options{Quality: img.Quality, Lossless: img.Lossless,
		Width: img.ResizeWidth, Height: img.ResizeHeight}
}

// outputKey is where a rendition of img is stored: under the image id, not
// its hash, so that purging a deleted image never touches the blobs of a
// later upload of the same content.
func outputKey(img *db.Image, format string) string {
	return "images/" + img.UserID + "/" + img.ID + "." + format
}

// failOrRetry ends img failed when err is final (see finalError), and
// returns what asynq should see: SkipRetry for a final failure, err itself
// to retry.
func (w *Worker) failOrRetry(ctx context.Context, img *db.Image, err error) error {
	final := finalError(ctx, err)
	if final == nil {
		return err
	}
	img.ErrorCode, img.ErrorMessage = final.Code, final.Message
	source := img.SourceKey
	img.SourceKey = ""
	img.UpdatedAt = w.deps.Now().Unix()
	if ferr := w.deps.DB.FailImage(ctx, img); errors.Is(ferr, db.ErrImageNotFound) {
		return nil // deleted or final meanwhile: the purge collects the source
	} else if ferr != nil {
		return ferr // retried; the source is still there
	}
	if source != "" {
		w.deps.Store.Delete(ctx, source)
	}
	w.announce(ctx, img.ID)
	return fmt.Errorf("image %s: %w: %w", img.ID, err, asynq.SkipRetry)
}

// finalError returns the client-facing error a task ends with, or nil
// when err is transient and retries remain. A *picpipe.Error is final at
// once; a transient error is final on the last attempt, as fetch_failed
// with the fetcher's reason for a fetch, internal otherwise (logged).
func finalError(ctx context.Context, err error) *picpipe.Error {
	var perr *picpipe.Error
	if errors.As(err, &perr) {
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

func lastAttempt(ctx context.Context) bool {
	n, ok1 := asynq.GetRetryCount(ctx)
	max, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && n >= max
}

// announce wakes API requests waiting for the image. Losing it only
// delays them until their next re-read of the row.
func (w *Worker) announce(ctx context.Context, id string) {
	if err := jobs.PublishDone(ctx, w.rdb, id); err != nil {
		slog.Warn("announce done", "image_id", id, "err", err)
	}
}

func (w *Worker) enqueueAVIF(ctx context.Context, id string) {
	task, err := jobs.NewImageAVIFTask(id)
	if err == nil {
		_, err = w.queue.EnqueueContext(ctx, task)
	}
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		slog.Warn("enqueue avif", "image_id", id, "err", err)
	}
}
