package worker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"

	"github.com/hibiken/asynq"

	"picpipe"
	"picpipe/db"
	"picpipe/jobs"
)

// encodeAVIF handles image:avif: encode the AVIF variant of a ready image
// from its source, store it beside the WebP, mark it ready, and drop the
// source. A permanent failure marks the variant failed (the WebP keeps
// being served) and also drops the source.
func (w *Worker) encodeAVIF(ctx context.Context, t *asynq.Task) error {
	p, err := jobs.ParseImagePayload(t)
	if err != nil {
		return err
	}
	img, err := w.deps.DB.ImageForWork(ctx, p.ImageID)
	if errors.Is(err, db.ErrImageNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if img.Status != db.StatusReady || img.DeletedAt != nil || img.SourceKey == "" || img.AVIFStatus == db.StatusReady {
		return nil
	}
	src, err := w.readBlob(ctx, img.SourceKey)
	if err == nil {
		err = w.storeAVIF(ctx, img, src)
	}
	var perr *picpipe.Error
	if err != nil && !errors.As(err, &perr) && !lastAttempt(ctx) {
		return err
	}
	if err != nil {
		slog.Warn("avif variant failed", "image_id", img.ID, "err", err)
		img.AVIFStatus, img.AVIFKey, img.AVIFSize = db.StatusFailed, "", 0
	}
	source := img.SourceKey
	img.SourceKey = ""
	img.UpdatedAt = w.deps.Now().Unix()
	if uerr := w.deps.DB.SetAVIF(ctx, img); errors.Is(uerr, db.ErrImageNotFound) {
		// Deleted meanwhile: the purge collects the source the row names,
		// but not this variant, which the row never learnt of.
		if img.AVIFKey != "" {
			w.deps.Store.Delete(ctx, img.AVIFKey)
		}
		return nil
	} else if uerr != nil {
		return uerr // retried; the source is still there
	}
	w.deps.Store.Delete(ctx, source)
	if err != nil {
		return errors.Join(err, asynq.SkipRetry)
	}
	return nil
}

// storeAVIF encodes and stores the variant and fills in img's AVIF fields.
func (w *Worker) storeAVIF(ctx context.Context, img *db.Image, src []byte) error {
	out, err := w.deps.Processor.AVIF(ctx, src, img.SourceName, optionsOf(img))
	if err != nil {
		return err
	}
	key := outputKey(img, "avif")
	n, err := w.deps.Store.Put(ctx, key, bytes.NewReader(out.Data))
	if err != nil {
		return err
	}
	img.AVIFStatus, img.AVIFKey, img.AVIFSize = db.StatusReady, key, n
	return nil
}
