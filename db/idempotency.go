package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// States of an idempotency record.
const (
	// IdempotencyRunning is a request under way, held by its Owner until
	// LeaseUntil (renewed while it runs).
	IdempotencyRunning = "running"
	// IdempotencyDone is a request answered: its answer is kept for
	// replays until ExpiresAt.
	IdempotencyDone = "done"
)

// ErrIdempotencyLost is returned when a request no longer holds the
// idempotency record it claimed: its lease ran out and another request
// took the record over, or it expired and was purged.
var ErrIdempotencyLost = errors.New("db: idempotency record no longer held")

// IdempotencyKey is the record of a POST sent with an Idempotency-Key:
// one per account, method, path and key. RequestHash fingerprints what
// is known before the body is read (the query, the media type);
// BodyHash the body, once read ("" before). While Running, Owner is the
// token of the request that runs it; once Done, Status, Headers (JSON)
// and Body are its answer.
type IdempotencyKey struct {
	bun.BaseModel `bun:"table:idempotency_keys"`

	UserID      string `bun:"user_id,pk"`
	Method      string `bun:"method,pk"`
	Path        string `bun:"path,pk"`
	Key         string `bun:"idempotency_key,pk"`
	RequestHash string `bun:"request_hash,notnull"`
	BodyHash    string `bun:"body_hash,notnull"`
	BodySize    int64  `bun:"body_size,notnull"`
	State       string `bun:"state,notnull"`
	Owner       string `bun:"owner,notnull"`
	LeaseUntil  int64  `bun:"lease_until,notnull"`
	Status      int    `bun:"status,notnull"`
	Headers     string `bun:"headers,notnull"`
	Body        string `bun:"body,notnull"`
	CreatedAt   int64  `bun:"created_at,notnull"`
	ExpiresAt   int64  `bun:"expires_at,notnull"`
}

// claimIdempotencyKey inserts a running record, or replaces one that
// expired (the purge has not come by yet), in one statement: of two
// requests claiming one key at once, exactly one inserts.
const claimIdempotencyKey = `INSERT INTO idempotency_keys
	(user_id, method, path, idempotency_key, request_hash, body_hash, body_size, state, owner,
	 lease_until, status, headers, body, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, '', 0, 'running', ?, ?, 0, '', '', ?, ?)
ON CONFLICT (user_id, method, path, idempotency_key) DO UPDATE SET
	request_hash = EXCLUDED.request_hash, body_hash = '', body_size = 0, state = 'running',
	owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until, status = 0, headers = '', body = '',
	created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
WHERE idempotency_keys.expires_at <= ?`

// ClaimIdempotencyKey claims k (its UserID, Method, Path and Key; the
// RequestHash, Owner, LeaseUntil, CreatedAt and ExpiresAt of a new
// record) at the Unix second now, and returns the record as it then
// stands. The caller holds it when the returned Owner is k.Owner: a new
// record (replacing an expired one), or a running record whose lease
// ran out — its owner died — taken over (when its RequestHash is k's)
// with its BodyHash kept, for the caller to compare. Otherwise the record is
// someone else's: running (its owner is alive) or done.
func (d *DB) ClaimIdempotencyKey(ctx context.Context, k *IdempotencyKey, now int64) (*IdempotencyKey, error) {
	for range 3 { // a record released between our statements is claimed again
		res, err := d.idb.NewRaw(claimIdempotencyKey, k.UserID, k.Method, k.Path, k.Key, k.RequestHash,
			k.Owner, k.LeaseUntil, k.CreatedAt, k.ExpiresAt, now).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("db: claim idempotency key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			rec := *k
			rec.State, rec.BodyHash, rec.BodySize = IdempotencyRunning, "", 0
			return &rec, nil
		}
		if err := d.takeOverIdempotencyKey(ctx, k, now); err != nil {
			return nil, err
		}
		rec, err := d.idempotencyKey(ctx, k)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		return rec, err
	}
	return nil, fmt.Errorf("db: claim idempotency key: released and claimed again too often")
}

// takeOverIdempotencyKey gives k's Owner the running record of the same
// request line whose lease ran out by now, if it is one.
func (d *DB) takeOverIdempotencyKey(ctx context.Context, k *IdempotencyKey, now int64) error {
	_, err := d.idb.NewUpdate().Model((*IdempotencyKey)(nil)).
		Set("owner = ?", k.Owner).Set("lease_until = ?", k.LeaseUntil).
		Where("user_id = ? AND method = ? AND path = ? AND idempotency_key = ?", k.UserID, k.Method, k.Path, k.Key).
		Where("request_hash = ?", k.RequestHash).Where("state = ?", IdempotencyRunning).
		Where("lease_until <= ?", now).Where("expires_at > ?", now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: take over idempotency key: %w", err)
	}
	return nil
}

// ErrIdempotencyKeyNotFound is returned when there is no record of a key.
var ErrIdempotencyKeyNotFound = errors.New("db: idempotency key not found")

