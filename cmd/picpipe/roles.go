package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"picpipe/api"
	"picpipe/db"
	"picpipe/fetch"
	"picpipe/imaging"
	"picpipe/jobs"
	"picpipe/outbox"
	"picpipe/resource"
	"picpipe/scheduler"
	"picpipe/storage"
	"picpipe/worker"
)

func newServeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the API, a worker and the scheduler in one process",
		Long: `serve runs the API, an image worker and the maintenance scheduler in one
process, until SIGTERM or SIGINT. Without PICPIPE_REDIS_URL it starts a
private redis-server under PICPIPE_DATA_DIR. It migrates the database first.`,
		Args: exactArgs(0, "no arguments"),
		RunE: configured(func(c *cobra.Command, cfg config, _ []string) error {
			return runRoles(c.Context(), cfg, "serve")
		}),
	}
}

// newRoleCmd is "picpipe api", "picpipe worker" or "picpipe scheduler":
// one role alone, for scaling out.
func newRoleCmd(role, short string) *cobra.Command {
	return &cobra.Command{
		Use:   role,
		Short: short,
		Long: short + ` until SIGTERM or SIGINT, for scaling out.
It needs PICPIPE_REDIS_URL (only serve starts a private redis-server).`,
		Args: exactArgs(0, "no arguments"),
		RunE: configured(func(c *cobra.Command, cfg config, _ []string) error {
			return runRoles(c.Context(), cfg, role)
		}),
	}
}

func newMigrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations (creating the database if need be)",
		Long: `migrate applies the pending migrations to the database PICPIPE_DATABASE_URL
names (default: SQLite in PICPIPE_DATA_DIR), creating a SQLite file that
does not exist yet. serve and api migrate on start too.`,
		Args: exactArgs(0, "no arguments"),
		RunE: configured(func(c *cobra.Command, cfg config, _ []string) error {
			d, err := openDB(c.Context(), cfg, true)
			if err != nil {
				return err
			}
			slog.Info("migrations applied", "database", cfg.databaseName())
			return d.Close()
		}),
	}
}

func newDashboardCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "dashboard",
		Short: "Serve only the queue dashboard (asynqmon) at /admin/queues",
		Long: `dashboard serves the queue dashboard (asynqmon) alone at /admin/queues on
PICPIPE_ADDR, behind PICPIPE_ADMIN_TOKEN (required), for the Redis at
PICPIPE_REDIS_URL (required).`,
		Args: exactArgs(0, "no arguments"),
		RunE: configured(func(c *cobra.Command, cfg config, _ []string) error {
			return runDashboard(c.Context(), cfg)
		}),
	}
}

