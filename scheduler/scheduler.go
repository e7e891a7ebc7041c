package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"

	"picpipe"
	"picpipe/db"
	"picpipe/jobs"
	"picpipe/storage"
)

// Config configures the schedules. The zero value of each field means the
// default named beside it. Specs are cron specs ("0 0 1 * *") or
// "@every <duration>", in UTC.
type Config struct {
	// ReconcileSpec schedules reconcile; "" means DefaultReconcileSpec. It bounds
	// how long work of a dead worker waits: its task's lease (30 s) plus
	// this period.
	ReconcileSpec string
	// StuckAfter is how long an image may stay queued or processing before
	// reconcile enqueues it again; 0 means DefaultStuckAfter.
	StuckAfter time.Duration
	// PurgeSpec schedules purge; "" means DefaultPurgeSpec.
	PurgeSpec string
	// PurgeGrace is how long purge leaves deleted images' blobs and
	// unreferenced staged uploads alone; 0 means DefaultPurgeGrace.
	PurgeGrace time.Duration
	// ResetSpec schedules the monthly transform reset; "" means
	// DefaultResetSpec.
	ResetSpec string
	// Plans give the limits a re-enqueued fetch runs under; nil means
	// picpipe.DefaultPlans.
	Plans picpipe.Plans
	// EventRetention is how long purge keeps dispatched webhook events
	// and the delivery log; 0 means DefaultEventRetention.
	EventRetention time.Duration
}

// Defaults applied to the zero values of Config fields.
const (
	DefaultReconcileSpec = "@every 30s"
	DefaultStuckAfter    = 5 * time.Minute
	DefaultPurgeSpec     = "@every 10m"
	DefaultPurgeGrace    = time.Hour
	// DefaultResetSpec is midnight UTC on the first of the month.
	DefaultResetSpec = "0 0 1 * *"
)

func (c Config) withDefaults() Config {
	if c.ReconcileSpec == "" {
		c.ReconcileSpec = DefaultReconcileSpec
	}
	if c.StuckAfter == 0 {
		c.StuckAfter = DefaultStuckAfter
	}
	if c.PurgeSpec == "" {
		c.PurgeSpec = DefaultPurgeSpec
	}
	if c.PurgeGrace == 0 {
		c.PurgeGrace = DefaultPurgeGrace
	}
	if c.ResetSpec == "" {
		c.ResetSpec = DefaultResetSpec
	}
	if c.Plans == nil {
		c.Plans = picpipe.DefaultPlans()
	}
	if c.EventRetention == 0 {
		c.EventRetention = DefaultEventRetention
	}
	return c
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if c.StuckAfter < 0 || c.PurgeGrace < 0 || c.EventRetention < 0 {
		return errors.New("scheduler: StuckAfter, PurgeGrace and EventRetention must not be negative")
	}
	for _, spec := range []string{c.ReconcileSpec, c.PurgeSpec, c.ResetSpec} {
		if _, err := cron.ParseStandard(spec); spec != "" && err != nil {
			return fmt.Errorf("scheduler: schedule %q: %w", spec, err)
		}
	}
	return nil
}

// Deps are the parts maintenance runs on.
type Deps struct {
	DB    *db.DB
	Store storage.Store
	Redis asynq.RedisConnOpt // one server or a master under Sentinel (jobs.RedisOpt)
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

// job is one maintenance job: its task type, schedule and work, which
// returns how many items it handled.
type job struct {
	typ  string
	spec string
	run  func(context.Context) (int, error)
}

func (s *Scheduler) jobs() []job {
	return []job{
		{jobs.TypeReconcile, s.cfg.ReconcileSpec, s.Reconcile},
		{jobs.TypePurge, s.cfg.PurgeSpec, s.Purge},
		{jobs.TypeResetTransforms, s.cfg.ResetSpec, s.ResetTransforms},
	}
}

// Handler is where the maintenance handlers are registered: a worker.
type Handler interface {
	Handle(pattern string, h asynq.Handler)
}

// Register adds the maintenance handlers to w. Each run is logged and
// counted in the picpipe_maintenance_* metrics.
func (s *Scheduler) Register(w Handler) {
	for _, j := range s.jobs() {
		w.Handle(j.typ, asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
			n, err := j.run(ctx)
			observe(j.typ, n, err)
			if err != nil {
				slog.Error("maintenance failed", "job", j.typ, "items", n, "err", err)
				return err
			}
			slog.Info("maintenance done", "job", j.typ, "items", n)
			return nil
		}))
	}
}

// Run enqueues the maintenance tasks on their schedules until ctx is
// cancelled. Each run is unique for less than its period (see
// uniqueFor): several schedulers enqueue one run a period between them,
// and no run, stuck or failed, keeps the next period's from being
// enqueued. A refused enqueue is logged.
func (s *Scheduler) Run(ctx context.Context) error {
	sch := asynq.NewScheduler(s.deps.Redis, &asynq.SchedulerOpts{
		Location: time.UTC,
		Logger:   jobs.Logger{},
		EnqueueErrorHandler: func(t *asynq.Task, _ []asynq.Option, err error) {
			if errors.Is(err, asynq.ErrDuplicateTask) {
				slog.Info("maintenance run of this period already enqueued", "type", t.Type())
				return
			}
			slog.Warn("maintenance enqueue failed; the next period tries again", "type", t.Type(), "err", err)
		},
	})
	for _, j := range s.jobs() {
		unique, err := uniqueFor(j.spec, s.deps.Now())
		if err != nil {
			return fmt.Errorf("scheduler: %s %q: %w", j.typ, j.spec, err)
		}
		if _, err := sch.Register(j.spec, jobs.NewMaintenanceTask(j.typ, unique)); err != nil {
			return fmt.Errorf("scheduler: register %s %q: %w", j.typ, j.spec, err)
		}
	}
	if err := sch.Start(); err != nil {
		return fmt.Errorf("scheduler: start: %w", err)
	}
	slog.Info("scheduler started", "reconcile", s.cfg.ReconcileSpec, "purge", s.cfg.PurgeSpec, "reset", s.cfg.ResetSpec)
	<-ctx.Done()
	sch.Shutdown()
	return nil
}

// uniqueFor is how long a run of the schedule spec stays unique: half
// its period as of now (at least a second, at most an hour), long enough
// to make the enqueues of schedulers ticking together one, and shorter
// than the period.
func uniqueFor(spec string, now time.Time) (time.Duration, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return 0, err
	}
	next := sched.Next(now.UTC())
	half := sched.Next(next).Sub(next) / 2
	return min(max(half, time.Second), time.Hour), nil
}

// ResetTransforms starts the current month's transform counts (UTC) and
// returns how many accounts it reset. Run twice in a month, or by two
// workers at once, it resets once.
func (s *Scheduler) ResetTransforms(ctx context.Context) (int, error) {
	n, err := s.deps.DB.ResetTransforms(ctx, db.Period(s.deps.Now().Unix()))
	return int(n), err
}
