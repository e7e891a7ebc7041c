package client

import (
	"encoding/json"
	"time"
)

// The resources of the API, as api/openapi.json describes them (a test
// checks the JSON names against the served document). Timestamps are Unix
// seconds; a field the API sends as null is its zero value here.

// Status is where an image or a file is in its life.
type Status string

// The statuses of images and files.
const (
	StatusQueued     Status = "queued"
	StatusProcessing Status = "processing"
	StatusReady      Status = "ready"
	StatusFailed     Status = "failed"
	// StatusSkipped is a variant's only: it came out no smaller than
	// what the image's link serves, so it is neither kept nor served.
	StatusSkipped Status = "skipped"
)

// What an image's link, or a variant, serves (Image.Served,
// Variant.Served).
const (
	// ServedOptimized is an encode of the upload.
	ServedOptimized = "optimized"
	// ServedOriginal is the upload itself with its metadata removed
	// losslessly: no larger than its encode and showing the same
	// picture, or an animated GIF passed through.
	ServedOriginal = "original"
)

// Done reports whether s is final: ready, failed, or (a variant) skipped.
func (s Status) Done() bool { return s == StatusReady || s == StatusFailed || s == StatusSkipped }

// Image is an uploaded image. Its output fields (URL, Format,
// SizeOptimized, CompressionRatio, Served, Width, Height) are zero until
// it is ready; Error is set only when it failed.
type Image struct {
	ID               string  `json:"id"`
	Object           string  `json:"object"`
	Status           Status  `json:"status"`
	URL              string  `json:"url"`
	Format           string  `json:"format"`
	Filename         string  `json:"filename"`
	SizeOriginal     int64   `json:"size_original"`
	SizeOptimized    int64   `json:"size_optimized"`
	CompressionRatio float64 `json:"compression_ratio"`
	Served           string  `json:"served"` // ServedOptimized or ServedOriginal
	Width            int     `json:"width"`
	Height           int     `json:"height"`
	Quality          int     `json:"quality"`
	Lossless         bool    `json:"lossless"`
	Resize           string  `json:"resize"`
	CreatedAt        int64   `json:"created_at"`
	// Variants are the renditions made in the background once the image
	// is ready, by format ("avif"); empty before.
	Variants map[string]Variant `json:"variants"`
	Error    *Failure           `json:"error,omitempty"`
}

// Variant is a rendition of an image made in the background, served by
// the same link to clients that ask for it (an AVIF) once ready; a
// skipped one is never served. Size and Served are zero until it is
// ready.
type Variant struct {
	Status Status `json:"status"`
	Size   int64  `json:"size"`
	Served string `json:"served"`
}

// File is a general file, stored as it is. URL is empty until it is
// ready; ExpiresAt is 0 for a permanent file.
type File struct {
	ID        string   `json:"id"`
	Object    string   `json:"object"`
	Status    Status   `json:"status"`
	URL       string   `json:"url"`
	Filename  string   `json:"filename"`
	MIMEType  string   `json:"mime_type"`
	Size      int64    `json:"size"`
	IsImage   bool     `json:"is_image"`
	SHA256    string   `json:"sha256"`
	ExpiresAt int64    `json:"expires_at"`
	CreatedAt int64    `json:"created_at"`
	Error     *Failure `json:"error,omitempty"`
}

// Failure is why an image or a file ended failed.
type Failure struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// FileError is one refused file of a multipart POST /v1/files.
type FileError struct {
	Filename string `json:"filename"`
	Code     Code   `json:"code"`
	Message  string `json:"message"`
}

// FileUploadResult is the answer to a multipart POST /v1/files that kept
// at least one file: the files kept and the files refused.
type FileUploadResult struct {
	Object   string      `json:"object"`
	Uploaded []File      `json:"uploaded"`
	Errors   []FileError `json:"errors"`
}

// ImageList is a page of images, newest first. NextCursor is the cursor of
// the next page, "" on the last.
type ImageList struct {
	Object     string  `json:"object"`
	Data       []Image `json:"data"`
	NextCursor string  `json:"next_cursor"`
}

