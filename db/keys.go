package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/uptrace/bun"
)

// Sentinel errors of the account store.
var (
	ErrUserNotFound   = errors.New("db: user not found")
	ErrAPIKeyNotFound = errors.New("db: api key not found")
	// ErrTooManyKeys is IssueScopedKey refusing a key past the account's
	// limit.
	ErrTooManyKeys = errors.New("db: too many api keys")
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

// APIKeyWithUser returns the live (not revoked) key whose secret hashes
// to hash with its user (k.User), in one query: what authenticating a
// request needs. It returns ErrAPIKeyNotFound when there is no such key.
func (d *DB) APIKeyWithUser(ctx context.Context, hash string) (*APIKey, error) {
	k := new(APIKey)
	err := d.idb.NewSelect().Model(k).Relation("User").
		Where("api_key.hash = ?", hash).Where("api_key.revoked_at IS NULL").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (k.User == nil || k.User.ID == "") {
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

// SecretPrefix starts every API key secret, so that leaked keys are easy
// to recognise and scan for.
const SecretPrefix = "pk_live_"

// NewSecret returns a fresh API key secret (SecretPrefix and 24 random
// bytes in unpadded URL-safe base64), its hash and its short visible prefix.
func NewSecret() (secret, hash, visible string) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret), secret[:len(SecretPrefix)+4]
}

// HashSecret returns the stored form of an API key secret: hex SHA-256.
// Secrets are 192 random bits, so a fast hash suffices.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// IssueAPIKey creates a key with every scope named name for userID at
// now, usable from the comma-separated CIDRs allowedIPs ("" for
// anywhere), and returns it with its secret, which is shown once and
// never stored. It is the operator's: no limit applies.
func (d *DB) IssueAPIKey(ctx context.Context, userID, name, allowedIPs string, now int64) (*APIKey, string, error) {
	return d.issue(ctx, userID, name, allowedIPs, FullScopes, now)
}

func (d *DB) issue(ctx context.Context, userID, name, allowedIPs string, scopes Scopes, now int64) (*APIKey, string, error) {
	secret, hash, visible := NewSecret()
	k := &APIKey{ID: NewID(PrefixAPIKey), UserID: userID, Name: name,
		Prefix: visible, Hash: hash, AllowedIPs: allowedIPs, Scopes: string(scopes), CreatedAt: now}
	if err := d.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// keyChurn is how long a revoked key still counts against the limit of
// IssueScopedKey after it was made, so that keys cannot be made and
// revoked without end.
const keyChurn = 24 * 60 * 60

// IssueScopedKey creates a key as IssueAPIKey does, with scopes, unless
// the account userID already has max keys (live ones, and those revoked
// less than a day after they were made): then it returns
// ErrTooManyKeys. Concurrent issues for one account count one after the
// other, so max holds.
func (d *DB) IssueScopedKey(ctx context.Context, userID, name, allowedIPs string, scopes Scopes, max int, now int64) (*APIKey, string, error) {
	var (
		k      *APIKey
		secret string
	)
	err := d.RunInTx(ctx, func(tx *DB) error {
		// Taking the account's row first makes concurrent issues wait.
		if _, err := tx.idb.NewUpdate().Model((*User)(nil)).Set("plan = plan").Where("id = ?", userID).Exec(ctx); err != nil {
			return fmt.Errorf("db: lock user: %w", err)
		}
		n, err := tx.idb.NewSelect().Model((*APIKey)(nil)).Where("user_id = ?", userID).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("revoked_at IS NULL").WhereOr("created_at > ?", now-keyChurn)
			}).Count(ctx)
		switch {
		case err != nil:
			return fmt.Errorf("db: count api keys: %w", err)
		case int64(n) >= int64(max):
			return ErrTooManyKeys
		}
		k, secret, err = tx.issue(ctx, userID, name, allowedIPs, scopes, now)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// APIKeyByID returns the user's live key id, or ErrAPIKeyNotFound.
func (d *DB) APIKeyByID(ctx context.Context, userID, id string) (*APIKey, error) {
	k := new(APIKey)
	err := d.idb.NewSelect().Model(k).
		Where("id = ?", id).Where("user_id = ?", userID).Where("revoked_at IS NULL").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrAPIKeyNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: api key by id: %w", err)
	}
	return k, nil
}

// CreateUserWithKey creates an active user on plan with a first API key
// with every scope (usable from allowedIPs, "" for anywhere), in one
// transaction, and returns them with the key's secret.
func (d *DB) CreateUserWithKey(ctx context.Context, name, plan, allowedIPs string, now int64) (*User, *APIKey, string, error) {
	return d.CreateUserWithScopedKey(ctx, name, plan, allowedIPs, FullScopes, now)
}

// CreateUserWithScopedKey is CreateUserWithKey with the key's scopes.
func (d *DB) CreateUserWithScopedKey(ctx context.Context, name, plan, allowedIPs string, scopes Scopes, now int64) (*User, *APIKey, string, error) {
	u := &User{ID: NewID(PrefixUser), Name: name, Plan: plan, Status: UserActive, CreatedAt: now}
	var (
		k      *APIKey
		secret string
	)
	err := d.RunInTx(ctx, func(tx *DB) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		var err error
		k, secret, err = tx.issue(ctx, u.ID, name, allowedIPs, scopes, now)
		return err
	})
	if err != nil {
		return nil, nil, "", err
	}
	return u, k, secret, nil
}

// TouchAPIKey records that the key was used at now.
func (d *DB) TouchAPIKey(ctx context.Context, id string, now int64) error {
	_, err := d.idb.NewUpdate().Model((*APIKey)(nil)).
		Set("last_used_at = ?", now).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: touch api key: %w", err)
	}
	return nil
}

// ListUsers returns every user, oldest first.
func (d *DB) ListUsers(ctx context.Context) ([]User, error) {
	var users []User
	if err := d.idb.NewSelect().Model(&users).Order("id ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list users: %w", err)
	}
	return users, nil
}

// UpdateUser sets column (status or plan) of user id to value, or returns
// ErrUserNotFound.
func (d *DB) UpdateUser(ctx context.Context, id, column, value string) error {
	if column != "status" && column != "plan" {
		return fmt.Errorf("db: update user: column %q may not be set", column)
	}
	res, err := d.idb.NewUpdate().Model((*User)(nil)).
		Set("? = ?", bun.Ident(column), value).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrUserNotFound
	}
	return nil
}
