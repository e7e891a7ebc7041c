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

func newUser(t *testing.T, d *db.DB) *db.User {
	t.Helper()
	u := &db.User{ID: db.NewID(db.PrefixUser), Name: "t", Plan: "free", Status: db.UserActive, CreatedAt: 1}
	if err := d.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func newImage(u *db.User, hash string) *db.Image {
	return &db.Image{ID: db.NewID(db.PrefixImage), UserID: u.ID, Status: db.StatusQueued,
		Hash: hash, SourceSHA256: hash, Quality: 82, CreatedAt: 10, UpdatedAt: 10}
}

func TestImageLifecycle(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, other := newUser(t, d), newUser(t, d)
		img := newImage(u, "h1")
		if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ImageByID(ctx, other.ID, img.ID); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("other user's ImageByID = %v; want ErrImageNotFound", err)
		}
		got, err := d.ClaimImage(ctx, img.ID, 20)
		if err != nil || got.Status != db.StatusProcessing || got.Attempts != 1 {
			t.Fatalf("ClaimImage = %+v, %v; want processing, attempts 1", got, err)
		}
		got.Format, got.Width, got.Height, got.UpdatedAt = "webp", 10, 20, 30
		if err := d.FinishImage(ctx, got); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ClaimImage(ctx, img.ID, 40); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("ClaimImage of a ready image = %v; want ErrImageNotFound", err)
		}
		if err := d.FailImage(ctx, got); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("FailImage of a ready image = %v; want ErrImageNotFound", err)
		}
		ready, err := d.ImageByID(ctx, u.ID, img.ID)
		if err != nil || ready.Status != db.StatusReady || ready.Width != 10 || ready.Format != "webp" {
			t.Fatalf("ImageByID = %+v, %v; want ready webp 10 wide", ready, err)
		}
		if err := d.DeleteImage(ctx, other.ID, img.ID, 50); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("other user's DeleteImage = %v; want ErrImageNotFound", err)
		}
		if err := d.DeleteImage(ctx, u.ID, img.ID, 50); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ImageByID(ctx, u.ID, img.ID); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("ImageByID after delete = %v; want ErrImageNotFound", err)
		}
		if err := d.DeleteImage(ctx, u.ID, img.ID, 60); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("second DeleteImage = %v; want ErrImageNotFound", err)
		}
	})
}

func TestInsertImageDedup(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, other := newUser(t, d), newUser(t, d)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { errs[i] = d.InsertImage(ctx, newImage(u, "same"), db.Quota{}) })
		}
		wg.Wait()
		var ok, exists int
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, db.ErrImageExists):
				exists++
			default:
				t.Fatalf("InsertImage: %v", err)
			}
		}
		if ok != 1 || exists != n-1 {
			t.Fatalf("concurrent inserts: %d ok, %d exists; want 1, %d", ok, exists, n-1)
		}
		if err := d.InsertImage(ctx, newImage(other, "same"), db.Quota{}); err != nil {
			t.Fatalf("same hash for another user: %v", err)
		}
		// A failed image frees its hash for a retry.
		first, err := d.ImageByHash(ctx, u.ID, "same")
		if err != nil {
			t.Fatal(err)
		}
		first.ErrorCode = "decode_failed"
		if err := d.FailImage(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := d.InsertImage(ctx, newImage(u, "same"), db.Quota{}); err != nil {
			t.Fatalf("insert after failure: %v", err)
		}
	})
}

func TestListImagesCursor(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, other := newUser(t, d), newUser(t, d)
		var want []string
		for i := range 7 {
			img := newImage(u, fmt.Sprint("h", i))
			if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
				t.Fatal(err)
			}
			want = append([]string{img.ID}, want...)
		}
		if err := d.InsertImage(ctx, newImage(other, "x"), db.Quota{}); err != nil {
			t.Fatal(err)
		}
		if err := d.DeleteImage(ctx, u.ID, want[3], 1); err != nil {
			t.Fatal(err)
		}
		want = append(want[:3], want[4:]...)
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			page, err := d.ListImages(ctx, u.ID, cursor, 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, img := range page {
				got = append(got, img.ID)
			}
			if len(page) < 4 {
				break
			}
			cursor = page[len(page)-1].ID
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("paged ids = %v; want %v", got, want)
		}
	})
}

func TestStuckImages(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		old, fresh, done := newImage(u, "a"), newImage(u, "b"), newImage(u, "c")
		old.UpdatedAt, fresh.UpdatedAt, done.UpdatedAt = 100, 900, 100
		for _, img := range []*db.Image{old, fresh, done} {
			if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
				t.Fatal(err)
			}
		}
		done.ErrorCode = "x"
		if err := d.FailImage(ctx, done); err != nil {
			t.Fatal(err)
		}
		got, err := d.StuckImages(ctx, 500, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != old.ID {
			t.Fatalf("StuckImages = %v; want only %s", got, old.ID)
		}
	})
}

func TestNewIDSortsByTime(t *testing.T) {
	prev := db.NewID(db.PrefixImage)
	for range 1000 {
		id := db.NewID(db.PrefixImage)
		if len(id) != len("img_")+26 || id <= prev {
			t.Fatalf("NewID %q after %q: want 30 chars, increasing", id, prev)
		}
		prev = id
	}
}
