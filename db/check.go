package db

import (
	"context"
	"fmt"
)

// formatVariants names the variants made in the background for each
// output format: the AVIF of a WebP. A GIF passed through has none.
var formatVariants = map[string][]string{"webp": {VariantAVIF}}

// VariantsFor returns the kinds of variant made for an image whose
// output has format.
func VariantsFor(format string) []string { return formatVariants[format] }

// NamedBlob is a blob key a row needs, with the row's id.
type NamedBlob struct {
	Row string `bun:"row"`
	Key string `bun:"key"`
}

// NeededBlobs returns every blob key a live row needs to exist: the
// outputs of ready images and the sources of unfinished ones (or of ready
// ones whose variants need them), ready variants of live images, and
// ready live files.
func (d *DB) NeededBlobs(ctx context.Context) ([]NamedBlob, error) {
	var out []NamedBlob
	for _, q := range []string{
		`SELECT id AS row, output_key AS key FROM images WHERE deleted_at IS NULL AND status = 'ready' AND output_key <> ''`,
		`SELECT id AS row, source_key AS key FROM images WHERE deleted_at IS NULL AND status <> 'failed' AND source_key <> ''`,
		`SELECT v.image_id || '/' || v.kind AS row, v.storage_key AS key FROM variants v JOIN images i ON i.id = v.image_id
			WHERE i.deleted_at IS NULL AND v.status = 'ready' AND v.storage_key <> ''`,
		`SELECT id AS row, storage_key AS key FROM files WHERE deleted_at IS NULL AND status <> 'failed' AND storage_key <> ''`,
	} {
		var part []NamedBlob
		if err := d.idb.NewRaw(q).Scan(ctx, &part); err != nil {
			return nil, fmt.Errorf("db: needed blobs: %w", err)
		}
		out = append(out, part...)
	}
	return out, nil
}

// OwnedKeys returns every blob key any row names, live or deleted and
// not yet purged: what the store may hold besides uploads in flight.
func (d *DB) OwnedKeys(ctx context.Context) (map[string]bool, error) {
	owned := map[string]bool{}
	for _, q := range []string{
		`SELECT output_key FROM images WHERE output_key <> ''`,
		`SELECT source_key FROM images WHERE source_key <> ''`,
		`SELECT storage_key FROM variants WHERE storage_key <> ''`,
		`SELECT storage_key FROM files WHERE storage_key <> ''`,
		`SELECT staging_key FROM upload_grants`,
	} {
		var keys []string
		if err := d.idb.NewRaw(q).Scan(ctx, &keys); err != nil {
			return nil, fmt.Errorf("db: owned keys: %w", err)
		}
		for _, k := range keys {
			owned[k] = true
		}
	}
	return owned, nil
}

// wantBytes sums the storage an account's rows hold, for the user
// whose id is the column users.id: its live, not failed images'
// originals, its live files, and what its upload grants hold against the
// quota (their Reserved).
const wantBytes = `(SELECT COALESCE(SUM(i.source_size), 0) FROM images i WHERE i.user_id = users.id AND i.deleted_at IS NULL AND i.status <> 'failed')
	+ (SELECT COALESCE(SUM(f.size), 0) FROM files f WHERE f.user_id = users.id AND f.deleted_at IS NULL)
	+ (SELECT COALESCE(SUM(g.reserved), 0) FROM upload_grants g WHERE g.user_id = users.id)`

// countersQuery computes each user's quota counters from the rows: the
// live, not failed images, and the bytes of wantBytes.
const countersQuery = `SELECT users.id AS user_id, users.image_count, users.storage_bytes,
	(SELECT COUNT(*) FROM images i WHERE i.user_id = users.id AND i.deleted_at IS NULL AND i.status <> 'failed') AS want_images,
	` + wantBytes + ` AS want_bytes
	FROM users`

// CounterDrift is a user whose quota counters differ from the sums of
// their rows.
type CounterDrift struct {
	UserID       string `bun:"user_id"`
	ImageCount   int64  `bun:"image_count"`
	StorageBytes int64  `bun:"storage_bytes"`
	WantImages   int64  `bun:"want_images"`
	WantBytes    int64  `bun:"want_bytes"`
}

// CounterDrifts returns the users whose counters differ from their rows.
func (d *DB) CounterDrifts(ctx context.Context) ([]CounterDrift, error) {
	var all []CounterDrift
	if err := d.idb.NewRaw(countersQuery).Scan(ctx, &all); err != nil {
		return nil, fmt.Errorf("db: counters: %w", err)
	}
	var drift []CounterDrift
	for _, c := range all {
		if c.ImageCount != c.WantImages || c.StorageBytes != c.WantBytes {
			drift = append(drift, c)
		}
	}
	return drift, nil
}

// FixCounters sets the user's quota counters to the sums of their rows,
// in one statement.
func (d *DB) FixCounters(ctx context.Context, userID string) error {
	err := d.Exec(ctx, `UPDATE users SET
		image_count = (SELECT COUNT(*) FROM images i WHERE i.user_id = users.id AND i.deleted_at IS NULL AND i.status <> 'failed'),
		storage_bytes = `+wantBytes+`
		WHERE id = ?`, userID)
	if err != nil {
		return fmt.Errorf("db: fix counters of %s: %w", userID, err)
	}
	return nil
}

// Unfinished returns the ids of the images, variants ("img_…/avif") and
// files left queued or processing since before the Unix second before.
func (d *DB) Unfinished(ctx context.Context, before int64) ([]string, error) {
	var ids []string
	for _, q := range []string{
		`SELECT id FROM images WHERE deleted_at IS NULL AND status IN ('queued', 'processing') AND updated_at < ?`,
		`SELECT v.image_id || '/' || v.kind FROM variants v JOIN images i ON i.id = v.image_id
			WHERE i.deleted_at IS NULL AND i.status = 'ready' AND v.status IN ('queued', 'processing') AND v.updated_at < ?`,
		`SELECT id FROM files WHERE deleted_at IS NULL AND status IN ('queued', 'processing') AND updated_at < ?`,
	} {
		var part []string
		if err := d.idb.NewRaw(q, before).Scan(ctx, &part); err != nil {
			return nil, fmt.Errorf("db: unfinished: %w", err)
		}
		ids = append(ids, part...)
	}
	return ids, nil
}

// ImagesMissingVariants returns the ready, live images that lack a row
// for a variant their format has (VariantsFor), and the kinds missing.
func (d *DB) ImagesMissingVariants(ctx context.Context) (map[string][]string, error) {
	missing := map[string][]string{}
	for format, kinds := range formatVariants {
		for _, kind := range kinds {
			var ids []string
			err := d.idb.NewRaw(`SELECT id FROM images i WHERE i.deleted_at IS NULL AND i.status = 'ready' AND i.format = ?
				AND NOT EXISTS (SELECT 1 FROM variants v WHERE v.image_id = i.id AND v.kind = ?)`, format, kind).Scan(ctx, &ids)
			if err != nil {
				return nil, fmt.Errorf("db: missing variants: %w", err)
			}
			for _, id := range ids {
				missing[id] = append(missing[id], kind)
			}
		}
	}
	return missing, nil
}
