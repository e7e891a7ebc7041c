package db_test

import (
	"context"
	"errors"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

func TestImageByLink(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, other := newUser(t, d), newUser(t, d)
		img := newImage(u, "h1")
		img.Link = db.NewLink()
		if err := d.InsertImage(ctx, img, db.Quota{}); err != nil {
			t.Fatal(err)
		}
		if got, err := d.ImageByLink(ctx, u.ID, img.Link); err != nil || got.ID != img.ID {
			t.Fatalf("ImageByLink = %+v, %v; want %s", got, err, img.ID)
		}
		for name, try := range map[string]func() error{
			"by the hash":       func() error { _, err := d.ImageByLink(ctx, u.ID, "h1"); return err },
			"another account's": func() error { _, err := d.ImageByLink(ctx, other.ID, img.Link); return err },
			"an empty link":     func() error { _, err := d.ImageByLink(ctx, u.ID, ""); return err },
		} {
			if err := try(); !errors.Is(err, db.ErrImageNotFound) {
				t.Errorf("%s = %v; want ErrImageNotFound", name, err)
			}
		}
		if err := d.DeleteImage(ctx, u.ID, img.ID, 20); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ImageByLink(ctx, u.ID, img.Link); !errors.Is(err, db.ErrImageNotFound) {
			t.Fatalf("ImageByLink of a deleted image = %v; want ErrImageNotFound", err)
		}
		if a, b := db.NewLink(), db.NewLink(); a == b || len(a) != 32 {
			t.Fatalf("NewLink = %q, %q; want two different 32-character links", a, b)
		}
	})
}
