package db_test

import (
	"context"
	"errors"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

// TestAPIKeyWithUser: a request's key and its user come in one query; a
// revoked or unknown key is not found. On SQLite and PostgreSQL.
func TestAPIKeyWithUser(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, k, secret, err := d.CreateUserWithKey(ctx, "someone", "pro", "", 5)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.APIKeyWithUser(ctx, db.HashSecret(secret))
		if err != nil || got.ID != k.ID || got.UserID != u.ID || got.User == nil ||
			got.User.ID != u.ID || got.User.Plan != "pro" || got.User.Status != db.UserActive || got.Hash != k.Hash {
			t.Fatalf("APIKeyWithUser = %+v (user %+v), %v; want key %s of %s on pro", got, got.User, err, k.ID, u.ID)
		}
		if _, err := d.APIKeyWithUser(ctx, db.HashSecret("pk_live_nope")); !errors.Is(err, db.ErrAPIKeyNotFound) {
			t.Fatalf("unknown key: %v; want ErrAPIKeyNotFound", err)
		}
		if err := d.Exec(ctx, "UPDATE api_keys SET revoked_at = 6 WHERE id = ?", k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.APIKeyWithUser(ctx, db.HashSecret(secret)); !errors.Is(err, db.ErrAPIKeyNotFound) {
			t.Fatalf("revoked key: %v; want ErrAPIKeyNotFound", err)
		}
	})
}
