package worker

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	tasks = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "picpipe_tasks_total",
		Help: "Tasks handled by this worker, by type and result (ok or error).",
	}, []string{"type", "result"})
	taskSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "picpipe_task_duration_seconds",
		Help:    "Time spent in task handlers, by type.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"type"})
)
