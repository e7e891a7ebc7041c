package s3store

import (
	"context"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// RemoveLeftovers implements storage.LeftoverCollector: it aborts the
// multipart uploads under the store's prefix whose last part (or, with
// no part, whose start) is older than before: those of Puts that died
// with their process, or whose abort failed because the server was
// gone. Readers never see them; they only hold the server's space.
func (s *Store) RemoveLeftovers(ctx context.Context, before time.Time) (int, error) {
	n := 0
	keyMarker, idMarker := "", ""
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, s.prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return n, s.fail(ctx, "remove leftovers", s.prefix, err)
		}
		for _, up := range res.Uploads {
			removed, err := s.abortIfStale(ctx, up, before)
			if err != nil {
				return n, err
			}
			if removed {
				n++
			}
		}
		if !res.IsTruncated {
			return n, nil
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}

// abortIfStale aborts up when neither it nor any of its parts is newer
// than before.
func (s *Store) abortIfStale(ctx context.Context, up minio.ObjectMultipartInfo, before time.Time) (bool, error) {
	key := strings.TrimPrefix(up.Key, s.prefix)
	if !up.Initiated.Before(before) {
		return false, nil
	}
	last, err := s.lastPart(ctx, up)
	if err != nil {
		return false, s.fail(ctx, "remove leftovers", key, err)
	}
	if !last.Before(before) {
		return false, nil // a Put still sending parts
	}
	err = s.core.AbortMultipartUpload(ctx, s.bucket, up.Key, up.UploadID)
	if code := minio.ToErrorResponse(err).Code; code == "NoSuchUpload" {
		return false, nil // completed or aborted meanwhile
	}
	if err != nil {
		return false, s.fail(ctx, "remove leftovers", key, err)
	}
	return true, nil
}

// lastPart returns when up last got a part, or its start without parts.
func (s *Store) lastPart(ctx context.Context, up minio.ObjectMultipartInfo) (time.Time, error) {
	last, marker := up.Initiated, 0
	for {
		res, err := s.core.ListObjectParts(ctx, s.bucket, up.Key, up.UploadID, marker, 1000)
		if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
			return last, nil
		}
		if err != nil {
			return last, err
		}
		for _, p := range res.ObjectParts {
			if p.LastModified.After(last) {
				last = p.LastModified
			}
		}
		if !res.IsTruncated {
			return last, nil
		}
		marker = res.NextPartNumberMarker
	}
}
