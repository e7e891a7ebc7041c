package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Sentinel errors of the account store.
var (
	ErrUserNotFound   = errors.New("db: user not found")
	ErrAPIKeyNotFound = errors.New("db: api key not found")
)

// CreateUser inserts u.
func (d *DB) CreateUser(ctx context.Context, u *User) error {
	if _, err := d.idb.NewInsert().Model(u).Exec(ctx); err != nil {
		return fmt.Errorf("db: create user: %w", err)
	}
	return nil
}

// UserByID returns the user with id, or ErrUserNotFound.
func (d *DB) UserByID(ctx context.Context, id string) (*User, error) {
	u := new(User)
	err := d.idb.NewSelect().Model(u).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUserNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: user by id: %w", err)
	}
	return u, nil
}

// CreateAPIKey inserts k.
func (d *DB) CreateAPIKey(ctx context.Context, k *APIKey) error {
	if _, err := d.idb.NewInsert().Model(k).Exec(ctx); err != nil {
		return fmt.Errorf("db: create api key: %w", err)
	}
	return nil
}

// APIKeyByHash returns the live (not revoked) key whose secret hashes to
// hash, or ErrAPIKeyNotFound.
func (d *DB) APIKeyByHash(ctx context.Context, hash string) (*APIKey, error) {
	k := new(APIKey)
	err := d.idb.NewSelect().Model(k).
		Where("hash = ?", hash).Where("revoked_at IS NULL").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrAPIKeyNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: api key by hash: %w", err)
	}
	return k, nil
}

// ListAPIKeys returns the user's keys, revoked ones included, oldest first.
// With userID "" it lists every user's keys.
func (d *DB) ListAPIKeys(ctx context.Context, userID string) ([]APIKey, error) {
	var keys []APIKey
	q := d.idb.NewSelect().Model(&keys).Order("id ASC")
	if userID != "" {
		q = q.Where("user_id = ?", userID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey marks the key revoked at now. With userID "" any user's key
// may be revoked (operators); otherwise only the user's own. It returns
// ErrAPIKeyNotFound when no live key matches.
func (d *DB) RevokeAPIKey(ctx context.Context, userID, id string, now int64) error {
	q := d.idb.NewUpdate().Model((*APIKey)(nil)).
		Set("revoked_at = ?", now).
		Where("id = ?", id).Where("revoked_at IS NULL")
	if userID != "" {
		q = q.Where("user_id = ?", userID)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: revoke api key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAPIKeyNotFound
	}
	return nil
}
