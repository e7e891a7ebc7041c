package s3store

import (
	"context"
	"fmt"
	"mime"
	"net/url"
	"path"

	"github.com/minio/minio-go/v7"

	"picpipe/storage"
)

var _ storage.Presigner = (*Store)(nil)

// PresignUpload implements storage.Presigner with an S3 POST policy (a
// browser-based upload): a form POST to the bucket that the server
// accepts only for exactly key, with a Content-Type field equal to
// policy.ContentType, a file of 1 to policy.MaxSize bytes
// (content-length-range) and before policy.Expires. A presigned PUT
// could not bound the size, so this is never one. The policy is signed
// with the store's credentials, locally; only the bucket's region is
// asked of the server (once). The URL is UploadEndpoint/Bucket when
// UploadEndpoint is set.
func (s *Store) PresignUpload(ctx context.Context, key string, policy storage.UploadPolicy) (*storage.PresignedUpload, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	p := minio.NewPostPolicy()
	for _, err := range []error{
		p.SetBucket(s.bucket), p.SetKey(s.object(key)), p.SetExpires(policy.Expires.UTC()),
		p.SetContentType(policy.ContentType), p.SetContentLengthRange(1, policy.MaxSize),
	} {
		if err != nil {
			return nil, fmt.Errorf("storage: presign %s: %w", key, err)
		}
	}
	u, fields, err := s.client.PresignedPostPolicy(ctx, p)
	if err != nil {
		return nil, s.fail(ctx, "presign", key, err)
	}
	if s.uploadEndpoint != nil {
		pub := *s.uploadEndpoint
		pub.Path = path.Join("/", pub.Path, s.bucket) + "/"
		u = &pub
	}
	return &storage.PresignedUpload{Method: "POST", URL: u.String(), Fields: fields}, nil
}

// contentType is the media type a blob is stored with, so that a public
// bucket or a CDN serves it as what it is: the type of its key's
// extension ("images/…/img_1.abc.webp" is image/webp), or
// application/octet-stream for a key without a known one (staged
// uploads, files).
func contentType(key string) string {
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// parseUploadEndpoint is cfg.UploadEndpoint parsed, or nil.
func parseUploadEndpoint(cfg Config) *url.URL {
	if cfg.UploadEndpoint == "" {
		return nil
	}
	u, _ := url.Parse(cfg.UploadEndpoint) // checked by Validate
	return u
}
