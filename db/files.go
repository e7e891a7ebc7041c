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
// nothing. Files do not count against the image quota. When f.Path is
// set, the user's live file at that path is deleted in the same
// transaction, its bytes given back, and returned (its blob is the
// caller's to remove); nil otherwise.
func (d *DB) InsertFile(ctx context.Context, f *File, q Quota) (*File, error) {
	var replaced *File
	err := d.RunInTx(ctx, func(tx *DB) error {
		if f.Path != "" {
			var err error
			if replaced, err = tx.replaceAt(ctx, f); err != nil {
				return err
			}
		}
		if err := tx.reserve(ctx, f.UserID, 0, f.Size, q); err != nil {
			return err
		}
		if _, err := tx.idb.NewInsert().Model(f).Exec(ctx); err != nil {
			return fmt.Errorf("db: insert file: %w", err)
		}
		if f.Status != StatusReady {
			return nil
		}
		return tx.emitFile(ctx, f.UserID, EventFileReady, f.ID, f.CreatedAt)
	})
	return replaced, err
}

// replaceAt deletes the user's live file at f.Path, if any, giving its
// bytes back, and returns it. The deletion is one UPDATE … RETURNING, so
// a path nothing is at costs one statement.
func (d *DB) replaceAt(ctx context.Context, f *File) (*File, error) {
	old := new(File)
	// path <> '' lets SQLite use the partial unique index on (user, path).
	err := d.idb.NewUpdate().Model(old).Set("deleted_at = ?", f.CreatedAt).Set("updated_at = ?", f.CreatedAt).
		Where("user_id = ?", f.UserID).Where("path = ?", f.Path).
		Where("path <> ''").Where("deleted_at IS NULL").
		Returning("*").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("db: replace file at %q: %w", f.Path, err)
	}
	if err := d.emitFile(ctx, f.UserID, EventFileDeleted, old.ID, f.CreatedAt); err != nil {
		return nil, err
	}
	return old, d.release(ctx, f.UserID, 0, old.Size)
}

// RemoveFile deletes the queued row of f for good: only for a fetch that
// could not be queued, so that nothing of it remains.
func (d *DB) RemoveFile(ctx context.Context, f *File) error {
	_, err := d.idb.NewDelete().Model((*File)(nil)).Where("id = ?", f.ID).Where("status = ?", StatusQueued).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: remove file: %w", err)
	}
	return nil
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
		if err := tx.emitFile(ctx, userID, EventFileDeleted, id, now); err != nil {
			return err
		}
		return tx.release(ctx, userID, 0, f.Size)
	})
}

// FinishFile stores the fetched content of a queued file (size, type,
// key, hash, and f.Status: ready, or processing when its metadata is yet
// to be removed) and counts its size against q, or returns
// ErrQuotaExceeded and changes nothing, or ErrFileNotFound when the file
// is no longer queued.
func (d *DB) FinishFile(ctx context.Context, f *File, q Quota) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		if err := tx.reserve(ctx, f.UserID, 0, f.Size, q); err != nil {
			return err
		}
		res, err := tx.idb.NewUpdate().Model(f).
			Column("status", "size", "mime", "ext", "name", "sha256", "storage_key", "updated_at").WherePK().
			Where("status = ?", StatusQueued).Where("deleted_at IS NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: finish file %s: %w", f.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrFileNotFound
		}
		if f.Status != StatusReady {
			return nil
		}
		return tx.emitFile(ctx, f.UserID, EventFileReady, f.ID, f.UpdatedAt)
	})
}

