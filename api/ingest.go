package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"picpipe/db"
	"picpipe/jobs"
)

// urlHash names an image fetched from a URL: its bytes are not known when
// the row is made, so fetched images are not deduplicated.
func urlHash(id string) string {
	sum := sha256.Sum256([]byte("url|" + id))
	return hex.EncodeToString(sum[:16])
}

// recordImageURL records an image to be fetched from in.url, counting it
// against the image quota (its bytes count once fetched), and enqueues the
// ingest:url task. On error nothing is kept.
func (s *Server) recordImageURL(ctx context.Context, user *db.User, id string, in *upload, urgent bool) (*db.Image, error) {
	now := s.now().Unix()
	img := &db.Image{
		ID: id, UserID: user.ID, Status: db.StatusQueued, Hash: urlHash(id), Link: db.NewLink(), SourceURL: in.url,
		Quality: in.opts.Quality, Lossless: in.opts.Lossless,
		ResizeWidth: in.opts.Width, ResizeHeight: in.opts.Height, CreatedAt: now, UpdatedAt: now,
	}
	q := quota(s.planOf(user))
	if err := s.db.InsertImage(ctx, img, q); err != nil {
		return nil, err
	}
	task, err := jobs.NewIngestURLTask(jobs.IngestFor(jobs.IngestImage, id, s.planOf(user), urgent))
	if err == nil {
		err = s.enqueue(ctx, task)
	}
	if err != nil {
		s.discard(context.WithoutCancel(ctx), img)
		return nil, err
	}
	return img, nil
}
