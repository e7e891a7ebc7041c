package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// ErrVariantNotFound is returned when an image has no such variant, or
// none in the state asked for.
var ErrVariantNotFound = errors.New("db: variant not found")

// QueueVariants records the variants kinds of the image id as queued
// since the Unix second now, unless they exist.
func (d *DB) QueueVariants(ctx context.Context, id string, now int64, kinds []string) error {
	for _, kind := range kinds {
		v := &Variant{ImageID: id, Kind: kind, Status: StatusQueued, CreatedAt: now, UpdatedAt: now}
		if _, err := d.idb.NewInsert().Model(v).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("db: queue variant %s of %s: %w", kind, id, err)
		}
	}
	return nil
}

// ClaimVariant moves the queued (or interrupted processing) variant kind
// of a ready, live image to processing under a new attempt token and
// counts the attempt. It returns the claimed variant (its PrevAttempt
// names the attempt it took over) with its image, or ErrVariantNotFound
// when the variant is final, or its image is not ready or deleted. The
// claim is one conditional UPDATE … RETURNING, atomic by itself; the
// image is read after it.
func (d *DB) ClaimVariant(ctx context.Context, imageID, kind string, now int64) (*Variant, *Image, error) {
	v := new(Variant)
	err := d.idb.NewUpdate().Model(v).
		Set("prev_attempt = attempt").Set("attempt = ?", NewAttempt()).
		Set("status = ?", StatusProcessing).Set("attempts = attempts + 1").Set("updated_at = ?", now).
		Where("image_id = ?", imageID).Where("kind = ?", kind).
		Where("status IN (?, ?)", StatusQueued, StatusProcessing).
		Where("EXISTS (SELECT 1 FROM images WHERE images.id = ? AND images.status = ? AND images.deleted_at IS NULL)",
			imageID, StatusReady).
		Returning("*").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrVariantNotFound
	} else if err != nil {
		return nil, nil, fmt.Errorf("db: claim variant: %w", err)
	}
	img, err := d.ImageForWork(ctx, imageID)
	if err != nil {
		return nil, nil, err
	}
	return v, img, nil
}

// VariantOf returns the variant kind of the image, whatever its state, or
// ErrVariantNotFound.
func (d *DB) VariantOf(ctx context.Context, imageID, kind string) (*Variant, error) {
	v := new(Variant)
	err := d.idb.NewSelect().Model(v).Where("image_id = ?", imageID).Where("kind = ?", kind).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrVariantNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: select variant: %w", err)
	}
	return v, nil
}

// VariantsOf returns every variant of the image.
func (d *DB) VariantsOf(ctx context.Context, imageID string) ([]Variant, error) {
	var vs []Variant
	if err := d.idb.NewSelect().Model(&vs).Where("image_id = ?", imageID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: select variants: %w", err)
	}
	return vs, nil
}

// VariantsOfImages returns the variants of the images ids, by image id.
func (d *DB) VariantsOfImages(ctx context.Context, ids []string) (map[string][]Variant, error) {
	out := map[string][]Variant{}
	if len(ids) == 0 {
		return out, nil
	}
	var vs []Variant
	if err := d.idb.NewSelect().Model(&vs).Where("image_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: select variants: %w", err)
	}
	for _, v := range vs {
		out[v.ImageID] = append(out[v.ImageID], v)
	}
	return out, nil
}

// EndVariant records the outcome of v (v.Status ready with StorageKey,
// Size and Served, skipped with the Size it would have had, or failed
// with ErrorCode) if v.Attempt still holds it, in one transaction with
// the release of the image's staged source when this was its last
// unfinished variant. It returns the source key to delete once committed
// ("" while other variants still need it), or ErrVariantNotFound when
// the variant is final already or claimed by a later attempt: then
// nothing of this attempt is recorded.
func (d *DB) EndVariant(ctx context.Context, v *Variant) (string, error) {
	var source string
	err := d.RunInTx(ctx, func(tx *DB) error {
		res, err := tx.idb.NewUpdate().Model(v).
			Column("status", "storage_key", "size", "served", "error_code", "updated_at").WherePK().
			Where("status IN (?, ?)", StatusQueued, StatusProcessing).Where("attempt = ?", v.Attempt).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: end variant %s of %s: %w", v.Kind, v.ImageID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrVariantNotFound
		}
		// One read of the image, locked, for the event and the release.
		img := new(Image)
		if err := tx.selectForUpdate(img).Where("id = ?", v.ImageID).Scan(ctx); err != nil {
			return fmt.Errorf("db: end variant %s of %s: %w", v.Kind, v.ImageID, err)
		}
		if v.Status == StatusReady && img.DeletedAt == nil {
			if err := tx.emitImage(ctx, img.UserID, EventImageVariantReady, img.ID, v.Kind, v.UpdatedAt); err != nil {
				return err
			}
		}
		source, err = tx.releaseSource(ctx, img, v.UpdatedAt)
		return err
	})
	return source, err
}

// releaseSource forgets the staged source of img, a ready image read in
// this transaction and locked, once none of its variants needs it any
// more, and returns its key ("" when it is still needed or already gone).
func (d *DB) releaseSource(ctx context.Context, img *Image, now int64) (string, error) {
	if img.Status != StatusReady || img.SourceKey == "" {
		return "", nil
	}
	res, err := d.idb.NewUpdate().Model((*Image)(nil)).Set("source_key = ''").Set("updated_at = ?", now).
		Where("id = ?", img.ID).Where("source_key = ?", img.SourceKey).
		Where("NOT EXISTS (SELECT 1 FROM variants WHERE variants.image_id = ? AND variants.status IN (?, ?))",
			img.ID, StatusQueued, StatusProcessing).
		Exec(ctx)
	if err != nil {
		return "", fmt.Errorf("db: release source of %s: %w", img.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", nil
	}
	return img.SourceKey, nil
}

// StuckVariants returns up to limit variants left queued or processing
// since before the Unix second before, of live ready images, oldest
// first: candidates for reconcile.
func (d *DB) StuckVariants(ctx context.Context, before int64, limit int) ([]Variant, error) {
	var vs []Variant
	err := d.idb.NewSelect().Model(&vs).
		Where("status IN (?, ?)", StatusQueued, StatusProcessing).Where("updated_at < ?", before).
		Where("EXISTS (SELECT 1 FROM images WHERE images.id = variant.image_id AND images.status = ? AND images.deleted_at IS NULL)", StatusReady).
		Order("updated_at ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: stuck variants: %w", err)
	}
	return vs, nil
}
