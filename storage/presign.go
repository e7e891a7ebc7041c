package storage

import (
	"context"
	"time"
)

// UploadPolicy bounds an upload a client makes straight to a store,
// without the service in between.
type UploadPolicy struct {
	// ContentType is the media type the client must declare.
	ContentType string
	// MaxSize is the most bytes the upload may carry; at least 1.
	MaxSize int64
	// Expires is when the store stops accepting the upload.
	Expires time.Time
}

// PresignedUpload is how a client uploads straight to a store: an HTTP
// request anyone holding it can make, with no other credential.
type PresignedUpload struct {
	// Method is "POST" (an HTML form upload: multipart/form-data with
	// Fields, then the bytes as the part named "file", last) or "PUT"
	// (the bytes as the body, with Header).
	Method string
	// URL is where to send the request.
	URL string
	// Fields are the form fields of a POST, sent as they are, before the
	// file.
	Fields map[string]string
	// Header are the request headers a PUT must carry.
	Header map[string]string
}

// Presigner is a Store clients can upload to directly: browsers send
// large files to the store itself, not through the service. The store
// enforces the policy's size, type and expiry on its side; what the
// client sent must still be checked once it is there, since a store
// cannot sniff.
type Presigner interface {
	// PresignUpload returns the request that puts one upload under key
	// within policy. It makes no upload itself. It returns an error for a
	// bad key or policy, and the store's failures (ErrUnavailable).
	PresignUpload(ctx context.Context, key string, policy UploadPolicy) (*PresignedUpload, error)
}
