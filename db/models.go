package db

import "github.com/uptrace/bun"

// User statuses.
const (
	UserActive    = "active"
	UserSuspended = "suspended"
)

// User is an account. Every image and key belongs to exactly one.
//
// ImageCount and StorageBytes are the quota in use: the live, not failed
// images and the bytes of their originals. They change only together with
// the image transitions that cause them, in one transaction. TransformCount
// counts the images processed in TransformPeriod ("2006-01", UTC).
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID              string `bun:"id,pk"`
	Name            string `bun:"name,notnull"`
	Plan            string `bun:"plan,notnull"`
	Status          string `bun:"status,notnull"`
	CreatedAt       int64  `bun:"created_at,notnull"`
	ImageCount      int64  `bun:"image_count,notnull"`
	StorageBytes    int64  `bun:"storage_bytes,notnull"`
	TransformCount  int64  `bun:"transform_count,notnull"`
	TransformPeriod string `bun:"transform_period,notnull"`
}

// APIKey is a credential of a user. Only the SHA-256 of the secret is kept;
// Prefix is the short visible start of the secret, for people to tell keys
// apart.
type APIKey struct {
	bun.BaseModel `bun:"table:api_keys"`

	ID         string `bun:"id,pk"`
	UserID     string `bun:"user_id,notnull"`
	Name       string `bun:"name,notnull"`
	Prefix     string `bun:"prefix,notnull"`
	Hash       string `bun:"hash,notnull"`
	AllowedIPs string `bun:"allowed_ips,notnull"`
	Scopes     string `bun:"scopes,notnull"` // the stored form of a Scopes
	CreatedAt  int64  `bun:"created_at,notnull"`
	LastUsedAt *int64 `bun:"last_used_at"`
	RevokedAt  *int64 `bun:"revoked_at"`
	// User is the key's user, loaded by APIKeyWithUser only.
	User *User `bun:"rel:belongs-to,join:user_id=id"`
}

// Image statuses. queued and processing are transient; every image ends
// ready or failed.
const (
	StatusQueued     = "queued"
	StatusProcessing = "processing"
	StatusReady      = "ready"
	StatusFailed     = "failed"
)

// Image is one uploaded image and what became of it. Hash identifies the
// pair (source bytes, options) within the user: it names the delivered
// blob and makes a repeated upload a dedup hit.
type Image struct {
	bun.BaseModel `bun:"table:images"`

	ID           string `bun:"id,pk"`
	UserID       string `bun:"user_id,notnull"`
	Status       string `bun:"status,notnull"`
	ErrorCode    string `bun:"error_code,notnull"`
	ErrorMessage string `bun:"error_message,notnull"`
	Hash         string `bun:"hash,notnull"`
	// Link names the image's public link (/u/USER/LINK.FORMAT): random
	// (NewLink) and kept for the image's life, so a dedup hit answers
	// the link it had; the images made before links were random have
	// their Hash.
	Link         string `bun:"link,notnull"`
	SourceSHA256 string `bun:"source_sha256,notnull"`
	SourceKey    string `bun:"source_key,notnull"`
	SourceName   string `bun:"source_name,notnull"`
	SourceSize   int64  `bun:"source_size,notnull"`
	SourceURL    string `bun:"source_url,notnull"`
	Quality      int    `bun:"quality,notnull"`
	Lossless     bool   `bun:"lossless,notnull"`
	ResizeWidth  int    `bun:"resize_width,notnull"`
	ResizeHeight int    `bun:"resize_height,notnull"`
	Format       string `bun:"format,notnull"`
	OutputKey    string `bun:"output_key,notnull"`
	OutputSize   int64  `bun:"output_size,notnull"`
	Width        int    `bun:"width,notnull"`
	Height       int    `bun:"height,notnull"`
	// Served names the bytes under OutputKey: ServedOptimized (an encode)
	// or ServedOriginal (the upload without its metadata).
	Served   string `bun:"served,notnull"`
	Attempts int    `bun:"attempts,notnull"`
	// Attempt is the token of the claim that may finish the image; each
	// claim takes a new one, so an older run's outcome is refused.
	Attempt string `bun:"attempt,notnull"`
	// PrevAttempt is, on a claimed row, the attempt the claim took over
	// ("" for none).
	PrevAttempt string `bun:"prev_attempt,notnull"`
	CreatedAt   int64  `bun:"created_at,notnull"`
	UpdatedAt   int64  `bun:"updated_at,notnull"`
	DeletedAt   *int64 `bun:"deleted_at"`
}

