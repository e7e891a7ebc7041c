package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tempPrefix starts the names of the files Local writes through before
// renaming them into place.
const tempPrefix = ".tmp-"

// LeftoverCollector is a Store whose writes can leave partial data behind
// when the process dies mid-write (Local's temporary files), with a way
// to remove it.
type LeftoverCollector interface {
	// RemoveLeftovers removes partial writes last touched before before
	// and returns how many it removed. A write in progress keeps touching
	// its data, so a grace longer than any write's stall spares it.
	RemoveLeftovers(ctx context.Context, before time.Time) (int, error)
}

var _ LeftoverCollector = (*Local)(nil)

// RemoveLeftovers implements LeftoverCollector: it removes the temporary
// files of writes that never finished (a crash between create and
// rename) modified before before.
func (l *Local) RemoveLeftovers(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := filepath.WalkDir(l.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // renamed or removed meanwhile
		} else if err != nil {
			return err
		}
		if fi.ModTime().Before(before) {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("storage: remove leftovers: %w", err)
	}
	return n, nil
}
