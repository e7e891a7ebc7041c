// Package s3store is a storage.Store on a bucket of an S3-compatible
// server (AWS S3, versitygw, SeaweedFS, Garage, MinIO), through minio-go.
//
// Importing it registers the "s3" scheme with storage.Open:
//
//	import _ "picpipe/storage/s3store"
//
//	st, err := storage.Open(ctx, "s3://KEY:SECRET@pics?endpoint=http://127.0.0.1:7070&region=us-east-1")
//
// or, without a URL:
//
//	st, err := s3store.New(s3store.Config{Bucket: "pics", Endpoint: "https://s3.eu-west-1.amazonaws.com", Region: "eu-west-1"})
//
// Puts stream: a blob smaller than a part is one PUT, a larger one a
// multipart upload that holds one part in memory at a time; either
// appears whole when its last request succeeds, and a failed Put aborts
// its upload. Blobs are read with ranged GETs. Failures of the server
// are coded as the local store codes its own: a missing key is
// storage.ErrNotFound, anything else storage.ErrUnavailable (or
// storage.ErrFull), with the SDK's text kept for the logs. Blobs are
// stored with the Content-Type of their key's extension, so that a
// public bucket or a CDN in front of it serves them as what they are.
//
// A Store is a storage.Presigner: PresignUpload returns an S3 POST
// policy, a form a browser posts straight to the bucket, bounded in
// size, type, key and time by the server itself.
package s3store