// IdempotencyKeyOf returns the live record of the key of userID on method
// and path, or ErrIdempotencyKeyNotFound (also for one expired by the
// Unix second now).
func (d *DB) IdempotencyKeyOf(ctx context.Context, userID, method, path, key string, now int64) (*IdempotencyKey, error) {
	rec, err := d.idempotencyKey(ctx, &IdempotencyKey{UserID: userID, Method: method, Path: path, Key: key})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && rec.ExpiresAt <= now) {
		return nil, ErrIdempotencyKeyNotFound
	}
	return rec, err
}

// idempotencyKey reads the record of k's UserID, Method, Path and Key;
// sql.ErrNoRows when there is none.
func (d *DB) idempotencyKey(ctx context.Context, k *IdempotencyKey) (*IdempotencyKey, error) {
	rec := new(IdempotencyKey)
	err := d.idb.NewSelect().Model(rec).
		Where("user_id = ? AND method = ? AND path = ? AND idempotency_key = ?", k.UserID, k.Method, k.Path, k.Key).
		Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: select idempotency key: %w", err)
	}
	return rec, err
}

// heldWhere narrows a query to the running record of a key its owner
// holds, with heldArgs.
const heldWhere = "user_id = ? AND method = ? AND path = ? AND idempotency_key = ? AND state = 'running' AND owner = ?"

func heldArgs(k *IdempotencyKey) []any { return []any{k.UserID, k.Method, k.Path, k.Key, k.Owner} }

// oneHeld returns the error of a statement on the record k.Owner holds:
// ErrIdempotencyLost when it changed nothing.
func oneHeld(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("db: %s idempotency key: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrIdempotencyLost
	}
	return nil
}

// SetIdempotencyBody records k's BodyHash and BodySize, the fingerprint
// of the body its owner has read, in the running record it holds;
// ErrIdempotencyLost when it holds none.
func (d *DB) SetIdempotencyBody(ctx context.Context, k *IdempotencyKey) error {
	res, err := d.idb.NewUpdate().Model((*IdempotencyKey)(nil)).
		Set("body_hash = ?", k.BodyHash).Set("body_size = ?", k.BodySize).
		Where(heldWhere, heldArgs(k)...).Exec(ctx)
	return oneHeld(res, err, "set the body of")
}

// FinishIdempotencyKey marks the record k.Owner holds done, with k's
// answer (Status, Headers, Body) and body fingerprint;
// ErrIdempotencyLost when it holds none.
func (d *DB) FinishIdempotencyKey(ctx context.Context, k *IdempotencyKey) error {
	res, err := d.idb.NewUpdate().Model((*IdempotencyKey)(nil)).
		Set("state = ?", IdempotencyDone).Set("status = ?", k.Status).Set("headers = ?", k.Headers).
		Set("body = ?", k.Body).Set("body_hash = ?", k.BodyHash).Set("body_size = ?", k.BodySize).
		Set("owner = ''").Set("lease_until = 0").
		Where(heldWhere, heldArgs(k)...).Exec(ctx)
	return oneHeld(res, err, "finish")
}

// ReleaseIdempotencyKey deletes the running record k.Owner holds, so that
// the key can be used again; ErrIdempotencyLost when it holds none.
func (d *DB) ReleaseIdempotencyKey(ctx context.Context, k *IdempotencyKey) error {
	res, err := d.idb.NewDelete().Model((*IdempotencyKey)(nil)).Where(heldWhere, heldArgs(k)...).Exec(ctx)
	return oneHeld(res, err, "release")
}

// YieldIdempotencyKey ends the lease of the running record k.Owner holds,
// leaving it as it is for the next request to take over;
// ErrIdempotencyLost when it holds none.
func (d *DB) YieldIdempotencyKey(ctx context.Context, k *IdempotencyKey) error {
	res, err := d.idb.NewUpdate().Model((*IdempotencyKey)(nil)).Set("lease_until = 0").
		Where(heldWhere, heldArgs(k)...).Exec(ctx)
	return oneHeld(res, err, "yield")
}

// RenewIdempotencyLeases extends to until the leases of the running
// records the owners hold.
func (d *DB) RenewIdempotencyLeases(ctx context.Context, owners []string, until int64) error {
	if len(owners) == 0 {
		return nil
	}
	_, err := d.idb.NewUpdate().Model((*IdempotencyKey)(nil)).Set("lease_until = ?", until).
		Where("owner IN (?)", bun.In(owners)).Where("state = ?", IdempotencyRunning).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: renew idempotency leases: %w", err)
	}
	return nil
}

// PurgeIdempotencyKeys deletes the records that expired by the Unix
// second now, running or done, and returns how many.
func (d *DB) PurgeIdempotencyKeys(ctx context.Context, now int64) (int, error) {
	res, err := d.idb.NewDelete().Model((*IdempotencyKey)(nil)).Where("expires_at <= ?", now).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: purge idempotency keys: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
