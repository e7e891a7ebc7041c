package worker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"

	"github.com/hibiken/asynq"

	"picpipe/db"
	"picpipe/imaging"
	"picpipe/jobs"
)

// encodeAVIF handles image:avif: claim the AVIF variant of a ready image
// under a new attempt, encode it from the staged source, store it under a
// key of this attempt's own and record it — or, when it came out no
// smaller than what the image's link serves, record it skipped and store
// nothing; the source is dropped once the image's last variant is final. A permanent failure ends the variant
// failed (the WebP keeps being served) and the task done; system trouble
// is retried, and ends the variant failed when the retries run out.
func (w *Worker) encodeAVIF(ctx context.Context, t *asynq.Task) error {
	p, err := jobs.ParseImagePayload(t)
	if err != nil {
		return err
	}
	v, img, err := w.deps.DB.ClaimVariant(ctx, p.ImageID, db.VariantAVIF, w.deps.Now().Unix())
	if errors.Is(err, db.ErrVariantNotFound) {
		return nil // final already, or the image deleted
	} else if err != nil {
		return err
	}
	if v.PrevAttempt != "" {
		w.sweep(ctx, blobKey(img, v.PrevAttempt, v.Kind))
	}
	src, err := w.readBlob(ctx, img.SourceKey)
	if err == nil {
		err = w.storeAVIF(ctx, img, v, src)
	}
	if err == nil {
		recorded, err := w.endVariant(ctx, v)
		if recorded {
			outcomes.WithLabelValues(t.Type(), outcomeOf(v)).Inc()
		}
		return err
	}
	final := finalError(ctx, err)
	if final == nil {
		return err
	}
	slog.Warn("avif variant failed", "image_id", img.ID, "err", err)
	v.Status, v.StorageKey, v.Size, v.ErrorCode = db.StatusFailed, "", 0, final.Code
	if recorded, eerr := w.endVariant(ctx, v); eerr != nil || !recorded {
		return eerr
	}
	return settle(t.Type(), final, err)
}

// storeAVIF encodes and stores the variant and fills in v. An AVIF no
// smaller than the image's output is not served (a browser would fetch
// more bytes for the same picture): v is skipped, nothing stored.
func (w *Worker) storeAVIF(ctx context.Context, img *db.Image, v *db.Variant, src []byte) error {
	out, err := niced(w.cfg.EncodeNice, func() (*imaging.Output, error) {
		return w.deps.Processor.AVIF(ctx, src, img.SourceName, optionsOf(img))
	})
	if err != nil {
		return err
	}
	if n := int64(len(out.Data)); n >= img.OutputSize {
		v.Status, v.StorageKey, v.Size = db.StatusSkipped, "", n
		return nil
	}
	v.Served = served(out)
	key := blobKey(img, v.Attempt, v.Kind)
	n, err := w.deps.Store.Put(ctx, key, bytes.NewReader(out.Data))
	if err != nil {
		return err
	}
	v.Status, v.StorageKey, v.Size = db.StatusReady, key, n
	return nil
}

// endVariant records v's outcome and drops the image's source when it
// was the last variant to need it. When a later attempt holds the variant
// (or it is final already), nothing is recorded and this attempt's own
// output is removed; recorded tells which.
func (w *Worker) endVariant(ctx context.Context, v *db.Variant) (recorded bool, err error) {
	v.UpdatedAt = w.deps.Now().Unix()
	source, err := w.deps.DB.EndVariant(ctx, v)
	if errors.Is(err, db.ErrVariantNotFound) {
		if v.StorageKey != "" {
			w.deps.Store.Delete(ctx, v.StorageKey)
		}
		return false, nil
	} else if err != nil {
		return false, err // retried; the output stays in case the commit went through
	}
	if source != "" {
		w.deps.Store.Delete(ctx, source)
	}
	w.announce(ctx, v.ImageID) // the variant is final
	return true, nil
}

// outcomeOf is the outcome label of a variant that ended well: ok, or
// skipped when it was not smaller than the image's output.
func outcomeOf(v *db.Variant) string {
	if v.Status == db.StatusSkipped {
		return db.StatusSkipped
	}
	return outcomeOK
}
