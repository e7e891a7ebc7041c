package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

func newGrant(u *db.User, keyID string, maxSize int64) *db.UploadGrant {
	id := db.NewID(db.PrefixGrant)
	return &db.UploadGrant{ID: id, UserID: u.ID, KeyID: keyID, ContentType: "image/png", MaxSize: maxSize,
		StagingKey: "staging/" + u.ID + "/" + id, CreatedAt: 10, ExpiresAt: 3610}
}

// noDrift fails the test when a user's counters differ from the sums of
// their rows, as picpipe check would report.
func noDrift(t *testing.T, d *db.DB) {
	t.Helper()
	drift, err := d.CounterDrifts(context.Background())
	if err != nil || len(drift) != 0 {
		t.Fatalf("CounterDrifts = %+v, %v; want none", drift, err)
	}
}

// TestGrantReservesQuota follows one grant's bytes: reserved when it is
// issued (or refused when they do not fit), given back once when it is
// used, in the transaction where the image counts its own.
func TestGrantReservesQuota(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		q := db.Quota{MaxImages: 1, MaxStorageBytes: 100}
		g := newGrant(u, "ak_1", 60)
		if err := d.CreateGrant(ctx, g, q); err != nil {
			t.Fatal(err)
		}
		if n, b := usage(t, d, u.ID); n != 0 || b != 60 {
			t.Fatalf("usage after a grant of 60 = %d, %d; want 0 images, 60 bytes", n, b)
		}
		noDrift(t, d)
		over := newGrant(u, "ak_1", 41)
		if err := d.CreateGrant(ctx, over, q); !errors.Is(err, db.ErrQuotaExceeded) {
			t.Fatalf("a grant past the quota = %v; want ErrQuotaExceeded", err)
		}
		if _, err := d.GrantByID(ctx, u.ID, over.ID); !errors.Is(err, db.ErrGrantNotFound) {
			t.Fatalf("the refused grant was kept: %v", err)
		}
		// Used: the reservation goes, the image's own 30 bytes come.
		g.Size, g.SHA256 = 30, "abc"
		img := newImage(u, "h")
		img.SourceSize = 30
		err := d.RunInTx(ctx, func(tx *db.DB) error {
			if err := tx.UseGrant(ctx, g, 20); err != nil {
				return err
			}
			return tx.InsertImage(ctx, img, q)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, b := usage(t, d, u.ID); n != 1 || b != 30 {
			t.Fatalf("usage after use = %d, %d; want 1 image, 30 bytes", n, b)
		}
		if err := d.UseGrant(ctx, g, 21); !errors.Is(err, db.ErrGrantSpent) {
			t.Fatalf("second use = %v; want ErrGrantSpent", err)
		}
		if err := d.PurgeGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		if n, b := usage(t, d, u.ID); n != 1 || b != 30 {
			t.Fatalf("usage after second use and purge = %d, %d; want unchanged 1, 30", n, b)
		}
		noDrift(t, d)
	})
}

// TestGrantRefusedUseKeepsReservation: a use whose image does not fit
// rolls back with it, and the grant keeps its reservation.
func TestGrantRefusedUseKeepsReservation(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		q := db.Quota{MaxImages: 1, MaxStorageBytes: 1000}
		if err := d.InsertImage(ctx, newImage(u, "first"), q); err != nil {
			t.Fatal(err)
		}
		g := newGrant(u, "ak_1", 100)
		if err := d.CreateGrant(ctx, g, q); err != nil {
			t.Fatal(err)
		}
		err := d.RunInTx(ctx, func(tx *db.DB) error {
			if err := tx.UseGrant(ctx, g, 20); err != nil {
				return err
			}
			return tx.InsertImage(ctx, newImage(u, "second"), q)
		})
		if !errors.Is(err, db.ErrQuotaExceeded) {
			t.Fatalf("use past the image quota = %v; want ErrQuotaExceeded", err)
		}
		if got, err := d.GrantByID(ctx, u.ID, g.ID); err != nil || got.UsedAt != nil {
			t.Fatalf("grant after the refused use = %+v, %v; want still open", got, err)
		}
		if _, b := usage(t, d, u.ID); b != 100 {
			t.Fatalf("bytes after the refused use = %d; want the 100 reserved", b)
		}
		noDrift(t, d)
	})
}

// TestGrantsConcurrentAgainstSmallQuota issues 20 grants of 30 bytes at
// once against a quota of 100: exactly three fit.
func TestGrantsConcurrentAgainstSmallQuota(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		q := db.Quota{MaxStorageBytes: 100}
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Go(func() { errs[i] = d.CreateGrant(ctx, newGrant(u, "ak_1", 30), q) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, db.ErrQuotaExceeded):
				t.Fatal(err)
			}
		}
		if _, b := usage(t, d, u.ID); ok != 3 || b != 90 {
			t.Fatalf("%d grants issued, %d bytes reserved; want 3, 90", ok, b)
		}
		noDrift(t, d)
	})
}

