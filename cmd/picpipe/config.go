package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"picpipe"
	"picpipe/api"
	"picpipe/fetch"
	"picpipe/imaging"
	"picpipe/scheduler"
	"picpipe/worker"
)

// config is everything picpipe reads from the environment. Each variable
// is documented in README.md; the defaults run everything on one machine.
type config struct {
	DataDir     string `env:"PICPIPE_DATA_DIR" envDefault:"./data"`
	DatabaseURL string `env:"PICPIPE_DATABASE_URL"` // default: sqlite in DataDir
	RedisURL    string `env:"PICPIPE_REDIS_URL"`    // default (serve only): a private redis-server
	RedisServer string `env:"PICPIPE_REDIS_SERVER" envDefault:"redis-server"`
	StorageDir  string `env:"PICPIPE_STORAGE_DIR"` // default: DataDir/blobs
	StorageURL  string `env:"PICPIPE_STORAGE_URL"` // s3://bucket?…; default: the directory StorageDir
	LogLevel    string `env:"PICPIPE_LOG_LEVEL" envDefault:"info"`
	LogFormat   string `env:"PICPIPE_LOG_FORMAT" envDefault:"text"`

	Addr              string        `env:"PICPIPE_ADDR" envDefault:":8080"`
	PublicURL         string        `env:"PICPIPE_PUBLIC_URL"`
	AdminToken        string        `env:"PICPIPE_ADMIN_TOKEN"`
	TrustedProxies    []string      `env:"PICPIPE_TRUSTED_PROXIES"`
	CompatRoot        []string      `env:"PICPIPE_COMPAT_ROOT"` // seed APIs also mounted at the root
	Plans             string        `env:"PICPIPE_PLANS"`       // JSON; default: picpipe.DefaultPlans
	DefaultWait       time.Duration `env:"PICPIPE_DEFAULT_WAIT" envDefault:"10s"`
	MaxWait           time.Duration `env:"PICPIPE_MAX_WAIT" envDefault:"60s"`
	APIShutdown       time.Duration `env:"PICPIPE_API_SHUTDOWN_TIMEOUT" envDefault:"30s"`
	WorkerConcurrency int           `env:"PICPIPE_WORKER_CONCURRENCY"` // 0: one per CPU
	WorkerPoll        time.Duration `env:"PICPIPE_WORKER_POLL_INTERVAL" envDefault:"50ms"`
	WorkerShutdown    time.Duration `env:"PICPIPE_WORKER_SHUTDOWN_TIMEOUT" envDefault:"60s"`
	MaxEdge           int           `env:"PICPIPE_MAX_EDGE" envDefault:"8000"`
	MaxPixels         int64         `env:"PICPIPE_MAX_PIXELS"`         // 0: the imaging default
	MaxFrames         int           `env:"PICPIPE_MAX_FRAMES"`         // 0: the imaging default
	AVIFSpeed         int           `env:"PICPIPE_AVIF_SPEED"`         // 0: the imaging default
	ReconcileSpec     string        `env:"PICPIPE_RECONCILE_SCHEDULE"` // "": the scheduler default
	StuckAfter        time.Duration `env:"PICPIPE_STUCK_AFTER" envDefault:"5m"`
	PurgeSpec         string        `env:"PICPIPE_PURGE_SCHEDULE" envDefault:"@every 10m"`
	PurgeGrace        time.Duration `env:"PICPIPE_PURGE_GRACE" envDefault:"1h"`
	ResetSpec         string        `env:"PICPIPE_RESET_SCHEDULE" envDefault:"0 0 1 * *"`
	FetchAllow        []string      `env:"PICPIPE_FETCH_ALLOW_CIDRS"` // private ranges URL ingest may reach
	FetchPorts        []int         `env:"PICPIPE_FETCH_PORTS"`       // default 80, 443
	FetchTimeout      time.Duration `env:"PICPIPE_FETCH_TIMEOUT" envDefault:"60s"`
	MetricsAddr       string        `env:"PICPIPE_METRICS_ADDR"` // worker/scheduler roles; the API serves /metrics itself
	RateLimitOnError  string        `env:"PICPIPE_RATE_LIMIT_ON_ERROR" envDefault:"closed"`
	SigningKey        string        `env:"PICPIPE_SIGNING_KEY"`     // default (serve): made in DataDir (signingKey)
	PublicBlobURL     string        `env:"PICPIPE_PUBLIC_BLOB_URL"` // image links redirect there when set
	HeaderTimeout     time.Duration `env:"PICPIPE_HEADER_TIMEOUT" envDefault:"10s"`
	MaxKeys           int           `env:"PICPIPE_MAX_KEYS" envDefault:"20"`
	BodyGrace         time.Duration `env:"PICPIPE_BODY_GRACE" envDefault:"10s"`
	MinBodyRate       int64         `env:"PICPIPE_MIN_BODY_RATE" envDefault:"8192"` // bytes a second

	plans picpipe.Plans // parsed from Plans
}

