package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"picpipe"
	"picpipe/db"
	"picpipe/fetch"
	"picpipe/intake"
	"picpipe/jobs"
	"picpipe/outbox"
	"picpipe/storage"
)

// Config configures the API. The zero value of each field means the
// default named beside it (defaults.go).
type Config struct {
	// Addr is the listen address; "" means DefaultAddr.
	Addr string
	// PublicURL is the base of the links the API returns, e.g.
	// "https://img.example.com". "" means the scheme and Host of each
	// request whose Host is this machine (localhost or a loopback
	// address), and http://localhost with Addr's port for any other Host
	// (a Host header is the client's to choose): set it in production.
	PublicURL string
	// PublicBlobURL, when set, is the base URL at which the store's blobs
	// are served publicly (a CDN, or a public bucket): the blob under key
	// is at PublicBlobURL/key. Image links then answer with a redirect
	// there, once the API has checked the image and chosen its variant.
	// "" streams every blob through the API.
	PublicBlobURL string
	// SigningKey signs the URLs of presigned uploads the API takes in
	// itself, for stores clients cannot upload to directly (the local
	// directory): every API process must have the same one, of at least
	// 32 bytes. Empty means a random key of this process.
	SigningKey []byte
	// Plans are the account plans by name; nil means picpipe.DefaultPlans.
	Plans picpipe.Plans
	// MaxEdge and MaxPixels are the image size limits, checked on the
	// upload's header where it tells the size (the workers check every
	// image again); 0 means DefaultMaxEdge and DefaultMaxPixels.
	MaxEdge   int
	MaxPixels int64
	// MaxFrames is the most frames an uploaded image may hold, counted in
	// its container as it streams in (MaxPixels then bounds width ×
	// height × frames); 0 means DefaultMaxFrames.
	MaxFrames int
	// MaxRequestBytes bounds the body of a multi-file upload; 0 means
	// DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// DefaultWait is how long an upload waits for its result without a
	// Prefer header; 0 means DefaultWait.
	DefaultWait time.Duration
	// MaxWait caps Prefer: wait=N; 0 means DefaultMaxWait.
	MaxWait time.Duration
	// AdminToken opens /admin/queues; "" keeps it closed.
	AdminToken string
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed;
	// nil trusts none (client IPs come from the socket).
	TrustedProxies []string
	// CompatRoot names seed APIs (compat.Names) to mount at the root as
	// well as under /compat/<seed>, for clients with a hard-coded host;
	// two that claim one path are refused.
	CompatRoot []string
	// CORSOrigins are the origins whose pages may call the API
	// (scheme://host[:port] each, or "*" for any); nil allows none. The
	// public links answer every origin whatever it says.
	CORSOrigins []string
	// MaxKeys is the most API keys an account may hold (live ones, and
	// those revoked less than a day after they were made); 0 means
	// DefaultMaxKeys.
	MaxKeys int
	// MaxWebhooks is the most webhook endpoints an account may have; 0
	// means DefaultMaxWebhooks.
	MaxWebhooks int
	// ShutdownTimeout bounds the drain of in-flight requests; 0 means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// HeaderTimeout bounds the reading of a request's head; 0 means
	// DefaultHeaderTimeout.
	HeaderTimeout time.Duration
	// Pace is the slowest a request body may arrive before its
	// connection is cut (408 request_timeout); zero fields mean
	// DefaultBodyGrace and DefaultMinBodyRate.
	Pace Pace
	// RateLimitOnError is what the upload rate limit does when Redis does
	// not answer in time: FailClosed refuses the upload with 503
	// transcode_unavailable, FailOpen lets it through unlimited; "" means
	// DefaultRateLimitOnError, FailClosed. Closed is the default because an upload cannot be queued
	// without Redis anyway: failing closed answers at once instead of
	// after reading and staging a body only to refuse it at the enqueue,
	// and never lets an account past its plan's rate.
	RateLimitOnError FailMode
	// MaxStreams is the most event streams (GET …/events) an account may
	// hold open, all API processes together; 0 means DefaultMaxStreams.
	MaxStreams int
	// StreamHeartbeat is how often an event stream sends a comment to
	// keep its connection open; 0 means DefaultStreamHeartbeat.
	StreamHeartbeat time.Duration
}

