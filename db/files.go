package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// ErrFileNotFound is returned when a user has no such live file.
var ErrFileNotFound = errors.New("db: file not found")

// InsertFile inserts f and counts its size against the user's storage
// quota q in one transaction, or returns ErrQuotaExceeded and inserts
// nothing. Files do not count against the image quota.
func (d *DB) InsertFile(ctx context.Context, f *File, q Quota) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		if err := tx.reserve(ctx, f.UserID, 0, f.Size, q); err != nil {
			return err
		}
		if _, err := tx.idb.NewInsert().Model(f).Exec(ctx); err != nil {
			return fmt.Errorf("db: insert file: %w", err)
		}
		return nil
	})
}

// FileByID returns the user's live file with id that has not expired by
// now, or ErrFileNotFound. Another user's file is not found.
func (d *DB) FileByID(ctx context.Context, userID, id string, now int64) (*File, error) {
	f := new(File)
	err := d.idb.NewSelect().Model(f).
		Where("id = ?", id).Where("user_id = ?", userID).Where("deleted_at IS NULL").
		Where("(expires_at IS NULL OR expires_at > ?)", now).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrFileNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: select file: %w", err)
	}
	return f, nil
}

// FileForWork returns the file with id whoever owns it, or
// ErrFileNotFound: the workers' view.
func (d *DB) FileForWork(ctx context.Context, id string) (*File, error) {
	f := new(File)
	err := d.idb.NewSelect().Model(f).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrFileNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: select file: %w", err)
	}
	return f, nil
}

// ListFiles returns up to limit of the user's live, unexpired files,
// newest first, after the file id cursor ("" for the first page).
func (d *DB) ListFiles(ctx context.Context, userID, cursor string, limit int, now int64) ([]File, error) {
	var files []File
	q := d.idb.NewSelect().Model(&files).
		Where("user_id = ?", userID).Where("deleted_at IS NULL").
		Where("(expires_at IS NULL OR expires_at > ?)", now).
		Order("id DESC").Limit(int64(limit))
	if cursor != "" {
		q = q.Where("id < ?", cursor)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list files: %w", err)
	}
	return files, nil
}

// DeleteFile soft-deletes the user's file and gives its bytes back, or
// returns ErrFileNotFound.
func (d *DB) DeleteFile(ctx context.Context, userID, id string, now int64) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		f := new(File)
		err := tx.selectForUpdate(f).
			Where("id = ?", id).Where("user_id = ?", userID).Where("deleted_at IS NULL").
			Where("(expires_at IS NULL OR expires_at > ?)", now).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrFileNotFound
		} else if err != nil {
			return fmt.Errorf("db: delete file: %w", err)
		}
		res, err := tx.idb.NewUpdate().Model((*File)(nil)).
			Set("deleted_at = ?", now).Set("updated_at = ?", now).
			Where("id = ?", id).Where("deleted_at IS NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: delete file: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrFileNotFound
		}
		return tx.release(ctx, userID, 0, f.Size)
	})
}

// FinishFile stores the fetched content of a queued file (size, type,
// key, hash) and counts its size against q, or returns ErrQuotaExceeded
// and changes nothing, or ErrFileNotFound when the file is no longer
// queued.
func (d *DB) FinishFile(ctx context.Context, f *File, q Quota) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		if err := tx.reserve(ctx, f.UserID, 0, f.Size, q); err != nil {
			return err
		}
		f.Status = StatusReady
		return tx.updateQueuedFile(ctx, f, "status", "size", "mime", "ext", "name", "sha256", "storage_key", "updated_at")
	})
}

// FailFile ends a queued file failed with a code and message, or returns
// ErrFileNotFound when it is no longer queued.
func (d *DB) FailFile(ctx context.Context, f *File) error {
	f.Status = StatusFailed
	return d.updateQueuedFile(ctx, f, "status", "error_code", "error_message", "updated_at")
}

func (d *DB) updateQueuedFile(ctx context.Context, f *File, cols ...string) error {
	res, err := d.idb.NewUpdate().Model(f).Column(cols...).WherePK().
		Where("status = ?", StatusQueued).Where("deleted_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: update file %s: %w", f.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrFileNotFound
	}
	return nil
}

// ExpiredFiles returns up to limit files that expired before now or were
// deleted before deletedBefore: what the purge removes.
func (d *DB) ExpiredFiles(ctx context.Context, now, deletedBefore int64, limit int) ([]File, error) {
	var files []File
	err := d.idb.NewSelect().Model(&files).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("deleted_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?", now).
				WhereOr("deleted_at IS NOT NULL AND deleted_at < ?", deletedBefore)
		}).
		Order("id ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: expired files: %w", err)
	}
	return files, nil
}

// PurgeFile removes the row of an expired or deleted file for good,
// giving back the bytes of an expired one (a deleted one gave them back
// already). It returns ErrFileNotFound when the row is gone or live.
func (d *DB) PurgeFile(ctx context.Context, id string, now int64) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		f := new(File)
		err := tx.selectForUpdate(f).Where("id = ?", id).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrFileNotFound
		} else if err != nil {
			return fmt.Errorf("db: purge file: %w", err)
		}
		expired := f.DeletedAt == nil && f.ExpiresAt != nil && *f.ExpiresAt <= now
		if f.DeletedAt == nil && !expired {
			return ErrFileNotFound
		}
		res, err := tx.idb.NewDelete().Model((*File)(nil)).
			Where("id = ?", id).Where("updated_at = ?", f.UpdatedAt).Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: purge file: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrFileNotFound // changed meanwhile: the next run decides
		}
		if !expired {
			return nil
		}
		return tx.release(ctx, f.UserID, 0, f.Size)
	})
}

// StuckFiles returns up to limit files left queued (fetching) since before
// the Unix second before, oldest first: candidates for re-enqueueing.
func (d *DB) StuckFiles(ctx context.Context, before int64, limit int) ([]File, error) {
	var files []File
	err := d.idb.NewSelect().Model(&files).
		Where("status = ?", StatusQueued).Where("updated_at < ?", before).Where("deleted_at IS NULL").
		Order("updated_at ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: stuck files: %w", err)
	}
	return files, nil
}
