package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
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
// A default is stated once: those of the packages' Configs are theirs
// (defaultConfig takes them), the few of this command are envDefault tags.
type config struct {
	DataDir     string `env:"PICPIPE_DATA_DIR" envDefault:"./data"`
	DatabaseURL string `env:"PICPIPE_DATABASE_URL"` // default: sqlite in DataDir
	RedisURL    string `env:"PICPIPE_REDIS_URL"`    // default (serve only): a private redis-server
	RedisServer string `env:"PICPIPE_REDIS_SERVER" envDefault:"redis-server"`
	StorageDir  string `env:"PICPIPE_STORAGE_DIR"` // default: DataDir/blobs
	StorageURL  string `env:"PICPIPE_STORAGE_URL"` // s3://bucket?…; default: the directory StorageDir
	LogLevel    string `env:"PICPIPE_LOG_LEVEL" envDefault:"info"`
	LogFormat   string `env:"PICPIPE_LOG_FORMAT" envDefault:"text"`

	Addr              string        `env:"PICPIPE_ADDR"`
	PublicURL         string        `env:"PICPIPE_PUBLIC_URL"`
	AdminToken        string        `env:"PICPIPE_ADMIN_TOKEN"`
	TrustedProxies    []string      `env:"PICPIPE_TRUSTED_PROXIES"`
	CompatRoot        []string      `env:"PICPIPE_COMPAT_ROOT"`  // seed APIs also mounted at the root
	CORSOrigins       []string      `env:"PICPIPE_CORS_ORIGINS"` // origins whose pages may call the API; * any
	Plans             string        `env:"PICPIPE_PLANS"`        // JSON; default: picpipe.DefaultPlans
	DefaultWait       time.Duration `env:"PICPIPE_DEFAULT_WAIT"`
	MaxWait           time.Duration `env:"PICPIPE_MAX_WAIT"`
	APIShutdown       time.Duration `env:"PICPIPE_API_SHUTDOWN_TIMEOUT"`
	WorkerConcurrency int           `env:"PICPIPE_WORKER_CONCURRENCY"`  // 0: worker.DefaultConcurrency()
	VariantWorkers    int           `env:"PICPIPE_VARIANT_CONCURRENCY"` // 0: worker.DefaultVariantConcurrency()
	VariantNice       int           `env:"PICPIPE_VARIANT_NICE"`        // 0: the variants share the worker's process
	WorkerPools       []string      `env:"PICPIPE_WORKER_POOLS"`        // none: worker.AllPools
	WorkerPoll        time.Duration `env:"PICPIPE_WORKER_POLL_INTERVAL"`
	WorkerShutdown    time.Duration `env:"PICPIPE_WORKER_SHUTDOWN_TIMEOUT"`
	MaxEdge           int           `env:"PICPIPE_MAX_EDGE"`
	MaxPixels         int64         `env:"PICPIPE_MAX_PIXELS"`
	MaxFrames         int           `env:"PICPIPE_MAX_FRAMES"`
	AVIFSpeed         int           `env:"PICPIPE_AVIF_SPEED"`
	ReconcileSpec     string        `env:"PICPIPE_RECONCILE_SCHEDULE"`
	StuckAfter        time.Duration `env:"PICPIPE_STUCK_AFTER"`
	PurgeSpec         string        `env:"PICPIPE_PURGE_SCHEDULE"`
	PurgeGrace        time.Duration `env:"PICPIPE_PURGE_GRACE"`
	ResetSpec         string        `env:"PICPIPE_RESET_SCHEDULE"`
	FetchAllow        []string      `env:"PICPIPE_FETCH_ALLOW_CIDRS"` // private ranges URL ingest may reach
	FetchPorts        []int         `env:"PICPIPE_FETCH_PORTS"`
	FetchTimeout      time.Duration `env:"PICPIPE_FETCH_TIMEOUT"`
	MetricsAddr       string        `env:"PICPIPE_METRICS_ADDR"` // worker/scheduler roles; the API serves /metrics itself
	RateLimitOnError  string        `env:"PICPIPE_RATE_LIMIT_ON_ERROR"`
	SigningKey        string        `env:"PICPIPE_SIGNING_KEY"`     // default (serve): made in DataDir (signingKey)
	PublicBlobURL     string        `env:"PICPIPE_PUBLIC_BLOB_URL"` // image links redirect there when set
	HeaderTimeout     time.Duration `env:"PICPIPE_HEADER_TIMEOUT"`
	MaxKeys           int           `env:"PICPIPE_MAX_KEYS"`
	MaxStreams        int           `env:"PICPIPE_MAX_STREAMS"`
	BodyGrace         time.Duration `env:"PICPIPE_BODY_GRACE"`
	MinBodyRate       int64         `env:"PICPIPE_MIN_BODY_RATE"` // bytes a second

	plans picpipe.Plans // parsed from Plans
}