func loadConfig() (config, error) {
	var c config
	if err := env.Parse(&c); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.Join(c.DataDir, "picpipe.db")
	}
	if c.StorageDir == "" {
		c.StorageDir = filepath.Join(c.DataDir, "blobs")
	}
	if c.Plans != "" {
		if err := json.Unmarshal([]byte(c.Plans), &c.plans); err != nil {
			return c, fmt.Errorf("config: PICPIPE_PLANS: %w", err)
		}
	}
	if _, err := c.fetchConfig(); err != nil {
		return c, err
	}
	for _, v := range []interface{ Validate() error }{c.apiConfig(), c.workerConfig(), c.imagingConfig(), c.schedulerConfig()} {
		if err := v.Validate(); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (c config) apiConfig() api.Config {
	return api.Config{
		Addr: c.Addr, PublicURL: c.PublicURL, Plans: c.plans, MaxEdge: c.MaxEdge, MaxPixels: c.MaxPixels, MaxFrames: c.MaxFrames,
		DefaultWait: c.DefaultWait, MaxWait: c.MaxWait, AdminToken: c.AdminToken,
		TrustedProxies: c.TrustedProxies, ShutdownTimeout: c.APIShutdown, CompatRoot: c.CompatRoot,
		RateLimitOnError: api.FailMode(c.RateLimitOnError),
		PublicBlobURL:    c.PublicBlobURL,
		HeaderTimeout:    c.HeaderTimeout,
		MaxKeys:          c.MaxKeys,
		Pace:             api.Pace{Grace: c.BodyGrace, MinRate: c.MinBodyRate},
	}
}

func (c config) workerConfig() worker.Config {
	return worker.Config{Concurrency: c.WorkerConcurrency, PollInterval: c.WorkerPoll, ShutdownTimeout: c.WorkerShutdown}
}

func (c config) imagingConfig() imaging.Config {
	return imaging.Config{MaxEdge: c.MaxEdge, MaxPixels: c.MaxPixels, MaxFrames: c.MaxFrames, AVIFSpeed: c.AVIFSpeed}
}

func (c config) schedulerConfig() scheduler.Config {
	return scheduler.Config{ReconcileSpec: c.ReconcileSpec, StuckAfter: c.StuckAfter,
		PurgeSpec: c.PurgeSpec, PurgeGrace: c.PurgeGrace, ResetSpec: c.ResetSpec, Plans: c.plans}
}

func (c config) fetchConfig() (fetch.Config, error) {
	cfg := fetch.Config{AllowedPorts: c.FetchPorts, TotalTimeout: c.FetchTimeout}
	for _, s := range c.FetchAllow {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return cfg, fmt.Errorf("config: PICPIPE_FETCH_ALLOW_CIDRS: %w", err)
		}
		cfg.AllowPrefixes = append(cfg.AllowPrefixes, p)
	}
	return cfg, cfg.Validate()
}

// setupLogging installs the default slog logger.
func (c config) setupLogging() {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	slog.SetDefault(slog.New(h))
}
