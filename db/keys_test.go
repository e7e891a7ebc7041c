package db_test

import (
	"context"
	"errors"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

func TestAPIKeys(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, other := newUser(t, d), newUser(t, d)
		k := &db.APIKey{ID: db.NewID(db.PrefixAPIKey), UserID: u.ID, Name: "ci", Prefix: "pk_live_ab", Hash: "h1", CreatedAt: 1}
		if err := d.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		got, err := d.APIKeyByHash(ctx, "h1")
		if err != nil || got.ID != k.ID || got.UserID != u.ID {
			t.Fatalf("APIKeyByHash = %+v, %v; want %s", got, err, k.ID)
		}
		if err := d.RevokeAPIKey(ctx, other.ID, k.ID, 5); !errors.Is(err, db.ErrAPIKeyNotFound) {
			t.Fatalf("revoke by another user = %v; want ErrAPIKeyNotFound", err)
		}
		if err := d.RevokeAPIKey(ctx, u.ID, k.ID, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := d.APIKeyByHash(ctx, "h1"); !errors.Is(err, db.ErrAPIKeyNotFound) {
			t.Fatalf("revoked key lookup = %v; want ErrAPIKeyNotFound", err)
		}
		keys, err := d.ListAPIKeys(ctx, u.ID)
		if err != nil || len(keys) != 1 || keys[0].RevokedAt == nil || *keys[0].RevokedAt != 5 {
			t.Fatalf("ListAPIKeys = %+v, %v; want one key revoked at 5", keys, err)
		}
		if _, err := d.UserByID(ctx, "usr_nope"); !errors.Is(err, db.ErrUserNotFound) {
			t.Fatalf("UserByID(missing) = %v; want ErrUserNotFound", err)
		}
	})
}

func TestMigrateTwice(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		if err := d.Migrate(context.Background()); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
	})
}

func TestConcurrentMigrate(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		// Fresh handles on the same, already migrated database, plus a
		// brand-new SQLite file migrated by several processes' worth of
		// handles at once.
		errs := make(chan error, 4)
		for range 4 {
			go func() { errs <- d.Migrate(context.Background()) }()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("concurrent Migrate: %v", err)
			}
		}
	})
	path := t.TempDir() + "/fresh.db"
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			h, err := db.Open(context.Background(), path)
			if err == nil {
				err = h.Migrate(context.Background())
				h.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent first Migrate of a new SQLite file: %v", err)
		}
	}
}
