package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrQuotaExceeded is returned when an image would take the user over
// their image count or storage quota.
var ErrQuotaExceeded = errors.New("db: quota exceeded")

// Quota bounds what a user may keep. A zero field is unlimited.
type Quota struct {
	MaxImages       int64
	MaxStorageBytes int64
}

// Period returns the usage period of the Unix second t: its UTC month,
// "2006-01".
func Period(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01") }

// reserve counts images (0 or 1) and size bytes against the user's quota,
// or returns ErrQuotaExceeded and counts nothing. Call it in the
// transaction that creates what it counts, so both happen or neither.
func (d *DB) reserve(ctx context.Context, userID string, images, size int64, q Quota) error {
	res, err := d.idb.NewUpdate().Model((*User)(nil)).
		Set("image_count = image_count + ?", images).
		Set("storage_bytes = storage_bytes + ?", size).
		Where("id = ?", userID).
		Where("(? = 0 OR ? = 0 OR image_count + ? <= ?)", images, q.MaxImages, images, q.MaxImages).
		Where("(? = 0 OR storage_bytes + ? <= ?)", q.MaxStorageBytes, size, q.MaxStorageBytes).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: reserve quota: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrQuotaExceeded
	}
	return nil
}

// release gives back images and size bytes. Call it in the transaction of
// the transition that ends the claim (failure, deletion, expiry).
func (d *DB) release(ctx context.Context, userID string, images, size int64) error {
	_, err := d.idb.NewUpdate().Model((*User)(nil)).
		Set("image_count = image_count - ?", images).
		Set("storage_bytes = storage_bytes - ?", size).
		Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: release quota: %w", err)
	}
	return nil
}

// countTransform adds one processed image to the user's count for the
// period, starting the count afresh when the period changed.
func (d *DB) countTransform(ctx context.Context, userID, period string) error {
	_, err := d.idb.NewUpdate().Model((*User)(nil)).
		Set("transform_count = CASE WHEN transform_period = ? THEN transform_count + 1 ELSE 1 END", period).
		Set("transform_period = ?", period).
		Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: count transform: %w", err)
	}
	return nil
}

// ResetTransforms starts period's count for every user still counting an
// earlier period, and returns how many it reset. Running it again for the
// same period resets nothing, and counts already made in period stay.
func (d *DB) ResetTransforms(ctx context.Context, period string) (int64, error) {
	res, err := d.idb.NewUpdate().Model((*User)(nil)).
		Set("transform_count = 0").Set("transform_period = ?", period).
		Where("transform_period < ?", period).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: reset transforms: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// TransformsIn returns u's transform count for period.
func (u *User) TransformsIn(period string) int64 {
	if u.TransformPeriod != period {
		return 0
	}
	return u.TransformCount
}
