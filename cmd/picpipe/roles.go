package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"picpipe/api"
	"picpipe/db"
	"picpipe/fetch"
	"picpipe/imaging"
	"picpipe/jobs"
	"picpipe/scheduler"
	"picpipe/storage"
	"picpipe/worker"
)

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
	sched, err := scheduler.New(cfg.schedulerConfig(), scheduler.Deps{DB: d, Store: st, Redis: redisOpt})
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	if cfg.MetricsAddr != "" {
		g.Go(func() error { return serveMetrics(gctx, cfg.MetricsAddr) })
	}
	if all || role == "api" {
		acfg := cfg.apiConfig()
		if acfg.SigningKey, err = cfg.signingKey(role, st); err != nil {
			return err
		}
		srv, err := api.New(ctx, acfg, api.Deps{DB: d, Store: st, Redis: redisOpt})
		if err != nil {
			return err
		}
		defer srv.Close()
		g.Go(func() error { return srv.Run(gctx) })
		slog.Info("create an API key with: picpipe keys create --name NAME (make run: ./bin/picpipe keys create --name NAME)")
	}
	if all || role == "worker" {
		w, err := newWorker(cfg, d, st, redisOpt, sched)
		if err != nil {
			return err
		}
		g.Go(func() error { return w.Run(gctx) })
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
// maintenance handlers.
func newWorker(cfg config, d *db.DB, st storage.Store, redisOpt asynq.RedisClientOpt, sched *scheduler.Scheduler) (*worker.Worker, error) {
	if err := imaging.Startup(); err != nil {
		return nil, err
	}
	proc, err := imaging.NewProcessor(cfg.imagingConfig())
	if err != nil {
		return nil, err
	}
	fcfg, err := cfg.fetchConfig()
	if err != nil {
		return nil, err
	}
	fetcher, err := fetch.New(fcfg)
	if err != nil {
		return nil, err
	}
	w, err := worker.New(cfg.workerConfig(), worker.Deps{DB: d, Store: st, Redis: redisOpt, Processor: proc, Fetcher: fetcher})
	if err != nil {
		return nil, err
	}
	sched.Register(w)
	return w, nil
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
	if cfg.RedisURL == "" {
		return errors.New("dashboard needs PICPIPE_REDIS_URL")
	}
	redisOpt, err := jobs.RedisOpt(cfg.RedisURL)
	if err != nil {
		return err
	}
	return api.RunDashboard(ctx, cfg.apiConfig(), redisOpt)
}

// serveMetrics serves Prometheus metrics on addr until ctx ends.
func serveMetrics(ctx context.Context, addr string) error {
	hs := &http.Server{Addr: addr, Handler: promhttp.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	slog.Info("metrics listening", "addr", addr)
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
