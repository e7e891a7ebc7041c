package scheduler_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/scheduler"
	"picpipe/storage"
)

// TestPurgeGrants checks what the purge does with upload grants: an
// unused one past its expiry gives its reservation back, once, and its
// staged bytes go; one still valid keeps both, even when its bytes are
// older than the grace; a used one's row goes but its bytes, now an
// image's source, stay; a used one that held its reservation (a bucket's,
// whose bytes were copied) gives it back, and what is under its key goes.
// Check is clean before and after.
func TestPurgeGrants(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		root := t.TempDir()
		st, err := storage.NewLocal(root)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		s, err := scheduler.New(scheduler.Config{PurgeGrace: 10 * time.Minute},
			scheduler.Deps{DB: d, Store: st, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		u, k, _, err := d.CreateUserWithKey(ctx, "u", "free", "", now.Unix())
		if err != nil {
			t.Fatal(err)
		}
		grant := func(name string, expiresIn time.Duration, staged bool) *db.UploadGrant {
			g := &db.UploadGrant{ID: db.NewID(db.PrefixGrant), UserID: u.ID, KeyID: k.ID, ContentType: "image/png",
				MaxSize: 1000, StagingKey: "staging/" + u.ID + "/" + name, CreatedAt: now.Add(-2 * time.Hour).Unix(),
				ExpiresAt: now.Add(expiresIn).Unix()}
			if err := d.CreateGrant(ctx, g, db.Quota{}); err != nil {
				t.Fatal(err)
			}
			if staged {
				if _, err := st.Put(ctx, g.StagingKey, strings.NewReader("bytes")); err != nil {
					t.Fatal(err)
				}
				old := now.Add(-time.Hour)
				if err := os.Chtimes(filepath.Join(root, g.StagingKey), old, old); err != nil {
					t.Fatal(err)
				}
			}
			return g
		}
		expired := grant("expired", -time.Second, true)
		valid := grant("valid", time.Minute, true)
		used := grant("used", -time.Second, true)
		used.Size, used.SHA256 = 5, strings.Repeat("a", 64)
		img := &db.Image{ID: db.NewID(db.PrefixImage), UserID: u.ID, Status: db.StatusQueued, Hash: "h",
			SourceSHA256: used.SHA256, SourceKey: used.StagingKey, SourceSize: 5, Quality: 82,
			CreatedAt: now.Unix(), UpdatedAt: now.Unix()}
		err = d.RunInTx(ctx, func(tx *db.DB) error {
			if err := tx.UseGrant(ctx, used, now.Unix()); err != nil {
				return err
			}
			return tx.InsertImage(ctx, img, db.Quota{})
		})
		if err != nil {
			t.Fatal(err)
		}
		held := grant("held", -time.Second, true)
		held.Size, held.SHA256 = 5, strings.Repeat("b", 64)
		copied := &db.Image{ID: db.NewID(db.PrefixImage), UserID: u.ID, Status: db.StatusQueued, Hash: "h2",
			SourceSHA256: held.SHA256, SourceKey: "staging/" + u.ID + "/copy", SourceSize: 5, Quality: 82,
			CreatedAt: now.Unix(), UpdatedAt: now.Unix()}
		err = d.RunInTx(ctx, func(tx *db.DB) error {
			if err := tx.UseGrant(ctx, held, now.Unix()); err != nil {
				return err
			}
			if err := tx.InsertImage(ctx, copied, db.Quota{}); err != nil {
				return err
			}
			return tx.HoldGrant(ctx, held)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, b, _ := usage(d, u.ID); b != 3010 {
			t.Fatalf("bytes before the purge = %d; want 3010 (three grants holding, two images)", b)
		}
		noCounterDrift(t, s)

		n, err := s.Purge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 { // the three expired grants' rows
			t.Fatalf("purge removed %d; want 3", n)
		}
		if n, err := s.Purge(ctx); err != nil || n != 0 {
			t.Fatalf("second purge = %d, %v; want 0", n, err)
		}
		if _, b, _ := usage(d, u.ID); b != 1010 {
			t.Fatalf("bytes after the purge = %d; want 1010 (the valid grant, the images)", b)
		}
		for key, want := range map[string]bool{expired.StagingKey: false, valid.StagingKey: true, used.StagingKey: true,
			held.StagingKey: false} {
			b, err := st.Open(ctx, key)
			if err == nil {
				b.Close()
			}
			if got := err == nil; got != want {
				t.Errorf("%s kept = %v (%v); want %v", key, got, err, want)
			}
		}
		for _, g := range []*db.UploadGrant{expired, used, held} {
			if _, err := d.GrantByID(ctx, u.ID, g.ID); !errors.Is(err, db.ErrGrantNotFound) {
				t.Errorf("expired grant %s kept: %v", g.StagingKey, err)
			}
		}
		noCounterDrift(t, s)
	})
}

// noCounterDrift fails the test when Check finds counters that differ
// from their rows.
func noCounterDrift(t *testing.T, s *scheduler.Scheduler) {
	t.Helper()
	problems, err := s.Check(context.Background(), scheduler.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if p.Kind == scheduler.ProblemCounterMismatch {
			t.Fatalf("Check: %s %s: %s", p.Kind, p.Subject, p.Detail)
		}
	}
}
