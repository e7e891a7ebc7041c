package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Sentinel errors of the image store.
var (
	ErrImageNotFound = errors.New("db: image not found")
	// ErrImageExists is returned by InsertImage when the user already has a
	// live image with the same hash.
	ErrImageExists = errors.New("db: image with this hash exists")
)

// InsertImage inserts img and counts it against the user's quota q in one
// transaction. When a live, not failed image of the same user has the same
// hash (a concurrent identical upload) it returns ErrImageExists, and
// ErrQuotaExceeded when the image does not fit the quota; either way
// nothing changes.
func (d *DB) InsertImage(ctx context.Context, img *Image, q Quota) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		if err := tx.reserve(ctx, img.UserID, 1, img.SourceSize, q); err != nil {
			return err
		}
		res, err := tx.idb.NewInsert().Model(img).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: insert image: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrImageExists
		}
		return nil
	})
}

// ImageByID returns the user's image with id unless it was deleted, or
// ErrImageNotFound. Another user's image is not found.
func (d *DB) ImageByID(ctx context.Context, userID, id string) (*Image, error) {
	return d.oneImage(ctx, "id = ? AND user_id = ? AND deleted_at IS NULL", id, userID)
}

// ImageByHash returns the user's live, not failed image with hash, or
// ErrImageNotFound.
func (d *DB) ImageByHash(ctx context.Context, userID, hash string) (*Image, error) {
	return d.oneImage(ctx,
		"user_id = ? AND hash = ? AND deleted_at IS NULL AND status <> ?",
		userID, hash, StatusFailed)
}

// ImageForWork returns the image with id whoever owns it, deleted or not:
// the workers' view. It returns ErrImageNotFound when there is no such row.
func (d *DB) ImageForWork(ctx context.Context, id string) (*Image, error) {
	return d.oneImage(ctx, "id = ?", id)
}

func (d *DB) oneImage(ctx context.Context, where string, args ...any) (*Image, error) {
	img := new(Image)
	err := d.idb.NewSelect().Model(img).Where(where, args...).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrImageNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: select image: %w", err)
	}
	return img, nil
}

// ListImages returns up to limit of the user's live images, newest first,
// starting after the image id cursor ("" for the first page).
func (d *DB) ListImages(ctx context.Context, userID, cursor string, limit int) ([]Image, error) {
	var imgs []Image
	q := d.idb.NewSelect().Model(&imgs).
		Where("user_id = ?", userID).Where("deleted_at IS NULL").
		Order("id DESC").Limit(int64(limit))
	if cursor != "" {
		q = q.Where("id < ?", cursor)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list images: %w", err)
	}
	return imgs, nil
}

// DeleteImage soft-deletes the user's image at now and gives its quota
// back (a failed image gave it back already), or returns ErrImageNotFound.
// The blobs stay until the scheduler's purge.
func (d *DB) DeleteImage(ctx context.Context, userID, id string, now int64) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		img := new(Image)
		err := tx.selectForUpdate(img).
			Where("id = ?", id).Where("user_id = ?", userID).Where("deleted_at IS NULL").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrImageNotFound
		} else if err != nil {
			return fmt.Errorf("db: delete image: %w", err)
		}
		res, err := tx.idb.NewUpdate().Model((*Image)(nil)).
			Set("deleted_at = ?", now).Set("updated_at = ?", now).
			Where("id = ?", id).Where("deleted_at IS NULL").Where("status = ?", img.Status).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: delete image: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("db: delete image %s: changed meanwhile", id)
		}
		if err := tx.emitImage(ctx, userID, EventImageDeleted, id, "", now); err != nil {
			return err
		}
		if img.Status == StatusFailed {
			return nil
		}
		return tx.release(ctx, userID, 1, img.SourceSize)
	})
}

// ClaimImage moves a queued (or interrupted processing) live image to
// processing under a new attempt token and counts the attempt. It returns
// the claimed row, whose Attempt only this claim holds and whose
// PrevAttempt names the attempt it took over ("" for none), or
// ErrImageNotFound when the image is gone, deleted or already final. A
// later claim takes the row over: the earlier run can then neither finish
// nor fail it. The claim is one conditional UPDATE … RETURNING, atomic by
// itself: one round trip.
func (d *DB) ClaimImage(ctx context.Context, id string, now int64) (*Image, error) {
	img := new(Image)
	err := d.idb.NewUpdate().Model(img).
		Set("prev_attempt = attempt").Set("attempt = ?", NewAttempt()).
		Set("status = ?", StatusProcessing).Set("attempts = attempts + 1").Set("updated_at = ?", now).
		Where("id = ?", id).Where("deleted_at IS NULL").
		Where("status IN (?, ?)", StatusQueued, StatusProcessing).
		Returning("*").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrImageNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: claim image: %w", err)
	}
	return img, nil
}