// defaultConfig is the configuration before the environment is read: the
// defaults of the packages' Configs, which a variable left unset (or
// empty) keeps.
func defaultConfig() config {
	return config{
		Addr:             api.DefaultAddr,
		DefaultWait:      api.DefaultWait,
		MaxWait:          api.DefaultMaxWait,
		APIShutdown:      api.DefaultShutdownTimeout,
		HeaderTimeout:    api.DefaultHeaderTimeout,
		MaxKeys:          api.DefaultMaxKeys,
		MaxStreams:       api.DefaultMaxStreams,
		BodyGrace:        api.DefaultBodyGrace,
		MinBodyRate:      api.DefaultMinBodyRate,
		RateLimitOnError: string(api.DefaultRateLimitOnError),
		WorkerPoll:       worker.DefaultPollInterval,
		WorkerShutdown:   worker.DefaultShutdownTimeout,
		VariantNice:      worker.DefaultVariantNice,
		MaxEdge:          imaging.DefaultMaxEdge,
		MaxPixels:        imaging.DefaultMaxPixels,
		MaxFrames:        imaging.DefaultMaxFrames,
		AVIFSpeed:        imaging.DefaultAVIFSpeed,
		ReconcileSpec:    scheduler.DefaultReconcileSpec,
		StuckAfter:       scheduler.DefaultStuckAfter,
		PurgeSpec:        scheduler.DefaultPurgeSpec,
		PurgeGrace:       scheduler.DefaultPurgeGrace,
		ResetSpec:        scheduler.DefaultResetSpec,
		FetchPorts:       slices.Clone(fetch.DefaultPorts),
		FetchTimeout:     fetch.DefaultTotalTimeout,
	}
}

// loadConfig reads the environment over defaultConfig. Its errors name
// the variable and what it accepts.
func loadConfig() (config, error) {
	c := defaultConfig()
	if err := env.Parse(&c); err != nil {
		return c, explainParseError(err)
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.Join(c.DataDir, "picpipe.db")
	}
	if c.StorageDir == "" {
		c.StorageDir = filepath.Join(c.DataDir, "blobs")
	}
	if c.Plans != "" {
		if err := json.Unmarshal([]byte(c.Plans), &c.plans); err != nil {
			return c, fmt.Errorf("config: PICPIPE_PLANS: want JSON plans by name, e.g. {\"free\": {\"max_images\": 50, …}}: %w", err)
		}
	}
	if err := c.check(); err != nil {
		return c, err
	}
	if _, err := c.fetchConfig(); err != nil {
		return c, err
	}
	for _, v := range []interface{ Validate() error }{c.apiConfig(), c.workerConfig(), c.imagingConfig(), c.schedulerConfig()} {
		if err := v.Validate(); err != nil {
			return c, fmt.Errorf("config: %w", err)
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
		MaxStreams:       c.MaxStreams,
		Pace:             api.Pace{Grace: c.BodyGrace, MinRate: c.MinBodyRate},
		CORSOrigins:      c.CORSOrigins,
	}
}

func (c config) workerConfig() worker.Config {
	cfg := worker.Config{Concurrency: c.WorkerConcurrency, VariantConcurrency: c.VariantWorkers,
		PollInterval: c.WorkerPoll, ShutdownTimeout: c.WorkerShutdown, Pools: c.pools()}
	if cfg.Pools == worker.PoolVariants {
		cfg.EncodeNice = c.VariantNice
	}
	return cfg
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
			return cfg, fmt.Errorf("config: PICPIPE_FETCH_ALLOW_CIDRS=%q: want comma-separated CIDRs such as 10.20.0.0/16: %w", strings.Join(c.FetchAllow, ","), err)
		}
		cfg.AllowPrefixes = append(cfg.AllowPrefixes, p)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config: PICPIPE_FETCH_PORTS or PICPIPE_FETCH_ALLOW_CIDRS: %w", err)
	}
	return cfg, nil
}

// setupLogging installs the default slog logger.
func (c config) setupLogging() {
	var level slog.Level
	level.UnmarshalText([]byte(c.LogLevel)) // checked by loadConfig
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	slog.SetDefault(slog.New(h))
}
