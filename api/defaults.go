package api

import (
	"time"

	"picpipe/imaging/sniff"
)

// Defaults applied by WithDefaults to the zero values of Config fields.
// They are stated here only: picpipe's environment (cmd/picpipe) takes
// them for the variables left unset.
const (
	DefaultAddr = ":8080"
	// DefaultMaxEdge, DefaultMaxPixels and DefaultMaxFrames are the image
	// limits the workers apply too (imaging.Config).
	DefaultMaxEdge   = sniff.DefaultMaxEdge
	DefaultMaxPixels = sniff.DefaultMaxPixels
	DefaultMaxFrames = sniff.DefaultMaxFrames
	// DefaultMaxRequestBytes bounds the body of a multi-file upload.
	DefaultMaxRequestBytes = 50 << 20
	// DefaultWait is how long an upload waits for its result without a
	// Prefer header.
	DefaultWait            = 10 * time.Second
	DefaultMaxWait         = 60 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
	DefaultMaxKeys         = 20
	// DefaultMaxWebhooks bounds the webhook endpoints of an account.
	DefaultMaxWebhooks   = 10
	DefaultHeaderTimeout = 10 * time.Second
	// DefaultBodyGrace and DefaultMinBodyRate are the slowest pace of a
	// request body: after the grace, 8 KiB a second on average (about a
	// 64 kbit/s link).
	DefaultBodyGrace        = 10 * time.Second
	DefaultMinBodyRate      = 8 << 10
	DefaultRateLimitOnError = FailClosed
	// DefaultMaxStreams bounds the open event streams of an account, all
	// API processes together; DefaultStreamHeartbeat is how often a
	// stream sends a comment to keep its connection open.
	DefaultMaxStreams      = 10
	DefaultStreamHeartbeat = 15 * time.Second
)

// orDefault sets *v to def when it is the zero value.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
