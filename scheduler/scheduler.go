// Package scheduler runs picpipe's periodic maintenance: an asynq
// Scheduler enqueues the maintenance tasks on their schedules, and the
// handlers here (registered on the workers) do the work.
//
//	s := scheduler.New(cfg, scheduler.Deps{DB: d, Store: st, Redis: opt})
//	w.Handle(jobs.TypeReconcile, s.ReconcileHandler())
//	err := s.Run(ctx) // exactly one scheduler process per deployment
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/db"
	"picpipe/jobs"
	"picpipe/storage"
)

// Config configures the schedules. The zero value of each field means the
// default written beside it.
type Config struct {
	// ReconcileSpec is the cron spec of the reconcile task; "" means
	// "@every 1m".
	ReconcileSpec string
	// StuckAfter is how long an image may stay queued or processing before
	// reconcile enqueues it again; 0 means 5 minutes.
	StuckAfter time.Duration
}

func (c Config) withDefaults() Config {
	if c.ReconcileSpec == "" {
		c.ReconcileSpec = "@every 1m"
	}
	if c.StuckAfter == 0 {
		c.StuckAfter = 5 * time.Minute
	}
	return c
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.StuckAfter < 0 {
		return errors.New("scheduler: StuckAfter must not be negative")
	}
	return nil
}

// Deps are the parts maintenance runs on.
type Deps struct {
	DB    *db.DB
	Store storage.Store
	Redis asynq.RedisClientOpt
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Scheduler owns the schedules and the maintenance handlers.
type Scheduler struct {
	cfg  Config
	deps Deps
}

// New returns a Scheduler.
func New(cfg Config, deps Deps) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Scheduler{cfg: cfg.withDefaults(), deps: deps}, nil
}

// Run enqueues the maintenance tasks on their schedules until ctx is
// cancelled.
func (s *Scheduler) Run(ctx context.Context) error {
	sch := asynq.NewScheduler(s.deps.Redis, &asynq.SchedulerOpts{
		Location: time.UTC,
		EnqueueErrorHandler: func(t *asynq.Task, _ []asynq.Option, err error) {
			if !errors.Is(err, asynq.ErrTaskIDConflict) {
				slog.Warn("schedule enqueue", "type", t.Type(), "err", err)
			}
		},
	})
	if _, err := sch.Register(s.cfg.ReconcileSpec, jobs.NewReconcileTask()); err != nil {
		return fmt.Errorf("scheduler: register reconcile: %w", err)
	}
	if err := sch.Start(); err != nil {
		return fmt.Errorf("scheduler: start: %w", err)
	}
	slog.Info("scheduler started", "reconcile", s.cfg.ReconcileSpec)
	<-ctx.Done()
	sch.Shutdown()
	return nil
}
