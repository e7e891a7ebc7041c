package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"picpipe/jobs"
)

// DefaultVariantConcurrency is how many background variants (AVIF) a
// worker makes at once, on a pool of its own beside the image pool: a
// quarter of the CPUs it may use (DefaultConcurrency), at least two. An
// AVIF takes about 1.5 times the CPU of its WebP and about 530 MB at
// 24 MP (BENCHMARKS.md), and nobody waits for it; but the variants wait
// while uploads keep the image pool busy (gate), and the backlog that
// leaves drains afterwards a fifth slower one at a time than two at a
// time on two cores: 18 photos to WebP and AVIF took 32.5 s against
// 26.9 s (the "sustained throughput" of BENCHMARKS.md).
func DefaultVariantConcurrency() int { return max(2, DefaultConcurrency()/4) }

// DefaultVariantNice is the CPU priority (nice value) at which the
// process a worker runs its variant pool in, apart from its image pool,
// encodes (Config.EncodeNice): the lowest, so that variants take only the
// CPU the uploads leave free.
const DefaultVariantNice = 19

// gateCheck is how often a variant held back looks again for room.
const gateCheck = 25 * time.Millisecond

// variantSettle is how long the image pool must have been without work
// before a variant starts: between the uploads of a steady stream it is
// idle for a few milliseconds at a time, while the next is on its way.
const variantSettle = 100 * time.Millisecond

// variantMaxHold is the longest a background variant waits for
// interactive work to leave room before it starts anyway, so that a
// backlog drains, slowly, even under uploads that never stop.
const variantMaxHold = time.Minute

// errStopping hands a variant held back when the worker stops back to
// its queue, not counted as a failure: nothing of it ran.
var errStopping = errors.New("worker: stopping; the variant goes back to its queue")

// newVariantPool returns the asynq server of jobs.QueueLow alone: the
// background variants, with a concurrency of their own. Beside an image
// pool, in this process or in the one that started this one (the
// variant process of PICPIPE_VARIANT_NICE), each starts only once the
// interactive work leaves room (gate.hold); in a worker of variants
// alone, at once: a machine of its own has no uploads to wait for.
func (w *Worker) newVariantPool() pool {
	cfg := w.cfg.server(w.cfg.VariantConcurrency, map[string]int{jobs.QueueLow: 1})
	cfg.RetryDelayFunc = variantRetryDelay(retryDelay(w.cfg.RetryDelay))
	cfg.IsFailure = func(err error) bool { return !errors.Is(err, errStopping) }
	mux := asynq.NewServeMux()
	mux.Use(logTasks)
	if w.variantsGiveWay() {
		mux.Use(w.gate.holding)
	}
	mux.HandleFunc(jobs.TypeImageAVIF, w.encodeAVIF)
	return w.newPool("variants", cfg, mux)
}

// variantsGiveWay reports whether this worker runs a variant pool whose
// tasks wait for room (gate.hold): beside an image pool of this process,
// or of the process whose Activity this worker was given.
func (w *Worker) variantsGiveWay() bool {
	return w.cfg.Pools&PoolVariants != 0 && (w.cfg.Pools&PoolImages != 0 || w.deps.Activity != nil)
}

// variantRetryDelay is f, but for a variant handed back held at a stop:
// that one is due again at once.
func variantRetryDelay(f asynq.RetryDelayFunc) asynq.RetryDelayFunc {
	return func(n int, err error, t *asynq.Task) time.Duration {
		if errors.Is(err, errStopping) {
			return 0
		}
		return f(n, err, t)
	}
}

// interactiveQueues are the queues of the image pool: every queue but
// the background variants'.
func interactiveQueues() map[string]int {
	qs := map[string]int{}
	for q, weight := range jobs.Queues {
		if q != jobs.QueueLow {
			qs[q] = weight
		}
	}
	return qs
}

// gate holds background variants back while interactive work could use
// the CPU: while the image pool runs as many tasks as it has room for
// beside the variants (gate.room), ended one within variantSettle, or an
// upload waits in Redis for a worker (any worker's free slot is about to
// take it). The image pool is this worker's, or that of the process that
// started this one (Deps.Activity). A held variant looks again every
// gateCheck, and starts anyway after variantMaxHold.
type gate struct {
	room     int64     // image pool tasks at which variants wait: see newGate
	activity *Activity // the image pool's
	rdb      redis.UniversalClient
	now      func() time.Time
	stopping chan struct{} // closed when the worker stops: held variants go back

	// Test hooks, nil in service: held is called when a variant task
	// is held back (once per task), started when it starts; working
	// and worked when the image pool starts and ends a task, while it is
	// counted.
	held, started, working, worked func(ctx context.Context, t *asynq.Task)
}

// newGate returns the gate of a worker of cfg (with its defaults) whose
// image pool's activity is a. Variants wait while the image pool's
// running tasks and the variant pool's slots together would fill its
// slots, and at one running task at least: on two cores, a variant
// starts only while no upload is being processed, on sixteen beside up
// to twelve. A lower priority for the variants' encode is not enough:
// on two cores, variants at nice 19 beside every upload cut the uploads'
// throughput by a quarter or more (README, step 8 of the pipeline).
func newGate(cfg Config, a *Activity, rdb redis.UniversalClient, now func() time.Time) *gate {
	room := max(1, cfg.Concurrency-cfg.VariantConcurrency)
	return &gate{room: int64(room), activity: a, rdb: rdb, now: now, stopping: make(chan struct{})}
}

// counting is the image pool's middleware that counts its running tasks.
func (g *gate) counting(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		g.activity.begin()
		defer func() { g.activity.end(g.now()) }()
		if g.working != nil {
			g.working(ctx, t)
			defer g.worked(ctx, t)
		}
		return next.ProcessTask(ctx, t)
	})
}

// holding is the variant pool's middleware: it waits for room (hold)
// before the variant's handler runs.
func (g *gate) holding(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if err := g.hold(ctx, t); err != nil {
			return err // stopping: the task goes back to its queue
		}
		if g.started != nil {
			g.started(ctx, t)
		}
		return next.ProcessTask(ctx, t)
	})
}

// hold returns once interactive work leaves room or variantMaxHold has
// passed; errStopping when the worker stops first, ctx's error when it
// ends.
func (g *gate) hold(ctx context.Context, t *asynq.Task) error {
	limit := time.NewTimer(variantMaxHold)
	defer limit.Stop()
	for first := true; g.busy(ctx); first = false {
		if first && g.held != nil {
			g.held(ctx, t)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-g.stopping:
			return errStopping
		case <-limit.C:
			slog.Info("variant held back too long; starting it anyway", "type", t.Type(), "held", variantMaxHold)
			return nil
		case <-time.After(gateCheck):
		}
	}
	return nil
}

// busy reports whether interactive work could use the CPU: the image
// pool has no room beside the variants or was working within
// variantSettle, or an upload waits for a worker. Redis trouble counts
// as room: the variant's own work fails on it soon enough.
func (g *gate) busy(ctx context.Context) bool {
	if g.activity.running() >= g.room || g.now().Sub(g.activity.idleSince()) < variantSettle {
		return true
	}
	pipe := g.rdb.Pipeline()
	lens := make([]*redis.IntCmd, len(jobs.InteractiveQueues))
	for i, q := range jobs.InteractiveQueues {
		lens[i] = pipe.LLen(ctx, jobs.PendingKey(q))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return false
	}
	for _, n := range lens {
		if n.Val() > 0 {
			return true
		}
	}
	return false
}
