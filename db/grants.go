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

// A grant reserves its MaxSize against its account's storage quota from
// CreateGrant on, as if the upload were already kept: the bytes a client
// may send straight to the store are counted before they arrive. UseGrant
// releases the reservation for the image to count its own bytes instead,
// HoldGrant takes it again where the client could still send more, and
// PurgeGrant releases what is left when the grant expires. The
// reservation is the grant's Reserved column, so that each release
// happens once, whichever comes first, and the consistency check can sum
// what grants hold.

// CreateGrant inserts g and reserves its MaxSize against the storage
// quota q of its user, in one transaction; it returns ErrQuotaExceeded
// and inserts nothing when the reservation does not fit.
func (d *DB) CreateGrant(ctx context.Context, g *UploadGrant, q Quota) error {
	g.Reserved = g.MaxSize
	return d.RunInTx(ctx, func(tx *DB) error {
		if err := tx.reserve(ctx, g.UserID, 0, g.MaxSize, Quota{MaxStorageBytes: q.MaxStorageBytes}); err != nil {
			return err
		}
		if _, err := tx.idb.NewInsert().Model(g).Exec(ctx); err != nil {
			return fmt.Errorf("db: create upload grant: %w", err)
		}
		return nil
	})
}

// GrantByID returns the user's grant with id, or ErrGrantNotFound.
func (d *DB) GrantByID(ctx context.Context, userID, id string) (*UploadGrant, error) {
	return d.oneGrant(ctx, "id = ? AND user_id = ?", id, userID)
}

// GrantByStagingKey returns the user's grant for key, or ErrGrantNotFound.
func (d *DB) GrantByStagingKey(ctx context.Context, userID, key string) (*UploadGrant, error) {
	return d.oneGrant(ctx, "staging_key = ? AND user_id = ?", key, userID)
}

// GrantToUpload returns the grant with id, whoever's it is, for an
// upload that carries the grant's signed URL rather than an API key; or
// ErrGrantNotFound, also when the key that asked for it was revoked
// since, so that revoking a key withdraws the URLs it handed out.
func (d *DB) GrantToUpload(ctx context.Context, id string) (*UploadGrant, error) {
	return d.oneGrant(ctx, "id = ? AND EXISTS (SELECT 1 FROM api_keys k WHERE k.id = key_id AND k.revoked_at IS NULL)", id)
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
// once: a second upload, or one to a grant already used or purged,
// returns ErrGrantSpent.
func (d *DB) MarkGrantUploaded(ctx context.Context, g *UploadGrant, now int64) error {
	res, err := d.idb.NewUpdate().Model((*UploadGrant)(nil)).
		Set("size = ?", g.Size).Set("sha256 = ?", g.SHA256).Set("uploaded_at = ?", now).
		Where("id = ?", g.ID).Where("uploaded_at IS NULL").Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: mark grant uploaded: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrGrantSpent
	}
	return nil
}

// UseGrant spends the grant g at now, recording the upload it was used
// for (g's Size and SHA256), and releases its reservation, once: a grant
// already used or purged returns ErrGrantSpent and changes nothing. Call
// it in the transaction that records what the upload became, before that
// counts its own bytes.
func (d *DB) UseGrant(ctx context.Context, g *UploadGrant, now int64) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		res, err := tx.idb.NewUpdate().Model((*UploadGrant)(nil)).
			Set("used_at = ?", now).Set("size = ?", g.Size).Set("sha256 = ?", g.SHA256).
			Set("uploaded_at = COALESCE(uploaded_at, ?)", now).
			Where("id = ?", g.ID).Where("used_at IS NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: use grant: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrGrantSpent
		}
		return tx.releaseGrant(ctx, g)
	})
}

// HoldGrant reserves the used grant g's MaxSize again, past the quota if
// need be, until PurgeGrant releases it: for a grant whose presigned
// request stays valid after its use, so that what the client could still
// send under its key is counted. A grant already purged holds nothing.
func (d *DB) HoldGrant(ctx context.Context, g *UploadGrant) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		res, err := tx.idb.NewUpdate().Model((*UploadGrant)(nil)).Set("reserved = max_size").
			Where("id = ?", g.ID).Where("reserved = 0").Where("used_at IS NOT NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: hold grant: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.reserve(ctx, g.UserID, 0, g.MaxSize, Quota{})
	})
}

// releaseGrant gives back what g holds, if anything, once.
func (d *DB) releaseGrant(ctx context.Context, g *UploadGrant) error {
	res, err := d.idb.NewUpdate().Model((*UploadGrant)(nil)).Set("reserved = 0").
		Where("id = ?", g.ID).Where("reserved > 0").Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: release grant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return d.release(ctx, g.UserID, 0, g.MaxSize)
}

// ExpiredGrants returns up to limit grants, used or not, that expired
// before the Unix second before.
func (d *DB) ExpiredGrants(ctx context.Context, before int64, limit int) ([]UploadGrant, error) {
	var gs []UploadGrant
	err := d.idb.NewSelect().Model(&gs).Where("expires_at < ?", before).OrderExpr("expires_at").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: expired grants: %w", err)
	}
	return gs, nil
}

// PurgeGrant releases what the grant g still holds and deletes it, in
// one transaction; it returns ErrGrantNotFound for a grant already
// deleted. Racing UseGrant or HoldGrant, each reservation is released
// exactly once.
func (d *DB) PurgeGrant(ctx context.Context, g *UploadGrant) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		if err := tx.releaseGrant(ctx, g); err != nil {
			return err
		}
		res, err := tx.idb.NewDelete().Model((*UploadGrant)(nil)).Where("id = ?", g.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: purge grant: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrGrantNotFound
		}
		return nil
	})
}

// StagingKeyGranted reports whether a grant, open or used, names key:
// the staged bytes of a presigned upload are kept while their grant is.
func (d *DB) StagingKeyGranted(ctx context.Context, key string) (bool, error) {
	n, err := d.idb.NewSelect().Model((*UploadGrant)(nil)).Where("staging_key = ?", key).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("db: staging key granted: %w", err)
	}
	return n > 0, nil
}
