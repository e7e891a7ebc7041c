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

func TestPurge(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		root := t.TempDir()
		st, err := storage.NewLocal(root)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		s, err := scheduler.New(scheduler.Config{PurgeGrace: time.Hour},
			scheduler.Deps{DB: d, Store: st, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		u, _, _, err := d.CreateUserWithKey(ctx, "u", "free", "", now.Unix())
		if err != nil {
			t.Fatal(err)
		}
		put := func(key string, age time.Duration) string {
			if _, err := st.Put(ctx, key, strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
			mod := now.Add(-age)
			if err := os.Chtimes(filepath.Join(root, key), mod, mod); err != nil {
				t.Fatal(err)
			}
			return key
		}
		image := func(hash string, deletedAgo time.Duration, blobs ...string) *db.Image {
			img := &db.Image{ID: db.NewID(db.PrefixImage), UserID: u.ID, Status: db.StatusQueued, Hash: hash,
				SourceSHA256: hash, Quality: 82, CreatedAt: now.Unix(), UpdatedAt: now.Unix()}
			if len(blobs) > 0 {
				img.SourceKey = blobs[0]
			}
			if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
				t.Fatal(err)
			}
			if len(blobs) > 1 {
				img.OutputKey = blobs[1]
				if err := d.Exec(ctx, "UPDATE images SET output_key = ? WHERE id = ?", img.OutputKey, img.ID); err != nil {
					t.Fatal(err)
				}
				err := d.Exec(ctx, "INSERT INTO variants (image_id, kind, status, storage_key, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)",
					img.ID, db.VariantAVIF, db.StatusReady, blobs[2])
				if err != nil {
					t.Fatal(err)
				}
			}
			if deletedAgo > 0 {
				if err := d.DeleteImage(ctx, u.ID, img.ID, now.Add(-deletedAgo).Unix()); err != nil {
					t.Fatal(err)
				}
			}
			return img
		}
		liveAVIF, goneAVIF := put("images/u/live.avif", 3*time.Hour), put("images/u/gone.avif", 3*time.Hour)
		live := image("live", 0, "", put("images/u/live.webp", 3*time.Hour), liveAVIF)
		queued := image("queued", 0, put("staging/u/queued", 3*time.Hour))
		gone := image("gone", 2*time.Hour, put("staging/u/gone", 3*time.Hour),
			put("images/u/gone.webp", 3*time.Hour), goneAVIF)
		recent := image("recent", 10*time.Minute, "", put("images/u/recent.webp", 3*time.Hour), "")
		orphan := put("staging/u/orphan", 2*time.Hour)
		fresh := put("staging/u/fresh", 5*time.Minute)

		n, err := s.Purge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 5 { // gone's three blobs and row, the orphan
			t.Fatalf("first purge removed %d; want 5", n)
		}
		if n, err := s.Purge(ctx); err != nil || n != 0 {
			t.Fatalf("second purge removed %d (%v); want 0", n, err)
		}
		exists := func(key string) bool {
			b, err := st.Open(ctx, key)
			if err == nil {
				b.Close()
			}
			return err == nil
		}
		for _, key := range []string{live.OutputKey, liveAVIF, queued.SourceKey, recent.OutputKey, fresh} {
			if !exists(key) {
				t.Errorf("purge removed %s, which is still needed", key)
			}
		}
		for _, key := range []string{gone.SourceKey, gone.OutputKey, goneAVIF, orphan} {
			if exists(key) {
				t.Errorf("purge kept %s", key)
			}
		}
		if _, err := d.ImageForWork(ctx, gone.ID); !errors.Is(err, db.ErrImageNotFound) {
			t.Errorf("the long-deleted row is still there: %v", err)
		}
		if _, err := d.ImageForWork(ctx, recent.ID); err != nil {
			t.Errorf("the recently deleted row was purged: %v", err)
		}
	})
}

func TestResetTransformsTwice(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 0, 0, 5, 0, time.UTC)
		s, _ := scheduler.New(scheduler.Config{}, scheduler.Deps{DB: d, Now: func() time.Time { return now }})
		for _, name := range []string{"a", "b"} {
			u, _, _, err := d.CreateUserWithKey(ctx, name, "free", "", now.Unix())
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Exec(ctx, "UPDATE users SET transform_count = 7, transform_period = '2026-11' WHERE id = ?", u.ID); err != nil {
				t.Fatal(err)
			}
		}
		// Two workers run the month's reset at once, then once more later.
		results := make(chan int, 2)
		for range 2 {
			go func() {
				n, err := s.ResetTransforms(ctx)
				if err != nil {
					t.Error(err)
				}
				results <- n
			}()
		}
		if total := <-results + <-results; total != 2 {
			t.Fatalf("two concurrent resets reset %d accounts in all; want 2 (each once)", total)
		}
		if n, err := s.ResetTransforms(ctx); err != nil || n != 0 {
			t.Fatalf("third reset = %d, %v; want 0", n, err)
		}
	})
}

