package db

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// NewLink returns the name of a new image's public link: 128 random
// bits in hex. Unlike Image.Hash, which anyone holding the photo can
// compute, it tells nothing of the image, so a link cannot be guessed
// from the bytes and the account.
func NewLink() string {
	var b [16]byte
	rand.Read(b[:]) // never fails on Linux
	return hex.EncodeToString(b[:])
}

// ImageByLink returns the user's live, not failed image whose link is
// link, or ErrImageNotFound.
func (d *DB) ImageByLink(ctx context.Context, userID, link string) (*Image, error) {
	if link == "" {
		return nil, ErrImageNotFound
	}
	return d.oneImage(ctx,
		"user_id = ? AND link = ? AND deleted_at IS NULL AND status <> ?",
		userID, link, StatusFailed)
}