// runRoles runs the named role ("serve" for all three) until ctx ends.
func runRoles(ctx context.Context, cfg config, role string) error {
	all := role == "serve"
	if cfg.RedisURL == "" {
		if !all {
			return fmt.Errorf("%s needs PICPIPE_REDIS_URL (only serve starts a private redis-server)", role)
		}
		url, stop, err := privateRedis(ctx, cfg.RedisServer, cfg.DataDir)
		if err != nil {
			return err
		}
		defer stop()
		cfg.RedisURL = url
	}
	redisOpt, err := jobs.RedisOpt(cfg.RedisURL)
	if err != nil {
		return err
	}
	d, err := openDB(ctx, cfg, all || role == "api")
	if err != nil {
		return err
	}
	defer d.Close()
	st, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	// Webhook events are queued right after the commit that writes them,
	// by whichever role made the change; reconcile sweeps up the rest.
	queue := jobs.OpenQueue(redisOpt)
	defer queue.Close()
	d.OnEvents(outbox.NewDispatcher(d, queue, nil).Hook)
	defer d.OnEvents(nil)
	// One address policy for URL ingest, webhook URLs and deliveries.
	fetcher, err := cfg.fetcher()
	if err != nil {
		return err
	}
	sched, err := scheduler.New(cfg.schedulerConfig(), scheduler.Deps{DB: d, Store: st, Redis: redisOpt})
	if err != nil {
		return err
	}
	// A variant process of this worker serves its metrics on a socket of
	// its own, which this process's /metrics takes in (variantMetrics).
	var metrics prometheus.Gatherer = prometheus.DefaultGatherer
	var variantSocket string
	if (all || role == "worker") && cfg.variantsApart() {
		dir, err := os.MkdirTemp("", "picpipe-variants-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		variantSocket = filepath.Join(dir, "metrics.sock")
		metrics = prometheus.Gatherers{prometheus.DefaultGatherer, newVariantMetrics(variantSocket)}
	}
	g, gctx := errgroup.WithContext(ctx)
	if cfg.MetricsAddr != "" {
		g.Go(func() error { return serveMetrics(gctx, cfg.MetricsAddr, metrics) })
	}
	if all || role == "api" {
		acfg := cfg.apiConfig()
		if acfg.SigningKey, err = cfg.signingKey(role, st); err != nil {
			return err
		}
		srv, err := api.New(ctx, acfg, api.Deps{DB: d, Store: st, Redis: redisOpt, Fetcher: fetcher, Metrics: metrics})
		if err != nil {
			return err
		}
		defer srv.Close()
		g.Go(func() error { return srv.Run(gctx) })
		slog.Info("create an API key with: picpipe keys create --name NAME (make run: ./bin/picpipe keys create --name NAME)")
	}
	if all || role == "worker" {
		activity, err := cfg.imageActivity()
		if err != nil {
			return err
		}
		w, err := newWorker(cfg, d, st, redisOpt, fetcher, sched, activity)
		if err != nil {
			return err
		}
		g.Go(func() error { return w.Run(gctx) })
		if cfg.variantsApart() {
			g.Go(func() error { return runVariantProcess(gctx, cfg, variantSocket, activity) })
		}
	}
	if all || role == "scheduler" {
		g.Go(func() error { return sched.Run(gctx) })
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// newWorker builds a worker with the image handlers and the scheduler's
// maintenance handlers; its webhooks link to the API's public URL, and
// its variants give way to the image pool of activity (nil: its own).
func newWorker(cfg config, d *db.DB, st storage.Store, redisOpt asynq.RedisConnOpt, fetcher *fetch.Fetcher, sched *scheduler.Scheduler, activity *worker.Activity) (*worker.Worker, error) {
	if err := imaging.Startup(); err != nil {
		return nil, err
	}
	proc, err := imaging.NewProcessor(cfg.imagingConfig())
	if err != nil {
		return nil, err
	}
	wcfg := cfg.workerConfig()
	if wcfg.Webhooks.BaseURL = cfg.PublicURL; wcfg.Webhooks.BaseURL == "" {
		wcfg.Webhooks.BaseURL = resource.FallbackBase(cfg.Addr) // what the API links to without a public URL
	}
	w, err := worker.New(wcfg, worker.Deps{DB: d, Store: st, Redis: redisOpt, Processor: proc, Fetcher: fetcher, Activity: activity})
	if err != nil {
		return nil, err
	}
	sched.Register(w)
	return w, nil
}

// fetcher returns the SSRF-safe fetcher of the configuration.
func (cfg config) fetcher() (*fetch.Fetcher, error) {
	fcfg, err := cfg.fetchConfig()
	if err != nil {
		return nil, err
	}
	return fetch.New(fcfg)
}

// openDB opens the database, migrating it first when migrate is set.
func openDB(ctx context.Context, cfg config, migrate bool) (*db.DB, error) {
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := d.Migrate(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// runDashboard serves the queue dashboard alone.
func runDashboard(ctx context.Context, cfg config) error {
	if cfg.AdminToken == "" {
		return errors.New("dashboard needs PICPIPE_ADMIN_TOKEN: without it every request would be refused 401 " +
			"(e.g. PICPIPE_ADMIN_TOKEN=$(openssl rand -hex 16))")
	}
	if cfg.RedisURL == "" {
		return errors.New("dashboard needs PICPIPE_REDIS_URL, the Redis the workers use")
	}
	redisOpt, err := jobs.RedisOpt(cfg.RedisURL)
	if err != nil {
		return err
	}
	return api.RunDashboard(ctx, cfg.apiConfig(), redisOpt)
}

// serveMetrics serves Prometheus metrics on addr until ctx ends.
func serveMetrics(ctx context.Context, addr string, g prometheus.Gatherer) error {
	network := "tcp"
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", path
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	hs := &http.Server{Handler: api.MetricsHandler(g), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	slog.Info("metrics listening", "addr", addr)
	if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
