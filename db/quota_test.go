package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

func usage(t *testing.T, d *db.DB, id string) (images, bytes int64) {
	t.Helper()
	u, err := d.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u.ImageCount, u.StorageBytes
}

func TestQuotaIsExactUnderConcurrency(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		q := db.Quota{MaxImages: 5, MaxStorageBytes: 1 << 20}
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range 20 {
			wg.Go(func() {
				img := newImage(u, fmt.Sprint("h", i))
				img.SourceSize = 1000
				errs[i] = d.InsertImage(ctx, img, q)
			})
		}
		wg.Wait()
		ok, over := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, db.ErrQuotaExceeded):
				over++
			default:
				t.Fatal(err)
			}
		}
		if ok != 5 || over != 15 {
			t.Fatalf("%d stored, %d refused; want 5, 15", ok, over)
		}
		if n, b := usage(t, d, u.ID); n != 5 || b != 5000 {
			t.Fatalf("usage = %d images, %d bytes; want 5, 5000", n, b)
		}
		big := newImage(u, "big")
		big.SourceSize = 1 << 20
		if err := d.InsertImage(ctx, big, db.Quota{MaxStorageBytes: 1 << 20}); !errors.Is(err, db.ErrQuotaExceeded) {
			t.Fatalf("insert over the byte quota = %v; want ErrQuotaExceeded", err)
		}
	})
}

func TestQuotaReleasedOnceByFailureAndDeletion(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		mk := func(hash string) *db.Image {
			img := newImage(u, hash)
			img.SourceSize = 100
			if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
				t.Fatal(err)
			}
			return img
		}
		failed, deleted, both, ready := mk("a"), mk("b"), mk("c"), mk("d")
		if n, b := usage(t, d, u.ID); n != 4 || b != 400 {
			t.Fatalf("usage = %d, %d; want 4, 400", n, b)
		}
		if err := d.FailImage(ctx, failed); err != nil {
			t.Fatal(err)
		}
		if err := d.DeleteImage(ctx, u.ID, deleted.ID, 5); err != nil {
			t.Fatal(err)
		}
		// A worker failing an image the user deleted meanwhile gives nothing back twice.
		if err := d.FailImage(ctx, deleted); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("FailImage of a deleted image = %v; want ErrImageNotFound", err)
		}
		if err := d.FailImage(ctx, both); err != nil {
			t.Fatal(err)
		}
		if err := d.DeleteImage(ctx, u.ID, both.ID, 5); err != nil {
			t.Fatal(err)
		}
		claimed, _ := d.ClaimImage(ctx, ready.ID, 6)
		claimed.UpdatedAt = 1_800_000_000
		if err := d.FinishImage(ctx, claimed); err != nil {
			t.Fatal(err)
		}
		if n, b := usage(t, d, u.ID); n != 1 || b != 100 {
			t.Fatalf("usage = %d, %d; want 1, 100 (only the ready image)", n, b)
		}
		if err := d.RemoveImage(ctx, ready); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("RemoveImage of a ready image = %v; want ErrImageNotFound", err)
		}
		fresh := mk("e")
		if err := d.RemoveImage(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		if n, b := usage(t, d, u.ID); n != 1 || b != 100 {
			t.Fatalf("usage after RemoveImage = %d, %d; want 1, 100", n, b)
		}
	})
}

func TestTransformCountAndReset(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		finish := func(hash string, at int64) {
			img := newImage(u, hash)
			if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
				t.Fatal(err)
			}
			img.UpdatedAt = at
			if err := d.FinishImage(ctx, img); err != nil {
				t.Fatal(err)
			}
		}
		sep := int64(1_790_000_000) // 2026-09-21 UTC
		nov := int64(1_795_000_000) // 2026-11-18 UTC
		finish("a", sep)
		finish("b", sep)
		user, _ := d.UserByID(ctx, u.ID)
		if got := user.TransformsIn(db.Period(sep)); got != 2 {
			t.Fatalf("transforms in %s = %d; want 2", db.Period(sep), got)
		}
		for run := range 2 {
			n, err := d.ResetTransforms(ctx, db.Period(nov))
			if err != nil {
				t.Fatal(err)
			}
			want := int64(1)
			if run == 1 {
				want = 0
			}
			if n != want {
				t.Fatalf("reset run %d reset %d users; want %d", run, n, want)
			}
			if run == 0 {
				finish("c", nov) // counted after the reset: kept by the second run
			}
		}
		user, _ = d.UserByID(ctx, u.ID)
		if got := user.TransformsIn(db.Period(nov)); got != 1 {
			t.Fatalf("transforms in %s = %d; want 1", db.Period(nov), got)
		}
		if got := user.TransformsIn(db.Period(sep)); got != 0 {
			t.Fatalf("old period still reads %d", got)
		}
	})
}
