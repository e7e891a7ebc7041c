package main

import (
	"context"

	"picpipe/storage"
	_ "picpipe/storage/s3store" // s3:// in PICPIPE_STORAGE_URL
)

// openStore opens the blob store: the one PICPIPE_STORAGE_URL names when
// it is set, else the directory PICPIPE_STORAGE_DIR.
func (c config) openStore(ctx context.Context) (storage.Store, error) {
	if c.StorageURL == "" {
		return storage.NewLocal(c.StorageDir)
	}
	return storage.Open(ctx, c.StorageURL)
}
