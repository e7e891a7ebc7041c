package api

import (
	"fmt"
	"log/slog"

	"picpipe/db"
)

// Plan is what an account on it may do. A zero limit is unlimited, but
// for MaxUploadBytes, which must be set.
type Plan struct {
	// MaxImages is how many live images the account may keep.
	MaxImages int64 `json:"max_images"`
	// MaxStorageBytes bounds the summed size of the originals it keeps.
	MaxStorageBytes int64 `json:"max_storage_bytes"`
	// MaxUploadBytes bounds one file sent in the request body.
	MaxUploadBytes int64 `json:"max_upload_bytes"`
	// MaxPresignedBytes bounds one presigned upload; 0 means presigned
	// uploads are off for the plan.
	MaxPresignedBytes int64 `json:"max_presigned_bytes"`
	// UploadsPerMinute is the rate of upload requests per API key.
	UploadsPerMinute int `json:"uploads_per_minute"`
}

// DefaultPlan is the plan of users whose plan is not configured.
const DefaultPlan = "free"

// DefaultPlans are the plans when none are configured: "free" as the
// PicBase and Picklyone seeds have it, and a roomier "pro".
func DefaultPlans() map[string]Plan {
	return map[string]Plan{
		"free": {MaxImages: 50, MaxStorageBytes: 200 << 20, MaxUploadBytes: 10 << 20,
			MaxPresignedBytes: 50 << 20, UploadsPerMinute: 10},
		"pro": {MaxImages: 10_000, MaxStorageBytes: 20 << 30, MaxUploadBytes: 10 << 20,
			MaxPresignedBytes: 50 << 20, UploadsPerMinute: 120},
	}
}

func (p Plan) validate(name string) error {
	if p.MaxImages < 0 || p.MaxStorageBytes < 0 || p.MaxUploadBytes < 0 || p.MaxPresignedBytes < 0 || p.UploadsPerMinute < 0 {
		return fmt.Errorf("api: plan %q: limits must not be negative", name)
	}
	if p.MaxUploadBytes == 0 {
		return fmt.Errorf("api: plan %q: max_upload_bytes must be set", name)
	}
	return nil
}

// quota is the plan's quota in the store's terms.
func (p Plan) quota() db.Quota {
	return db.Quota{MaxImages: p.MaxImages, MaxStorageBytes: p.MaxStorageBytes}
}

// planOf returns the user's plan, or the default plan (logged) when the
// user's plan is not configured.
func (s *Server) planOf(u *db.User) Plan {
	if p, ok := s.cfg.Plans[u.Plan]; ok {
		return p
	}
	slog.Warn("user on an unknown plan; applying the default plan", "user_id", u.ID, "plan", u.Plan)
	return s.cfg.Plans[DefaultPlan]
}