// FinishImage stores the processing result of img (status ready, format,
// output key, size and what it is (Served), dimensions, source key) if
// img.Attempt still holds the row and it is not deleted, queues the
// variants named by kinds, and counts a transform for the user in the
// period of img.UpdatedAt, all in one transaction. It returns
// ErrImageNotFound when the row moved on meanwhile (deleted, or claimed
// by a later attempt): then nothing of this attempt is recorded.
func (d *DB) FinishImage(ctx context.Context, img *Image, kinds ...string) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		img.Status = StatusReady
		err := tx.updateProcessing(ctx, img,
			"status", "format", "output_key", "output_size", "served", "width", "height",
			"source_key", "updated_at")
		if err != nil {
			return err
		}
		if err := tx.QueueVariants(ctx, img.ID, img.UpdatedAt, kinds); err != nil {
			return err
		}
		if err := tx.emitImage(ctx, img.UserID, EventImageReady, img.ID, "", img.UpdatedAt); err != nil {
			return err
		}
		return tx.countTransform(ctx, img.UserID, Period(img.UpdatedAt))
	})
}

// FailImage ends a queued or processing, not deleted image failed with a
// code and message, if img.Attempt still holds it, and gives its quota
// back. It returns ErrImageNotFound when the row is already final,
// deleted, or claimed by a later attempt.
func (d *DB) FailImage(ctx context.Context, img *Image) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		img.Status = StatusFailed
		err := tx.updateProcessing(ctx, img,
			"status", "error_code", "error_message", "source_key", "updated_at")
		if err != nil {
			return err
		}
		if err := tx.emitImage(ctx, img.UserID, EventImageFailed, img.ID, "", img.UpdatedAt); err != nil {
			return err
		}
		return tx.release(ctx, img.UserID, 1, img.SourceSize)
	})
}

func (d *DB) updateProcessing(ctx context.Context, img *Image, cols ...string) error {
	res, err := d.idb.NewUpdate().Model(img).Column(cols...).WherePK().
		Where("status IN (?, ?)", StatusQueued, StatusProcessing).Where("deleted_at IS NULL").
		Where("attempt = ?", img.Attempt).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: update image %s: %w", img.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrImageNotFound
	}
	return nil
}

// StuckImages returns up to limit images left queued or processing since
// before the Unix second before, oldest first: candidates for re-enqueueing.
func (d *DB) StuckImages(ctx context.Context, before int64, limit int) ([]Image, error) {
	var imgs []Image
	err := d.idb.NewSelect().Model(&imgs).
		Where("status IN (?, ?)", StatusQueued, StatusProcessing).
		Where("updated_at < ?", before).Where("deleted_at IS NULL").
		Order("updated_at ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: stuck images: %w", err)
	}
	return imgs, nil
}

// RemoveImage deletes the queued row of img for good and gives its quota
// back: only for an upload whose processing could not be queued, so that
// nothing of it remains.
func (d *DB) RemoveImage(ctx context.Context, img *Image) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		res, err := tx.idb.NewDelete().Model((*Image)(nil)).
			Where("id = ?", img.ID).Where("status = ?", StatusQueued).Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: remove image: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrImageNotFound
		}
		return tx.release(ctx, img.UserID, 1, img.SourceSize)
	})
}

// DeletedImagesBefore returns up to limit images soft-deleted before the
// Unix second before, oldest first: what the purge removes.
func (d *DB) DeletedImagesBefore(ctx context.Context, before int64, limit int) ([]Image, error) {
	var imgs []Image
	err := d.idb.NewSelect().Model(&imgs).
		Where("deleted_at IS NOT NULL").Where("deleted_at < ?", before).
		Order("deleted_at ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: deleted images: %w", err)
	}
	return imgs, nil
}

// PurgeImage removes the row of a soft-deleted image for good, or returns
// ErrImageNotFound when there is no such deleted image.
func (d *DB) PurgeImage(ctx context.Context, id string) error {
	res, err := d.idb.NewDelete().Model((*Image)(nil)).
		Where("id = ?", id).Where("deleted_at IS NOT NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: purge image: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrImageNotFound
	}
	return nil
}

// SourceKeyInUse reports whether a live (not deleted) image still needs
// the staged source under key.
func (d *DB) SourceKeyInUse(ctx context.Context, key string) (bool, error) {
	n, err := d.idb.NewSelect().Model((*Image)(nil)).
		Where("source_key = ?", key).Where("deleted_at IS NULL").Count(ctx)
	if err != nil {
		return false, fmt.Errorf("db: source key in use: %w", err)
	}
	return n > 0, nil
}

// AttachSource records the fetched source of a queued image fetched from a
// URL (img's SourceKey, SourceName, SourceSize, SourceSHA256) and counts
// its bytes against q, or returns ErrQuotaExceeded and changes nothing, or
// ErrImageNotFound when the image is no longer queued or another fetch
// attached its source first.
func (d *DB) AttachSource(ctx context.Context, img *Image, q Quota) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		if err := tx.reserve(ctx, img.UserID, 0, img.SourceSize, q); err != nil {
			return err
		}
		res, err := tx.idb.NewUpdate().Model(img).
			Column("source_key", "source_name", "source_size", "source_sha256", "updated_at").WherePK().
			Where("status = ?", StatusQueued).Where("deleted_at IS NULL").Where("source_key = ''").Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: attach source: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrImageNotFound
		}
		return nil
	})
}
