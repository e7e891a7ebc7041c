package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Sentinel errors of upload grants.
var (
	ErrGrantNotFound = errors.New("db: upload grant not found")
	// ErrGrantSpent is returned for a grant already uploaded to (by
	// MarkGrantUploaded) or already used (by UseGrant).
	ErrGrantSpent = errors.New("db: upload grant already used")
)

// CreateGrant inserts g.
func (d *DB) CreateGrant(ctx context.Context, g *UploadGrant) error {
	if _, err := d.idb.NewInsert().Model(g).Exec(ctx); err != nil {
		return fmt.Errorf("db: create upload grant: %w", err)
	}
	return nil
}

// GrantByID returns the user's grant with id, or ErrGrantNotFound.
func (d *DB) GrantByID(ctx context.Context, userID, id string) (*UploadGrant, error) {
	return d.oneGrant(ctx, "id = ? AND user_id = ?", id, userID)
}

// GrantByStagingKey returns the user's grant for key, or ErrGrantNotFound.
func (d *DB) GrantByStagingKey(ctx context.Context, userID, key string) (*UploadGrant, error) {
	return d.oneGrant(ctx, "staging_key = ? AND user_id = ?", key, userID)
}

func (d *DB) oneGrant(ctx context.Context, where string, args ...any) (*UploadGrant, error) {
	g := new(UploadGrant)
	err := d.idb.NewSelect().Model(g).Where(where, args...).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrGrantNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: select upload grant: %w", err)
	}
	return g, nil
}

// MarkGrantUploaded records the upload of g (its Size, SHA256) at now,
// once: a second upload returns ErrGrantSpent.
func (d *DB) MarkGrantUploaded(ctx context.Context, g *UploadGrant, now int64) error {
	res, err := d.idb.NewUpdate().Model((*UploadGrant)(nil)).
		Set("size = ?", g.Size).Set("sha256 = ?", g.SHA256).Set("uploaded_at = ?", now).
		Where("id = ?", g.ID).Where("uploaded_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: mark grant uploaded: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrGrantSpent
	}
	return nil
}

// UseGrant marks the uploaded grant id used at now, once: a second use
// returns ErrGrantSpent.
func (d *DB) UseGrant(ctx context.Context, id string, now int64) error {
	res, err := d.idb.NewUpdate().Model((*UploadGrant)(nil)).
		Set("used_at = ?", now).
		Where("id = ?", id).Where("uploaded_at IS NOT NULL").Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: use grant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrGrantSpent
	}
	return nil
}

// DeleteGrantsBefore removes grants that expired before the Unix second
// before, and returns how many. Their unused staged bytes, if any, are no
// longer pointed to and go with the staging purge.
func (d *DB) DeleteGrantsBefore(ctx context.Context, before int64) (int, error) {
	res, err := d.idb.NewDelete().Model((*UploadGrant)(nil)).Where("expires_at < ?", before).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: delete grants: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