// Done reports whether the image reached a final status.
func (img *Image) Done() bool { return final(img.Status) }

// What the link of a ready image, or a ready variant, serves.
const (
	// ServedOptimized is an encode of the upload.
	ServedOptimized = "optimized"
	// ServedOriginal is the upload itself with its metadata removed
	// losslessly: it was no larger than its encode and showed the same
	// picture, or it is an animated GIF passed through.
	ServedOriginal = "original"
)

func final(status string) bool { return status == StatusReady || status == StatusFailed }

// Variant kinds: renditions made in the background after an image is
// ready, each with its own state.
const VariantAVIF = "avif"

// StatusSkipped is the final status of a variant that came out no
// smaller than its image's own output: it is not stored and not served.
const StatusSkipped = "skipped"

// Variant is a rendition of a ready image made by its own task (the AVIF).
// It is queued when its image becomes ready and ends ready, skipped or
// failed; the staged source of the image is kept until its last variant
// is final.
// Like an image, each claim takes a new Attempt token, and only the
// holder's outcome is recorded.
type Variant struct {
	bun.BaseModel `bun:"table:variants"`

	ImageID    string `bun:"image_id,pk"`
	Kind       string `bun:"kind,pk"`
	Status     string `bun:"status,notnull"`
	StorageKey string `bun:"storage_key,notnull"`
	// Size is the stored variant's bytes; for a skipped one, what it
	// would have had.
	Size int64 `bun:"size,notnull"`
	// Served names the bytes under StorageKey (ServedOptimized or
	// ServedOriginal).
	Served    string `bun:"served,notnull"`
	Attempt   string `bun:"attempt,notnull"`
	Attempts  int    `bun:"attempts,notnull"`
	ErrorCode string `bun:"error_code,notnull"`
	// PrevAttempt is, on a claimed row, the attempt the claim took over
	// ("" for none).
	PrevAttempt string `bun:"prev_attempt,notnull"`
	CreatedAt   int64  `bun:"created_at,notnull"`
	UpdatedAt   int64  `bun:"updated_at,notnull"`
}

// Done reports whether the variant reached a final status.
func (v *Variant) Done() bool { return final(v.Status) || v.Status == StatusSkipped }

// File is a general file stored as it was sent: a document, a text, an
// image kept unprocessed. A file fetched from a URL is queued until its
// ingest task has its bytes. An image is processing until its file:clean
// task removed its metadata (losslessly); anything else is ready at once.
// Every file ends ready or failed.
type File struct {
	bun.BaseModel `bun:"table:files"`

	ID           string `bun:"id,pk"`
	UserID       string `bun:"user_id,notnull"`
	Status       string `bun:"status,notnull"`
	ErrorCode    string `bun:"error_code,notnull"`
	ErrorMessage string `bun:"error_message,notnull"`
	Name         string `bun:"name,notnull"`
	MIME         string `bun:"mime,notnull"`
	Ext          string `bun:"ext,notnull"`
	Size         int64  `bun:"size,notnull"`
	SHA256       string `bun:"sha256,notnull"`
	StorageKey   string `bun:"storage_key,notnull"`
	SourceURL    string `bun:"source_url,notnull"`
	// Attempt is the token of the clean that may finish the file.
	Attempt string `bun:"attempt,notnull"`
	// PrevAttempt is, on a claimed row, the attempt the claim took over.
	PrevAttempt string `bun:"-"`
	// CreatedBy is the uploader a client named (the Agent-header seed's
	// created_by), for its own records.
	CreatedBy string `bun:"created_by,notnull"`
	// Path is the caller-chosen place of the file (the KIE seed's
	// uploadPath/fileName), unique among the user's live files; "" for
	// none.
	Path string `bun:"path,notnull"`
	// Policy names the allow-list its bytes must pass (sniff.PolicyNamed;
	// "" for POST /v1/files's): the mount's, for a URL a worker fetches.
	Policy    string `bun:"policy,notnull"`
	ExpiresAt *int64 `bun:"expires_at"`
	CreatedAt int64  `bun:"created_at,notnull"`
	UpdatedAt int64  `bun:"updated_at,notnull"`
	DeletedAt *int64 `bun:"deleted_at"`
}

