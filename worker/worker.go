package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"picpipe/db"
	"picpipe/fetch"
	"picpipe/imaging"
	"picpipe/jobs"
	"picpipe/outbox"
	"picpipe/storage"
)

// Config configures a worker. The zero value of each field means the
// default named beside it.
type Config struct {
	// Concurrency is the number of tasks run at once: the image worker
	// pool (uploads, fetches, cleans, maintenance); 0 means
	// DefaultConcurrency().
	Concurrency int
	// VariantConcurrency is the number of background variants (AVIF)
	// made at once, on a pool of their own that, beside an image pool
	// (this process's, or Deps.Activity's), starts one only while that
	// pool leaves room (gate); 0 means DefaultVariantConcurrency().
	VariantConcurrency int
	// PollInterval is how long an idle pool waits for a task's wake
	// (jobs.Queue) before it looks at its queues anyway, for the tasks
	// queued without one: retries come due, tasks of other tools; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
	// ShutdownTimeout is how long running tasks may finish on shutdown
	// before they are handed back to the queue; 0 means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// RetryCheckInterval is how often retries that are due are moved back
	// to their queue; 0 means asynq's 5 s.
	RetryCheckInterval time.Duration
	// RetryDelay is the wait before retry n of a failed task; nil means
	// asynq's exponential backoff (seconds, then minutes).
	RetryDelay func(n int, err error) time.Duration
	// Webhooks configures the delivery of webhooks: the links in their
	// bodies, timeouts, retries and the disabling of failing endpoints.
	Webhooks outbox.Config
	// WebhookConcurrency is how many webhook deliveries run at once, on
	// a server of their own beside the image pool; 0 means
	// DefaultWebhookConcurrency.
	WebhookConcurrency int
	// WebhookBackoff is the wait before retry n of a failed delivery;
	// nil means outbox.Backoff.
	WebhookBackoff func(n int) time.Duration
	// EncodeNice is the CPU priority (nice value) the variants are
	// encoded at, on threads of their own, 0 leaving it as it is: a
	// worker running the variant pool alone, beside an image pool's
	// process on the same machine, encodes at a lower priority than the
	// uploads' while its commits keep the process's.
	EncodeNice int
	// Pools are the pools this worker runs; 0 means AllPools.
	Pools Pools
}

// Defaults applied to the zero values of Config fields.
const (
	// DefaultPollInterval is how long an idle pool waits for a wake
	// before it looks at its queues anyway: a task queued without a wake
	// waits 0.5 s on average; one with a wake is taken at once.
	DefaultPollInterval = time.Second
	// DefaultShutdownTimeout is how long running tasks may finish on
	// shutdown: asynq's own 8 s is shorter than a large AVIF encode.
	DefaultShutdownTimeout = 60 * time.Second
)

// DefaultConcurrency is the image pool's size: one job per CPU the
// process may use, runtime.GOMAXPROCS — which the Go runtime lowers to a
// container's CPU limit (rounded up, at least 2), where runtime.NumCPU
// would count the whole host's CPUs, and which GOMAXPROCS sets as well.
// Each job keeps about one core busy (libvips at concurrency 1).
func DefaultConcurrency() int { return runtime.GOMAXPROCS(0) }

func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency()
	}
	if c.VariantConcurrency == 0 {
		c.VariantConcurrency = DefaultVariantConcurrency()
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.WebhookConcurrency == 0 {
		c.WebhookConcurrency = DefaultWebhookConcurrency
	}
	if c.Pools == 0 {
		c.Pools = AllPools
	}
	return c
}

