package worker

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// outcomeOK is the outcome label of work that ended well.
const outcomeOK = "ok"

var (
	tasks = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "picpipe_tasks_total",
		Help: "Tasks handled by this worker, by type and result (ok, or error: retried or archived).",
	}, []string{"type", "result"})
	outcomes = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "picpipe_outcomes_total",
		Help: "How images, variants and fetches ended, by task type and code: ok, skipped (a variant no smaller than its image's output, not served), or the error code (decode_failed, fetch_failed, internal, ...).",
	}, []string{"type", "code"})
	taskSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "picpipe_task_duration_seconds",
		Help:    "Time spent in task handlers, by type.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"type"})
)
