package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"picpipe/db"
	"picpipe/storage"
)

// purgeBatch bounds the deleted images one purge run removes.
const purgeBatch = 500

// Purge removes what no live row needs any more: temporary files past
// their expiry (giving their quota back), upload grants past theirs
// (giving back what they hold, with the bytes no image took), and,
// older than PurgeGrace, the blobs and rows of deleted images (with their
// variants) and files, staged uploads no row points to (a crash after
// staging, an upload refused mid-way), and the partial writes of
// processes that died mid-write; the Idempotency-Key records past
// their 24 hours; and the webhook events dispatched and the delivery
// log older than EventRetention (30 days). It returns how many blobs and rows it removed. A blob a live row points to is never
// touched, and running it twice removes nothing more.
func (s *Scheduler) Purge(ctx context.Context) (int, error) {
	now := s.deps.Now()
	before := now.Add(-s.cfg.PurgeGrace)
	total := 0
	for _, step := range []func() (int, error){
		func() (int, error) { return s.purgeDeletedImages(ctx, before.Unix()) },
		func() (int, error) { return s.purgeFiles(ctx, now.Unix(), before.Unix()) },
		func() (int, error) { return s.purgeGrants(ctx, now.Unix()) },
		func() (int, error) { return s.purgeStaging(ctx, before) },
		func() (int, error) { return s.purgeLeftovers(ctx, before) },
		func() (int, error) { return s.deps.DB.PurgeIdempotencyKeys(ctx, now.Unix()) },
		func() (int, error) { return s.purgeEvents(ctx) },
	} {
		n, err := step()
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// purgeFiles removes the blobs and rows of files expired by now or
// deleted before the Unix second deletedBefore.
func (s *Scheduler) purgeFiles(ctx context.Context, now, deletedBefore int64) (int, error) {
	files, err := s.deps.DB.ExpiredFiles(ctx, now, deletedBefore, purgeBatch)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, f := range files {
		// The blob first: an expired or deleted file is never served, and
		// a row left by a failure here is found again by the next run.
		if f.StorageKey != "" {
			if err := s.deps.Store.Delete(ctx, f.StorageKey); err != nil {
				return removed, err
			}
			removed++
		}
		if err := s.deps.DB.PurgeFile(ctx, f.ID, now); err != nil && !errors.Is(err, db.ErrFileNotFound) {
			return removed, err
		}
		removed++
	}
	return removed, nil
}

// purgeGrants removes the upload grants expired by now, releasing what
// each still holds against its account's quota (PurgeGrant, once, even
// against a use at the same moment), and then what was uploaded under
// its key, unless that is an image's source now (a local upload, used):
// bytes never used, or sent again to a bucket after the use. A failure
// to delete them leaves them to purgeStaging.
func (s *Scheduler) purgeGrants(ctx context.Context, now int64) (int, error) {
	grants, err := s.deps.DB.ExpiredGrants(ctx, now, purgeBatch)
	if err != nil {
		return 0, err
	}
	removed := 0
	for i := range grants {
		g := &grants[i]
		if err := s.deps.DB.PurgeGrant(ctx, g); errors.Is(err, db.ErrGrantNotFound) {
			continue // purged by another run meanwhile
		} else if err != nil {
			return removed, err
		}
		removed++
		used, err := s.deps.DB.SourceKeyInUse(ctx, g.StagingKey)
		if err == nil && !used {
			err = s.deps.Store.Delete(ctx, g.StagingKey)
		}
		if err != nil {
			return removed, fmt.Errorf("scheduler: purge %s: %w", g.StagingKey, err)
		}
	}
	return removed, nil
}

// purgeDeletedImages removes the blobs and then the rows of images
// deleted before the Unix second before. Blob keys are per image, so no
// other row shares them.
func (s *Scheduler) purgeDeletedImages(ctx context.Context, before int64) (int, error) {
	imgs, err := s.deps.DB.DeletedImagesBefore(ctx, before, purgeBatch)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, img := range imgs {
		variants, err := s.deps.DB.VariantsOf(ctx, img.ID)
		if err != nil {
			return removed, err
		}
		keys := []string{img.OutputKey, img.SourceKey}
		for _, v := range variants {
			keys = append(keys, v.StorageKey)
		}
		for _, key := range keys {
			if key == "" {
				continue
			}
			if err := s.deps.Store.Delete(ctx, key); err != nil {
				return removed, err
			}
			removed++
		}
		if err := s.deps.DB.PurgeImage(ctx, img.ID); err != nil && !errors.Is(err, db.ErrImageNotFound) {
			return removed, err
		}
		removed++
	}
	return removed, nil
}

// purgeStaging removes staged uploads older than before that no live
// image nor upload grant points to.
func (s *Scheduler) purgeStaging(ctx context.Context, before time.Time) (int, error) {
	var stale []string
	err := s.deps.Store.List(ctx, "staging", func(key string, mod time.Time) error {
		if mod.Before(before) {
			stale = append(stale, key)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, key := range stale {
		used, err := s.deps.DB.SourceKeyInUse(ctx, key)
		if err == nil && !used {
			used, err = s.deps.DB.StagingKeyGranted(ctx, key)
		}
		if err != nil {
			return removed, err
		}
		if used {
			continue
		}
		if err := s.deps.Store.Delete(ctx, key); err != nil {
			return removed, fmt.Errorf("scheduler: purge %s: %w", key, err)
		}
		removed++
	}
	return removed, nil
}

// purgeLeftovers removes partial writes older than before, where the
// store can leave them.
func (s *Scheduler) purgeLeftovers(ctx context.Context, before time.Time) (int, error) {
	lc, ok := s.deps.Store.(storage.LeftoverCollector)
	if !ok {
		return 0, nil
	}
	return lc.RemoveLeftovers(ctx, before)
}