// FailFile ends a queued or processing live file failed with a code and
// message, if f.Attempt still holds it, and gives back the bytes it
// counted (its blob, which the caller removes, is forgotten). It returns
// ErrFileNotFound when the file is final, deleted or claimed by a later
// attempt.
func (d *DB) FailFile(ctx context.Context, f *File) error {
	return d.RunInTx(ctx, func(tx *DB) error {
		cur, err := tx.heldFile(ctx, f, StatusQueued, StatusProcessing)
		if err != nil {
			return err
		}
		f.Status, f.Size, f.StorageKey = StatusFailed, 0, ""
		_, err = tx.idb.NewUpdate().Model(f).
			Column("status", "error_code", "error_message", "size", "storage_key", "updated_at").WherePK().Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: fail file %s: %w", f.ID, err)
		}
		if err := tx.emitFile(ctx, cur.UserID, EventFileFailed, f.ID, f.UpdatedAt); err != nil {
			return err
		}
		return tx.release(ctx, f.UserID, 0, cur.Size)
	})
}

// ClaimFileClean takes the processing live file id for a clean under a
// new attempt token and returns it (its PrevAttempt names the attempt it
// took over), or ErrFileNotFound.
func (d *DB) ClaimFileClean(ctx context.Context, id string, now int64) (*File, error) {
	f := new(File)
	err := d.RunInTx(ctx, func(tx *DB) error {
		err := tx.selectForUpdate(f).Where("id = ?", id).Where("status = ?", StatusProcessing).
			Where("deleted_at IS NULL").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrFileNotFound
		} else if err != nil {
			return fmt.Errorf("db: claim file: %w", err)
		}
		f.PrevAttempt, f.Attempt, f.UpdatedAt = f.Attempt, NewAttempt(), now
		_, err = tx.idb.NewUpdate().Model(f).Column("attempt", "updated_at").WherePK().Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: claim file: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// FinishFileClean makes the cleaned file f ready with its new blob (f's
// StorageKey, Size, SHA256), if f.Attempt still holds it, counting its
// new size instead of the old. It returns the key of the blob it
// replaces, for the caller to remove, or ErrFileNotFound when the file
// moved on (deleted, or claimed again).
func (d *DB) FinishFileClean(ctx context.Context, f *File) (string, error) {
	var old string
	err := d.RunInTx(ctx, func(tx *DB) error {
		cur, err := tx.heldFile(ctx, f, StatusProcessing)
		if err != nil {
			return err
		}
		f.Status = StatusReady
		_, err = tx.idb.NewUpdate().Model(f).
			Column("status", "storage_key", "size", "sha256", "updated_at").WherePK().Exec(ctx)
		if err != nil {
			return fmt.Errorf("db: finish clean of %s: %w", f.ID, err)
		}
		if err := tx.emitFile(ctx, cur.UserID, EventFileReady, f.ID, f.UpdatedAt); err != nil {
			return err
		}
		old = cur.StorageKey
		return tx.release(ctx, f.UserID, 0, cur.Size-f.Size)
	})
	return old, err
}

// heldFile locks and returns the live file f in one of statuses if
// f.Attempt still holds it, or ErrFileNotFound.
func (d *DB) heldFile(ctx context.Context, f *File, statuses ...string) (*File, error) {
	cur := new(File)
	err := d.selectForUpdate(cur).Where("id = ?", f.ID).Where("status IN (?)", bun.In(statuses)).
		Where("attempt = ?", f.Attempt).Where("deleted_at IS NULL").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrFileNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: file %s: %w", f.ID, err)
	}
	return cur, nil
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
		if err := tx.emitFileAs(ctx, EventFileExpired, f, now); err != nil {
			return err
		}
		return tx.release(ctx, f.UserID, 0, f.Size)
	})
}

// StuckFiles returns up to limit files left queued (fetching) or
// processing (being cleaned) since before the Unix second before, oldest
// first: candidates for re-enqueueing.
func (d *DB) StuckFiles(ctx context.Context, before int64, limit int) ([]File, error) {
	var files []File
	err := d.idb.NewSelect().Model(&files).
		Where("status IN (?, ?)", StatusQueued, StatusProcessing).Where("updated_at < ?", before).
		Where("deleted_at IS NULL").Order("updated_at ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: stuck files: %w", err)
	}
	return files, nil
}
