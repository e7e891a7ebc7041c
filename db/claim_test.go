package db_test

import (
	"context"
	"errors"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

// TestClaimsFence: each claim of an image or a variant takes a new
// attempt and names the one it took over; only the latest attempt's
// outcome is recorded; a variant's end releases the staged source once no
// variant needs it; a deleted image's variant is not claimed. On SQLite
// and PostgreSQL.
func TestClaimsFence(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		img := newImage(u, "claims")
		img.SourceKey = "staging/" + u.ID + "/" + img.ID
		if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
			t.Fatal(err)
		}
		first, err := d.ClaimImage(ctx, img.ID, 20)
		if err != nil || first.PrevAttempt != "" || first.Attempts != 1 || first.Attempt == "" {
			t.Fatalf("first claim = %+v, %v; want attempt 1 over none", first, err)
		}
		second, err := d.ClaimImage(ctx, img.ID, 21)
		if err != nil || second.PrevAttempt != first.Attempt || second.Attempts != 2 || second.Attempt == first.Attempt {
			t.Fatalf("second claim = %+v, %v; want attempt 2 over %s", second, err, first.Attempt)
		}
		if second.SourceKey != img.SourceKey || second.UserID != u.ID || second.Status != db.StatusProcessing {
			t.Fatalf("second claim returned %+v; want the whole row, processing", second)
		}
		first.Format, first.OutputKey, first.UpdatedAt = "webp", "o1", 30
		if err := d.FinishImage(ctx, first, db.VariantAVIF); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("FinishImage by the replaced attempt = %v; want ErrImageNotFound", err)
		}
		second.Format, second.OutputKey, second.OutputSize, second.UpdatedAt = "webp", "o2", 100, 31
		if err := d.FinishImage(ctx, second, db.VariantAVIF); err != nil {
			t.Fatal(err)
		}

		v1, got, err := d.ClaimVariant(ctx, img.ID, db.VariantAVIF, 40)
		if err != nil || v1.PrevAttempt != "" || v1.Attempts != 1 || got.OutputKey != "o2" || got.SourceKey != img.SourceKey {
			t.Fatalf("variant claim = %+v, %+v, %v; want attempt 1 and the ready image", v1, got, err)
		}
		v2, _, err := d.ClaimVariant(ctx, img.ID, db.VariantAVIF, 41)
		if err != nil || v2.PrevAttempt != v1.Attempt || v2.Attempts != 2 {
			t.Fatalf("second variant claim = %+v, %v; want attempt 2 over %s", v2, err, v1.Attempt)
		}
		v1.Status, v1.StorageKey, v1.Size, v1.UpdatedAt = db.StatusReady, "a1", 50, 50
		if _, err := d.EndVariant(ctx, v1); !errors.Is(err, db.ErrVariantNotFound) {
			t.Fatalf("EndVariant by the replaced attempt = %v; want ErrVariantNotFound", err)
		}
		v2.Status, v2.StorageKey, v2.Size, v2.Served, v2.UpdatedAt = db.StatusReady, "a2", 50, db.ServedOptimized, 51
		source, err := d.EndVariant(ctx, v2)
		if err != nil || source != img.SourceKey {
			t.Fatalf("EndVariant = %q, %v; want the source %s released", source, err, img.SourceKey)
		}
		if after, _ := d.ImageForWork(ctx, img.ID); after.SourceKey != "" || after.Status != db.StatusReady {
			t.Fatalf("after the last variant: %+v; want ready, no source", after)
		}
		if v, _ := d.VariantOf(ctx, img.ID, db.VariantAVIF); v.Status != db.StatusReady || v.StorageKey != "a2" {
			t.Fatalf("variant %+v; want ready a2", v)
		}
		if _, _, err := d.ClaimVariant(ctx, img.ID, db.VariantAVIF, 60); !errors.Is(err, db.ErrVariantNotFound) {
			t.Fatalf("claim of a final variant = %v; want ErrVariantNotFound", err)
		}

		deleted := newImage(u, "deleted")
		if err := d.InsertImage(ctx, deleted, db.Quota{}); err != nil {
			t.Fatal(err)
		}
		c, _ := d.ClaimImage(ctx, deleted.ID, 70)
		c.Format, c.OutputKey, c.UpdatedAt = "webp", "o", 71
		if err := d.FinishImage(ctx, c, db.VariantAVIF); err != nil {
			t.Fatal(err)
		}
		if err := d.DeleteImage(ctx, u.ID, deleted.ID, 72); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.ClaimVariant(ctx, deleted.ID, db.VariantAVIF, 73); !errors.Is(err, db.ErrVariantNotFound) {
			t.Fatalf("claim of a deleted image's variant = %v; want ErrVariantNotFound", err)
		}
	})
}
