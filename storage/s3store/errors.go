package s3store

import (
	"context"
	"fmt"
	"net/http"

	"github.com/minio/minio-go/v7"

	"picpipe/storage"
)

// fullCodes are the S3 error codes of a server out of space or quota.
var fullCodes = map[string]bool{
	"XMinioStorageFull":              true,
	"XMinioAdminBucketQuotaExceeded": true,
}

// fail codes err, the failure of op's request for key, as the local
// store codes its own: a missing key wraps storage.ErrNotFound; a server
// out of space storage.ErrFull; anything else of the server's (refused
// or reset connections, timeouts, 5xx, a missing bucket, refused
// credentials) storage.ErrUnavailable, with the SDK's text for the logs
// only. When ctx has ended, the caller gave up: ctx's error comes back,
// uncoded. A nil err stays nil.
func (s *Store) fail(ctx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("storage: %s %s: %w", op, key, cerr)
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey":
		return fmt.Errorf("%w: %s", storage.ErrNotFound, key)
	case fullCodes[resp.Code] || resp.StatusCode == http.StatusInsufficientStorage:
		return storage.Fault(storage.ErrFull, op, key, err)
	}
	return storage.Fault(storage.ErrUnavailable, op, key, err)
}
