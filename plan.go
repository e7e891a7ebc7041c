package picpipe

import "fmt"

// Plan is what an account on it may do. A zero limit is unlimited, but
// for MaxUploadBytes, which must be set, and MaxPresignedBytes, where zero
// turns presigned uploads off.
type Plan struct {
	// MaxImages is how many live images the account may keep.
	MaxImages int64 `json:"max_images"`
	// MaxStorageBytes bounds the summed size of the originals and files it
	// keeps.
	MaxStorageBytes int64 `json:"max_storage_bytes"`
	// MaxUploadBytes bounds one file sent in a request body or fetched.
	MaxUploadBytes int64 `json:"max_upload_bytes"`
	// MaxPresignedBytes bounds one presigned upload.
	MaxPresignedBytes int64 `json:"max_presigned_bytes"`
	// UploadsPerMinute is the rate of upload requests per account, all
	// its keys and agent names together.
	UploadsPerMinute int `json:"uploads_per_minute"`
}

// DefaultPlan is the plan of new users, and of users whose plan is not
// configured.
const DefaultPlan = "free"

// Plans are the configured plans by name.
type Plans map[string]Plan

// DefaultPlans are the plans when none are configured: "free" as the
// PicBase and Picklyone seeds have it, and a roomier "pro".
func DefaultPlans() Plans {
	return Plans{
		"free": {MaxImages: 50, MaxStorageBytes: 200 << 20, MaxUploadBytes: 10 << 20,
			MaxPresignedBytes: 50 << 20, UploadsPerMinute: 10},
		"pro": {MaxImages: 10_000, MaxStorageBytes: 20 << 30, MaxUploadBytes: 10 << 20,
			MaxPresignedBytes: 50 << 20, UploadsPerMinute: 120},
	}
}

// Validate reports plans without DefaultPlan or with negative or missing
// limits.
func (ps Plans) Validate() error {
	if _, ok := ps[DefaultPlan]; !ok {
		return fmt.Errorf("plans: the plans must include %q", DefaultPlan)
	}
	for name, p := range ps {
		if p.MaxImages < 0 || p.MaxStorageBytes < 0 || p.MaxUploadBytes < 0 || p.MaxPresignedBytes < 0 || p.UploadsPerMinute < 0 {
			return fmt.Errorf("plans: plan %q: limits must not be negative", name)
		}
		if p.MaxUploadBytes == 0 {
			return fmt.Errorf("plans: plan %q: max_upload_bytes must be set", name)
		}
	}
	return nil
}

// Of returns the plan called name, or DefaultPlan's when there is none
// (ok false).
func (ps Plans) Of(name string) (p Plan, ok bool) {
	if p, ok = ps[name]; ok {
		return p, true
	}
	return ps[DefaultPlan], false
}