// WithDefaults returns c with its zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Plans == nil {
		c.Plans = picpipe.DefaultPlans()
	}
	orDefault(&c.Addr, DefaultAddr)
	orDefault(&c.MaxEdge, DefaultMaxEdge)
	orDefault(&c.MaxPixels, DefaultMaxPixels)
	orDefault(&c.MaxFrames, DefaultMaxFrames)
	orDefault(&c.MaxRequestBytes, DefaultMaxRequestBytes)
	orDefault(&c.DefaultWait, DefaultWait)
	orDefault(&c.MaxWait, DefaultMaxWait)
	orDefault(&c.ShutdownTimeout, DefaultShutdownTimeout)
	orDefault(&c.MaxKeys, DefaultMaxKeys)
	orDefault(&c.MaxWebhooks, DefaultMaxWebhooks)
	orDefault(&c.HeaderTimeout, DefaultHeaderTimeout)
	orDefault(&c.Pace.Grace, DefaultBodyGrace)
	orDefault(&c.Pace.MinRate, DefaultMinBodyRate)
	orDefault(&c.RateLimitOnError, DefaultRateLimitOnError)
	orDefault(&c.MaxStreams, DefaultMaxStreams)
	orDefault(&c.StreamHeartbeat, DefaultStreamHeartbeat)
	return c
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.Plans != nil {
		if err := c.Plans.Validate(); err != nil {
			return err
		}
	}
	switch {
	case c.MaxEdge < 0 || c.MaxPixels < 0 || c.MaxFrames < 0:
		return errors.New("api: MaxEdge, MaxPixels and MaxFrames must not be negative")
	case c.DefaultWait < 0 || c.MaxWait < 0:
		return errors.New("api: waits must not be negative")
	case c.MaxKeys < 0 || c.MaxWebhooks < 0 || c.MaxStreams < 0 || c.StreamHeartbeat < 0:
		return errors.New("api: MaxKeys, MaxWebhooks, MaxStreams and StreamHeartbeat must not be negative")
	case c.HeaderTimeout < 0 || c.Pace.Grace < 0 || c.Pace.MinRate < 0:
		return errors.New("api: the header timeout and the body pace must not be negative")
	case c.DefaultWait > c.MaxWait && c.MaxWait != 0:
		return errors.New("api: DefaultWait exceeds MaxWait")
	case c.RateLimitOnError != "" && c.RateLimitOnError != FailClosed && c.RateLimitOnError != FailOpen:
		return fmt.Errorf("api: RateLimitOnError is %q; want %q or %q", c.RateLimitOnError, FailClosed, FailOpen)
	case len(c.SigningKey) > 0 && len(c.SigningKey) < minSigningKey:
		return fmt.Errorf("api: SigningKey has %d bytes; want at least %d", len(c.SigningKey), minSigningKey)
	}
	if err := checkCORSOrigins(c.CORSOrigins); err != nil {
		return err
	}
	return checkPublicBlobURL(c.PublicBlobURL)
}

// Deps are the parts the API runs on.
type Deps struct {
	DB    *db.DB
	Store storage.Store
	// Redis is where the queue, the rate limiter, the counters and the
	// completion announcements live: one server (asynq.RedisClientOpt) or
	// a master under Sentinel (asynq.RedisFailoverClientOpt); see
	// jobs.RedisOpt.
	Redis asynq.RedisConnOpt
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Fetcher checks the URLs of webhook endpoints when they are set: the
	// address policy of URL ingest and of the deliveries (the worker's
	// fetcher). nil means fetch.New(fetch.Config{}): public addresses on
	// ports 80 and 443 only.
	Fetcher *fetch.Fetcher
	// Metrics is what GET /metrics serves; nil means the default
	// registry (prometheus.DefaultGatherer).
	Metrics prometheus.Gatherer
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	db      *db.DB
	store   storage.Store
	stager  intake.Stager
	queue   *jobs.Queue
	rdb     redis.UniversalClient
	waiter  *jobs.Waiter
	limiter *redis_rate.Limiter
	now     func() time.Time
	router  *gin.Engine
	signer  uploadSigner
	leases  *leaseKeeper
	events  *eventStreams
	cors    corsOrigins
	metrics prometheus.Gatherer // GET /metrics; nil: the default registry
	// fetcher checks webhook URLs; dispatcher queues resends.
	fetcher    *fetch.Fetcher
	dispatcher *outbox.Dispatcher
}

