package scheduler

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	runs = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "picpipe_maintenance_runs_total",
		Help: "Maintenance job runs, by job and result (ok or error).",
	}, []string{"job", "result"})
	items = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "picpipe_maintenance_items_total",
		Help: "Items maintenance jobs handled: images re-enqueued, blobs and rows purged, accounts reset.",
	}, []string{"job"})
)

func observe(job string, n int, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	runs.WithLabelValues(job, result).Inc()
	items.WithLabelValues(job).Add(float64(n))
}