// UploadGrant is a presigned upload: one upload of at most MaxSize bytes
// of ContentType, for the key that asked for it, before ExpiresAt, into
// StagingKey; then one use by POST /v1/images. Reserved is what it holds
// against its account's storage quota: MaxSize from the moment it is
// issued until it is released, 0 after (and for grants older than the
// reservations).
type UploadGrant struct {
	bun.BaseModel `bun:"table:upload_grants"`

	ID          string `bun:"id,pk"`
	UserID      string `bun:"user_id,notnull"`
	KeyID       string `bun:"key_id,notnull"`
	ContentType string `bun:"content_type,notnull"`
	MaxSize     int64  `bun:"max_size,notnull"`
	StagingKey  string `bun:"staging_key,notnull"`
	Size        int64  `bun:"size,notnull"`
	SHA256      string `bun:"sha256,notnull"`
	Filename    string `bun:"filename,notnull"`
	CreatedAt   int64  `bun:"created_at,notnull"`
	ExpiresAt   int64  `bun:"expires_at,notnull"`
	UploadedAt  *int64 `bun:"uploaded_at"`
	UsedAt      *int64 `bun:"used_at"`
	Reserved    int64  `bun:"reserved,notnull"`
}

// Webhook is an endpoint of an account that events are delivered to: a
// URL, the event types it takes (Events, comma-separated, or "*"), and
// the secret its deliveries are signed with. After a roll the previous
// secret signs too, until PreviousSecretExpiresAt. FailingSince is the
// time of the first failed attempt since the last success (nil while
// deliveries succeed); an endpoint failing for too long is disabled
// (DisabledAt, DisabledReason) and takes no deliveries until enabled.
type Webhook struct {
	bun.BaseModel `bun:"table:webhooks"`

	ID                      string `bun:"id,pk"`
	UserID                  string `bun:"user_id,notnull"`
	URL                     string `bun:"url,notnull"`
	Events                  string `bun:"events,notnull"`
	Description             string `bun:"description,notnull"`
	Secret                  string `bun:"secret,notnull"`
	PreviousSecret          string `bun:"previous_secret,notnull"`
	PreviousSecretExpiresAt *int64 `bun:"previous_secret_expires_at"`
	CreatedAt               int64  `bun:"created_at,notnull"`
	UpdatedAt               int64  `bun:"updated_at,notnull"`
	FailingSince            *int64 `bun:"failing_since"`
	LastSuccessAt           *int64 `bun:"last_success_at"`
	LastFailureAt           *int64 `bun:"last_failure_at"`
	DisabledAt              *int64 `bun:"disabled_at"`
	DisabledReason          string `bun:"disabled_reason,notnull"`
}

// Event is a row of the outbox: a transition of an image or file
// (Type, one of EventTypes), written in the transaction that made it,
// with the resource as that transaction left it (Snapshot, the JSON of
// an EventSnapshot). Seq orders events: of one resource, a later
// transition has a larger Seq. DispatchedAt is set once a delivery task
// is queued for each endpoint that takes it.
type Event struct {
	bun.BaseModel `bun:"table:events"`

	Seq          int64  `bun:"seq,pk,autoincrement"`
	ID           string `bun:"id,notnull"`
	UserID       string `bun:"user_id,notnull"`
	Type         string `bun:"type,notnull"`
	ResourceID   string `bun:"resource_id,notnull"`
	Snapshot     string `bun:"snapshot,notnull"`
	CreatedAt    int64  `bun:"created_at,notnull"`
	DispatchedAt *int64 `bun:"dispatched_at"`
}

// Delivery is one attempt to deliver an event to a webhook: the log a
// client reads. Attempt counts the attempts of one delivery task from 1;
// Manual marks a resend asked for through the API. Response holds the
// first bytes of the answer.
type Delivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries"`

	ID         string `bun:"id,pk"`
	WebhookID  string `bun:"webhook_id,notnull"`
	EventID    string `bun:"event_id,notnull"`
	EventType  string `bun:"event_type,notnull"`
	Attempt    int    `bun:"attempt,notnull"`
	Manual     bool   `bun:"manual,notnull"`
	Succeeded  bool   `bun:"succeeded,notnull"`
	StatusCode int    `bun:"status_code,notnull"`
	LatencyMs  int64  `bun:"latency_ms,notnull"`
	Response   string `bun:"response,notnull"`
	Error      string `bun:"error,notnull"`
	CreatedAt  int64  `bun:"created_at,notnull"`
}