func TestPurgeFilesAndGrants(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		s, _ := scheduler.New(scheduler.Config{PurgeGrace: time.Hour},
			scheduler.Deps{DB: d, Store: st, Now: func() time.Time { return now }})
		u, _, _, err := d.CreateUserWithKey(ctx, "u", "free", "", now.Unix())
		if err != nil {
			t.Fatal(err)
		}
		file := func(name string, expiresIn time.Duration) *db.File {
			f := &db.File{ID: db.NewID(db.PrefixFile), UserID: u.ID, Status: db.StatusReady, Name: name,
				Size: 100, StorageKey: "files/" + u.ID + "/" + name, CreatedAt: now.Unix(), UpdatedAt: now.Unix()}
			if expiresIn != 0 {
				at := now.Add(expiresIn).Unix()
				f.ExpiresAt = &at
			}
			if _, err := st.Put(ctx, f.StorageKey, strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
			if _, err := d.InsertFile(ctx, f, db.Quota{}); err != nil {
				t.Fatal(err)
			}
			return f
		}
		expired := file("expired", -time.Minute)
		temporary := file("temporary", time.Hour)
		permanent := file("permanent", 0)
		deletedOld := file("deleted-old", 0)
		if err := d.DeleteFile(ctx, u.ID, deletedOld.ID, now.Add(-2*time.Hour).Unix()); err != nil {
			t.Fatal(err)
		}
		grant := &db.UploadGrant{ID: db.NewID(db.PrefixGrant), UserID: u.ID, KeyID: "ak_x", ContentType: "image/png",
			MaxSize: 10, StagingKey: "staging/" + u.ID + "/g", CreatedAt: now.Add(-3 * time.Hour).Unix(),
			ExpiresAt: now.Add(-2 * time.Hour).Unix()}
		if err := d.CreateGrant(ctx, grant, db.Quota{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := usage(d, u.ID); err != nil {
			t.Fatal(err)
		}
		n, err := s.Purge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 5 { // expired: blob + row; deleted-old: blob + row; the grant
			t.Fatalf("purge removed %d; want 5", n)
		}
		if n, err := s.Purge(ctx); err != nil || n != 0 {
			t.Fatalf("second purge = %d, %v; want 0", n, err)
		}
		for _, f := range []*db.File{expired, deletedOld} {
			if _, err := st.Open(ctx, f.StorageKey); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("blob of %s kept: %v", f.Name, err)
			}
			if _, err := d.FileForWork(ctx, f.ID); !errors.Is(err, db.ErrFileNotFound) {
				t.Errorf("row of %s kept: %v", f.Name, err)
			}
		}
		for _, f := range []*db.File{temporary, permanent} {
			if _, err := d.FileByID(ctx, u.ID, f.ID, now.Unix()); err != nil {
				t.Errorf("%s purged: %v", f.Name, err)
			}
		}
		if _, err := d.GrantByID(ctx, u.ID, grant.ID); !errors.Is(err, db.ErrGrantNotFound) {
			t.Errorf("expired grant kept: %v", err)
		}
		if _, bytes, _ := usage(d, u.ID); bytes != 200 {
			t.Fatalf("storage in use = %d; want 200 (the two live files)", bytes)
		}
	})
}

func usage(d *db.DB, id string) (int64, int64, error) {
	u, err := d.UserByID(context.Background(), id)
	if err != nil {
		return 0, 0, err
	}
	return u.ImageCount, u.StorageBytes, nil
}

// TestPurgeRemovesCrashLeftovers: the partial files of writes cut short
// by a crash (kill -9 of the API mid-upload) are removed once older than
// the grace; a write in progress and the blobs of live rows are not.
func TestPurgeRemovesCrashLeftovers(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	st, err := storage.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s, err := scheduler.New(scheduler.Config{PurgeGrace: time.Hour},
		scheduler.Deps{DB: testenv.SQLite(t), Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel string, age time.Duration) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("partial"), 0o640); err != nil {
			t.Fatal(err)
		}
		mod := now.Add(-age)
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
		return p
	}
	crashed := write("staging/u/.tmp-123", 2*time.Hour)
	crashedOut := write("images/u/.tmp-456", 3*time.Hour)
	inProgress := write("staging/u/.tmp-789", time.Minute)
	if _, err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{crashed: false, crashedOut: false, inProgress: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists: %v; want %v", p, err == nil, want)
		}
	}
}