// New builds the API and subscribes to completion announcements. Close
// releases its connections.
func New(ctx context.Context, cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rdb, err := redisClient(deps.Redis)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg.WithDefaults(),
		db:      deps.DB,
		store:   deps.Store,
		stager:  intake.Stager{Store: deps.Store},
		queue:   jobs.NewQueue(rdb),
		rdb:     rdb,
		now:     deps.Now,
		signer:  newUploadSigner(cfg.SigningKey),
		cors:    newCORSOrigins(cfg.CORSOrigins),
		metrics: deps.Metrics,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.fetcher = deps.Fetcher; s.fetcher == nil {
		if s.fetcher, err = fetch.New(fetch.Config{}); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.dispatcher = outbox.NewDispatcher(s.db, s.queue, s.now)
	s.limiter = redis_rate.NewLimiter(s.rdb)
	s.leases = startLeaseKeeper(s.db, s.now)
	s.events = newEventStreams(s.rdb, s.cfg.MaxStreams, s.cfg.StreamHeartbeat)
	w, err := jobs.NewWaiter(ctx, s.rdb)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("api: subscribe: %w", err)
	}
	s.waiter = w
	if s.router, err = s.routes(deps.Redis); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Handler returns the router, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.router }

// Close releases the Redis connections (the queue client shares them).
func (s *Server) Close() error {
	if s.waiter != nil {
		s.waiter.Close()
	}
	if s.leases != nil {
		s.leases.close()
	}
	if s.events != nil {
		s.events.close()
	}
	return s.rdb.Close()
}

// Run serves HTTP on cfg.Addr until ctx is cancelled, then stops accepting
// and lets in-flight requests finish within ShutdownTimeout.
func (s *Server) Run(ctx context.Context) error {
	if s.cfg.PublicURL == "" {
		slog.Warn("no public URL is configured: links name the request's host only when it is localhost or a loopback address",
			"otherwise", fallbackURL(s.cfg.Addr))
	}
	stop := context.AfterFunc(ctx, s.events.close) // streams end with the server, or hold its drain
	defer stop()
	return serveHTTP(ctx, s.cfg, s.router)
}

// HTTPServer returns the http.Server that Run serves the API with, for
// tests and embedding; serve it on a listener wrapped by GuardListener.
func (s *Server) HTTPServer() *http.Server { return newHTTPServer(s.cfg, s.router) }

// newHTTPServer returns the http.Server of h: request heads within
// HeaderTimeout and maxHeaderBytes, every request through the framing
// guard, idle connections closed after two minutes. Bodies keep their
// pace by themselves (withBody).
func newHTTPServer(cfg Config, h http.Handler) *http.Server {
	return &http.Server{
		Addr:                         cfg.Addr,
		Handler:                      guardFraming(h),
		ReadHeaderTimeout:            cfg.HeaderTimeout,
		IdleTimeout:                  2 * time.Minute,
		MaxHeaderBytes:               maxHeaderBytes,
		DisableGeneralOptionsHandler: true, // every request reaches the guard
		ConnContext:                  withFramedConn,
	}
}

// serveHTTP serves h on cfg.Addr until ctx is cancelled, then drains.
func serveHTTP(ctx context.Context, cfg Config, h http.Handler) error {
	hs := newHTTPServer(cfg, h)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(GuardListener(ln)) }()
	slog.Info("http listening", "addr", cfg.Addr)
	select {
	case err := <-errc:
		return fmt.Errorf("api: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	slog.Info("http stopped")
	return nil
}

// RunDashboard serves only the queue dashboard (/admin/queues behind the
// admin token) and /healthz on cfg.Addr until ctx is cancelled: the
// asynqmon role of a scaled-out deployment.
func RunDashboard(ctx context.Context, cfg Config, redisOpt asynq.RedisConnOpt) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	s := &Server{cfg: cfg.WithDefaults()}
	r, err := s.newEngine()
	if err != nil {
		return err
	}
	r.GET("/healthz", s.healthz)
	s.mountDashboard(r, redisOpt)
	return serveHTTP(ctx, s.cfg, r)
}

// MetricsHandler serves g (nil: the default registry) in Prometheus's
// text format.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	if g == nil {
		g = prometheus.DefaultGatherer
	}
	return promhttp.InstrumentMetricHandler(prometheus.DefaultRegisterer, promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
}