// TestGrantReleasedExactlyOnce races the use of each of 20 grants (and
// the hold of a bucket's grant after it) against its purge, as a
// confirmation at the moment of expiry would: each reservation comes back
// once, whichever wins.
func TestGrantReleasedExactlyOnce(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		grants := make([]*db.UploadGrant, 20)
		for i := range grants {
			grants[i] = newGrant(u, "ak_1", 10)
			if err := d.CreateGrant(ctx, grants[i], db.Quota{}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for i, g := range grants {
			wg.Go(func() {
				err := d.RunInTx(ctx, func(tx *db.DB) error {
					if err := tx.UseGrant(ctx, g, 20); err != nil || i%2 == 0 {
						return err
					}
					return tx.HoldGrant(ctx, g)
				})
				if err != nil && !errors.Is(err, db.ErrGrantSpent) {
					t.Error(err)
				}
			})
			wg.Go(func() {
				if err := d.PurgeGrant(ctx, g); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if _, b := usage(t, d, u.ID); b != 0 {
			t.Fatalf("bytes after every grant ended = %d; want 0", b)
		}
		if gs, err := d.ExpiredGrants(ctx, 1<<40, 100); err != nil || len(gs) != 0 {
			t.Fatalf("grants left = %d, %v; want none", len(gs), err)
		}
		noDrift(t, d)
	})
}

// TestHoldGrant: a grant whose presigned request stays valid after its
// use (a bucket's POST policy) holds its size again, past the quota if
// need be, until the purge releases it.
func TestHoldGrant(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		q := db.Quota{MaxStorageBytes: 100}
		g := newGrant(u, "ak_1", 60)
		if err := d.CreateGrant(ctx, g, q); err != nil {
			t.Fatal(err)
		}
		img := newImage(u, "h")
		img.SourceSize = 60
		err := d.RunInTx(ctx, func(tx *db.DB) error {
			if err := tx.UseGrant(ctx, g, 20); err != nil {
				return err
			}
			if err := tx.InsertImage(ctx, img, q); err != nil {
				return err
			}
			return tx.HoldGrant(ctx, g)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, b := usage(t, d, u.ID); b != 120 {
			t.Fatalf("bytes with the image and the held grant = %d; want 120, over the quota", b)
		}
		noDrift(t, d)
		if err := d.CreateGrant(ctx, newGrant(u, "ak_1", 1), q); !errors.Is(err, db.ErrQuotaExceeded) {
			t.Fatalf("a grant while over the quota = %v; want ErrQuotaExceeded", err)
		}
		if err := d.HoldGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, b := usage(t, d, u.ID); b != 120 {
			t.Fatalf("bytes after holding twice = %d; want 120", b)
		}
		if err := d.PurgeGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		if err := d.HoldGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, b := usage(t, d, u.ID); b != 60 {
			t.Fatalf("bytes after the purge (and a late hold) = %d; want the image's 60", b)
		}
		noDrift(t, d)
	})
}

// TestFixCountersCountsOpenGrants: the consistency check's sums include
// what open grants reserve, and its repair restores it.
func TestFixCountersCountsOpenGrants(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		open, used := newGrant(u, "ak_1", 70), newGrant(u, "ak_1", 5)
		for _, g := range []*db.UploadGrant{open, used} {
			if err := d.CreateGrant(ctx, g, db.Quota{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.UseGrant(ctx, used, 20); err != nil {
			t.Fatal(err)
		}
		noDrift(t, d)
		if err := d.Exec(ctx, "UPDATE users SET storage_bytes = 0 WHERE id = ?", u.ID); err != nil {
			t.Fatal(err)
		}
		drift, err := d.CounterDrifts(ctx)
		if err != nil || len(drift) != 1 || drift[0].WantBytes != 70 {
			t.Fatalf("CounterDrifts = %+v, %v; want one user wanting 70 bytes", drift, err)
		}
		if err := d.FixCounters(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, b := usage(t, d, u.ID); b != 70 {
			t.Fatalf("bytes after FixCounters = %d; want 70", b)
		}
		noDrift(t, d)
	})
}

// TestGrantToUpload finds a grant by id alone while the key that asked
// for it is live, and not once that key is revoked.
func TestGrantToUpload(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, k, _, err := d.CreateUserWithKey(ctx, "t", "free", "", 1)
		if err != nil {
			t.Fatal(err)
		}
		g := newGrant(u, k.ID, 10)
		if err := d.CreateGrant(ctx, g, db.Quota{}); err != nil {
			t.Fatal(err)
		}
		if got, err := d.GrantToUpload(ctx, g.ID); err != nil || got.UserID != u.ID {
			t.Fatalf("GrantToUpload = %+v, %v", got, err)
		}
		if err := d.RevokeAPIKey(ctx, u.ID, k.ID, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := d.GrantToUpload(ctx, g.ID); !errors.Is(err, db.ErrGrantNotFound) {
			t.Fatalf("GrantToUpload after the key was revoked = %v; want ErrGrantNotFound", err)
		}
	})
}