// server is the asynq configuration every pool of the worker shares (its
// pause between polls, shutdown grace, logger and retry check), for a
// pool of concurrency tasks at once on queues.
func (c Config) server(concurrency int, queues map[string]int) asynq.Config {
	return asynq.Config{
		Concurrency:              concurrency,
		Queues:                   queues,
		TaskCheckInterval:        jobs.WakePause, // the pool's Waker waits for tasks
		ShutdownTimeout:          c.ShutdownTimeout,
		Logger:                   jobs.Logger{},
		DelayedTaskCheckInterval: c.RetryCheckInterval,
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.Concurrency < 0 || c.VariantConcurrency < 0 || c.EncodeNice < 0 || c.PollInterval < 0 || c.ShutdownTimeout < 0 || c.RetryCheckInterval < 0 || c.WebhookConcurrency < 0 {
		return errors.New("worker: the concurrencies and the intervals must not be negative")
	}
	if c.Pools&^AllPools != 0 {
		return fmt.Errorf("worker: unknown pools %#x", uint8(c.Pools&^AllPools))
	}
	return c.Webhooks.Validate()
}

// Deps are the parts a worker runs on.
type Deps struct {
	DB        *db.DB
	Store     storage.Store
	Redis     asynq.RedisConnOpt // one server or a master under Sentinel (jobs.RedisOpt)
	Processor *imaging.Processor
	// Fetcher fetches remote URLs for ingest:url and sends the webhooks,
	// under one address policy; nil refuses ingest:url tasks and serves
	// no webhooks.
	Fetcher *fetch.Fetcher
	// Activity is the image pool's activity that the variants give way
	// to: a shared one (NewSharedActivity) in a worker whose variant
	// process opens it too, and in that process; nil in any other
	// worker, which keeps one of its own. A worker given one holds its
	// variants back for it even without an image pool of its own.
	Activity *Activity
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Worker processes tasks from the queues, on the pools of its Config:
// the image pool serves every queue but jobs.QueueLow, which a smaller
// pool of its own serves (the background variants; beside an image pool
// in this process or in the process that started this one, held back
// by gate while interactive work could use the CPU); webhooks have a
// third.
type Worker struct {
	cfg   Config
	deps  Deps
	mux   *asynq.ServeMux // the image pool's, for Handle
	gate  *gate
	pools []pool // those this worker runs
	queue *jobs.Queue
	rdb   redis.UniversalClient
}

// pool is one asynq server of the worker and its handlers, on a Redis
// client of its own that waits for wakes of its queues.
type pool struct {
	name  string
	srv   *asynq.Server
	mux   *asynq.ServeMux
	rdb   redis.UniversalClient
	waker *jobs.Waker
}

// newPool returns the pool name of an asynq server configured by cfg,
// running the handlers of mux.
func (w *Worker) newPool(name string, cfg asynq.Config, mux *asynq.ServeMux) pool {
	rdb := w.deps.Redis.MakeRedisClient().(redis.UniversalClient)
	waker := jobs.NewWaker(rdb, slices.Collect(maps.Keys(cfg.Queues)), w.cfg.PollInterval)
	return pool{name, asynq.NewServerFromRedisClient(rdb, cfg), mux, rdb, waker}
}

// start starts p's Waker and server.
func (p pool) start() error {
	p.waker.Start()
	if err := p.srv.Start(p.mux); err != nil {
		p.stop()
		return fmt.Errorf("worker: start %s: %w", p.name, err)
	}
	return nil
}

// stop stops p's server, giving its running tasks ShutdownTimeout, and
// closes its client.
func (p pool) stop() {
	p.waker.Stop() // an idle dequeue returns at once
	p.srv.Shutdown()
	p.rdb.Close()
}

// New builds a worker with the image handlers registered. More handlers
// (the scheduler's) can be added with Handle before Run.
func New(cfg Config, deps Deps) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if deps.Now == nil {
		deps.Now = time.Now
	}
	w := &Worker{
		cfg: cfg, deps: deps, mux: asynq.NewServeMux(),
		rdb: deps.Redis.MakeRedisClient().(redis.UniversalClient),
	}
	w.queue = jobs.NewQueue(w.rdb)
	activity := deps.Activity
	if activity == nil {
		activity = newActivity()
	}
	w.gate = newGate(cfg, activity, w.rdb, deps.Now)
	w.mux.Use(logTasks, w.gate.counting)
	w.mux.HandleFunc(jobs.TypeImageProcess, w.processImage)
	w.mux.HandleFunc(jobs.TypeIngestURL, w.ingestURL)
	w.mux.HandleFunc(jobs.TypeFileClean, w.cleanFile)
	if cfg.Pools&PoolImages != 0 {
		srvCfg := cfg.server(cfg.Concurrency, interactiveQueues())
		srvCfg.RetryDelayFunc = retryDelay(cfg.RetryDelay)
		w.pools = append(w.pools, w.newPool("images", srvCfg, w.mux))
	}
	if cfg.Pools&PoolVariants != 0 {
		w.pools = append(w.pools, w.newVariantPool())
	}
	if cfg.Pools&PoolWebhooks != 0 && deps.Fetcher != nil {
		p, err := w.newWebhookPool()
		if err != nil {
			return nil, err
		}
		w.pools = append(w.pools, p)
	}
	return w, nil
}

// Handle registers another task handler.
func (w *Worker) Handle(pattern string, h asynq.Handler) { w.mux.Handle(pattern, h) }

// Run processes tasks until ctx is cancelled, then stops taking new ones
// and gives running ones ShutdownTimeout to finish, in every pool at
// once; the rest go back to the queue.
func (w *Worker) Run(ctx context.Context) error {
	defer w.rdb.Close()
	for i, p := range w.pools {
		if err := p.start(); err != nil {
			w.shutdown(w.pools[:i])
			return err
		}
	}
	slog.Info("worker started", "pools", w.cfg.Pools.String(), "concurrency", w.cfg.Concurrency,
		"variant_concurrency", w.cfg.VariantConcurrency, "variants_give_way", w.variantsGiveWay(),
		"webhook_concurrency", w.cfg.WebhookConcurrency)
	<-ctx.Done()
	close(w.gate.stopping) // variants held back go back to their queue at once
	w.shutdown(w.pools)
	slog.Info("worker stopped")
	return nil
}

// shutdown stops the pools at once, each giving its running tasks
// ShutdownTimeout, and returns when all have stopped.
func (w *Worker) shutdown(pools []pool) {
	var wg sync.WaitGroup
	for _, p := range pools {
		wg.Go(p.stop)
	}
	wg.Wait()
}

// logTasks logs each task's outcome and duration, and counts them in
// the picpipe_task* metrics.
func logTasks(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		id, _ := asynq.GetTaskID(ctx)
		err := next.ProcessTask(ctx, t)
		dur := time.Since(start)
		taskSeconds.WithLabelValues(t.Type()).Observe(dur.Seconds())
		attrs := []any{"type", t.Type(), "task_id", id, "dur_ms", dur.Milliseconds()}
		if err != nil {
			tasks.WithLabelValues(t.Type(), "error").Inc()
			slog.Warn("task failed", append(attrs, "err", err)...)
		} else {
			tasks.WithLabelValues(t.Type(), "ok").Inc()
			slog.Info("task done", attrs...)
		}
		return err
	})
}

// retryDelay adapts f to asynq, falling back to asynq's default backoff.
func retryDelay(f func(int, error) time.Duration) asynq.RetryDelayFunc {
	if f == nil {
		return asynq.DefaultRetryDelayFunc
	}
	return func(n int, err error, _ *asynq.Task) time.Duration { return f(n, err) }
}
