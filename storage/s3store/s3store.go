package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"picpipe/storage"
)

// Store is a storage.Store on a bucket of an S3-compatible server.
type Store struct {
	client *minio.Client
	core   minio.Core // the same client, for multipart uploads
	bucket string
	prefix string // "" or "prefix/"
	// partSize is the size of the parts of multipart uploads.
	partSize int
	// uploadEndpoint is where browsers send presigned uploads; nil: the
	// client's endpoint.
	uploadEndpoint *url.URL
}

var (
	_ storage.Store             = (*Store)(nil)
	_ storage.LeftoverCollector = (*Store)(nil)
)

func init() {
	storage.Register("s3", func(_ context.Context, u *url.URL) (storage.Store, error) {
		cfg, err := configFromURL(u)
		if err != nil {
			return nil, err
		}
		return New(cfg)
	})
}

// New returns a Store on the bucket cfg names. It makes no request: a
// wrong bucket or unreachable server shows in the first operation. It
// returns an error for an invalid cfg or when no credentials are found.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	creds, err := cfg.credentials()
	if err != nil {
		return nil, err
	}
	endpoint, secure := "s3.amazonaws.com", true
	if cfg.Endpoint != "" {
		u, _ := url.Parse(cfg.Endpoint) // checked by Validate
		endpoint, secure = u.Host, u.Scheme == "https"
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds: creds, Secure: secure, Region: cfg.region(), MaxRetries: cfg.retries(),
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: %w", err)
	}
	s := &Store{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket, partSize: int(cfg.partSize()),
		uploadEndpoint: parseUploadEndpoint(cfg)}
	if cfg.Prefix != "" {
		s.prefix = cfg.Prefix + "/"
	}
	return s, nil
}

// object is the object name of key.
func (s *Store) object(key string) string { return s.prefix + key }

// Put implements storage.Store. A blob smaller than a part goes up in
// one PUT; a larger one as a multipart upload, one part buffered at a
// time, which is aborted when anything fails. Either becomes visible
// whole, when its last request succeeds, with the Content-Type of its
// key's extension. Errors of r and of ctx come back
// wrapped but uncoded; failures of the server carry storage.ErrFull or
// storage.ErrUnavailable.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := storage.CheckKey(key); err != nil {
		return 0, err
	}
	src := ctxReader{ctx, r}
	part, err := readPart(src, nil, s.partSize)
	if err != nil {
		return 0, fmt.Errorf("storage: put %s: %w", key, err)
	}
	if len(part) < s.partSize {
		_, err = s.core.PutObject(ctx, s.bucket, s.object(key), bytes.NewReader(part), int64(len(part)), "", "",
			minio.PutObjectOptions{ContentType: contentType(key)})
		if err != nil {
			return 0, s.fail(ctx, "put", key, err)
		}
		return int64(len(part)), nil
	}
	return s.putMultipart(ctx, key, src, part)
}

// putMultipart uploads part, a full one, and the rest of src as the
// parts of one multipart upload, and completes it; on error it aborts it.
func (s *Store) putMultipart(ctx context.Context, key string, src io.Reader, part []byte) (int64, error) {
	obj := s.object(key)
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, obj, minio.PutObjectOptions{ContentType: contentType(key)})
	if err != nil {
		return 0, s.fail(ctx, "put", key, err)
	}
	n, err := s.putParts(ctx, key, id, src, part)
	if err != nil {
		// Not under ctx: a cancelled Put must still remove its parts. When
		// this fails too (the server is gone), RemoveLeftovers will.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		s.core.AbortMultipartUpload(actx, s.bucket, obj, id)
	}
	return n, err
}

// putParts uploads the parts of upload id, part and then the rest of
// src, reading each into the buffer of the one before, and completes it.
func (s *Store) putParts(ctx context.Context, key, id string, src io.Reader, part []byte) (int64, error) {
	obj := s.object(key)
	var done []minio.CompletePart
	var total int64
	for len(part) > 0 {
		if len(done) == maxParts {
			return total, fmt.Errorf("storage: put %s: more than %d parts of %d bytes", key, maxParts, s.partSize)
		}
		up, err := s.core.PutObjectPart(ctx, s.bucket, obj, id, len(done)+1,
			bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{})
		if err != nil {
			return total, s.fail(ctx, "put", key, err)
		}
		done = append(done, minio.CompletePart{PartNumber: up.PartNumber, ETag: up.ETag})
		total += int64(len(part))
		if len(part) < s.partSize {
			break // that was the end of src
		}
		if part, err = readPart(src, part, s.partSize); err != nil {
			return total, fmt.Errorf("storage: put %s: %w", key, err)
		}
	}
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, obj, id, done, minio.PutObjectOptions{}); err != nil {
		return total, s.fail(ctx, "put", key, err)
	}
	return total, nil
}

// Delete implements storage.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.object(key), minio.RemoveObjectOptions{})
	if err = s.fail(ctx, "delete", key, err); errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

// List implements storage.Store: prefix "" lists the whole store, and
// "a" or "a/" the keys under a/ (not "ab").
func (s *Store) List(ctx context.Context, prefix string, fn func(string, time.Time) error) error {
	p := strings.TrimSuffix(prefix, "/")
	if p != "" {
		if err := storage.CheckKey(p); err != nil {
			return err
		}
		p += "/"
	}
	opts := minio.ListObjectsOptions{Prefix: s.object(p), Recursive: true}
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, opts) {
		if obj.Err != nil {
			return s.fail(ctx, "list", prefix, obj.Err)
		}
		key := strings.TrimPrefix(obj.Key, s.prefix)
		if strings.HasSuffix(key, "/") {
			continue // a directory marker, not a blob
		}
		if err := fn(key, obj.LastModified); err != nil {
			return fmt.Errorf("storage: list %s: %w", prefix, err)
		}
	}
	return nil
}

// readPart reads from r into buf, from its start, until it holds size
// bytes or r ends; the end of r is not an error. It grows buf as it
// fills, so that a small blob costs only about its size.
func readPart(r io.Reader, buf []byte, size int) ([]byte, error) {
	buf = buf[:0]
	for len(buf) < size {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(max(cap(buf), 32<<10), size-len(buf)))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), size)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		} else if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// ctxReader stops a Put when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