// FileList is a page of files, newest first. NextCursor is the cursor of
// the next page, "" on the last.
type FileList struct {
	Object     string `json:"object"`
	Data       []File `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// Scope is what an API key may be used for.
type Scope string

// The scopes of API keys.
const (
	ScopeUpload Scope = "upload" // create images and files
	ScopeRead   Scope = "read"   // get and list them, read the usage
	ScopeDelete Scope = "delete" // delete them
	ScopeKeys   Scope = "keys"   // list, create and revoke keys
)

// APIKey is an API key. Key, the secret, is set only in the answer to
// CreateKey; LastUsedAt and RevokedAt are 0 when never used or not
// revoked.
type APIKey struct {
	ID         string   `json:"id"`
	Object     string   `json:"object"`
	Name       string   `json:"name"`
	Prefix     string   `json:"prefix"`
	AllowedIPs []string `json:"allowed_ips"`
	Scopes     []Scope  `json:"scopes"`
	CreatedAt  int64    `json:"created_at"`
	LastUsedAt int64    `json:"last_used_at"`
	RevokedAt  int64    `json:"revoked_at"`
	Key        string   `json:"key,omitempty"`
}

// APIKeyList is all of an account's keys, revoked ones included.
type APIKeyList struct {
	Object string   `json:"object"`
	Data   []APIKey `json:"data"`
}

// KeyRequest asks for a new API key, no broader than the calling one.
type KeyRequest struct {
	Name string
	// AllowedIPs are the CIDRs (or addresses) the key may be used from:
	// nil for the calling key's own list, empty (non-nil) for anywhere.
	AllowedIPs []string
	// Scopes are some of the calling key's; nil for all of them.
	Scopes []Scope
}

// MarshalJSON sends AllowedIPs and Scopes only when set, an empty
// AllowedIPs as [].
func (r KeyRequest) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if r.Name != "" {
		m["name"] = r.Name
	}
	if r.AllowedIPs != nil {
		m["allowed_ips"] = r.AllowedIPs
	}
	if r.Scopes != nil {
		m["scopes"] = r.Scopes
	}
	return json.Marshal(m)
}

// Usage is the account's quota in use and this calendar month's (UTC)
// counts. A quota of 0 is unlimited; APICalls is nil while the server's
// counter cannot be read.
type Usage struct {
	Object            string `json:"object"`
	Period            string `json:"period"`
	Plan              string `json:"plan"`
	ImageCount        int64  `json:"image_count"`
	ImageQuota        int64  `json:"image_quota"`
	StorageUsedBytes  int64  `json:"storage_used_bytes"`
	StorageQuotaBytes int64  `json:"storage_quota_bytes"`
	TransformCount    int64  `json:"transform_count"`
	APICalls          *int64 `json:"api_calls"`
	UploadsPerMinute  int    `json:"uploads_per_minute"`
	MaxUploadBytes    int64  `json:"max_upload_bytes"`
}

// PresignRequest asks for a grant to upload one large image.
type PresignRequest struct {
	// ContentType is what the bytes must be: image/jpeg, image/png,
	// image/gif, image/webp, image/avif or image/heic.
	ContentType string `json:"content_type"`
	// Size is the most bytes the upload may carry.
	Size     int64  `json:"size"`
	Filename string `json:"filename,omitempty"`
}

// UploadGrant is a presigned upload: send the bytes as Method says to
// UploadURL (with Fields first for POST), then confirm StagingKey.
type UploadGrant struct {
	Object     string            `json:"object"`
	ID         string            `json:"id"`
	UploadURL  string            `json:"upload_url"`
	Method     string            `json:"method"`
	Fields     map[string]string `json:"fields,omitempty"`
	StagingKey string            `json:"staging_key"`
	MaxSize    int64             `json:"max_size"`
	ExpiresIn  int               `json:"expires_in"`
	ExpiresAt  int64             `json:"expires_at"`
}

// Upload is the receipt of a presigned upload's bytes. From a bucket
// (POST), which answers no JSON, only StagingKey and Size are set.
type Upload struct {
	Object     string `json:"object"`
	StagingKey string `json:"staging_key"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	ExpiresAt  int64  `json:"expires_at"`
}

// Discovery is what GET / says of the API.
type Discovery struct {
	Name       string            `json:"name"`
	Object     string            `json:"object"`
	Version    string            `json:"version"`
	OpenAPIURL string            `json:"openapi_url"`
	Auth       string            `json:"auth"`
	Endpoints  map[string]string `json:"endpoints"`
}

// Readiness is the answer of GET /readyz: "ok" or "unavailable" for the
// whole and for each dependency.
type Readiness struct {
	Status string `json:"status"`
	Checks struct {
		Database string `json:"database"`
		Redis    string `json:"redis"`
	} `json:"checks"`
}

// ImageOptions are how an image is processed; the zero value is the
// server's defaults.
type ImageOptions struct {
	// Quality is the WebP quality, 1–100; 0 means the server's default (82).
	Quality int
	// Lossless asks for lossless WebP.
	Lossless bool
	// Resize fits the image within a box, never enlarging: "1920x",
	// "x1080" or "800x600"; "" keeps its size.
	Resize string
}

// ImageParams are the options of an image upload.
type ImageParams struct {
	ImageOptions
	Prefer
	// Progress, when set, follows the bytes sent (multipart uploads).
	Progress Progress
}

// FileParams are the options of a file upload.
type FileParams struct {
	// ExpiresIn makes the files temporary (1 minute to 30 days, whole
	// seconds); 0 keeps them.
	ExpiresIn time.Duration
	Prefer
	// Progress, when set, follows the bytes sent (multipart uploads).
	Progress Progress
}

// ListParams select a page of a list. The zero value is the first page of
// the server's default size (50).
type ListParams struct {
	// Limit is the page size, 1–100; 0 means the server's default.
	Limit int
	// Cursor is the previous page's NextCursor; "" for the first page.
	Cursor string
}
