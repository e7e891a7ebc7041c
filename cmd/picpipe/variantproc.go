package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"picpipe/worker"
)

// The background variants (AVIF) run apart from the interactive work, in
// a process of their own that encodes at a lower CPU priority
// (PICPIPE_VARIANT_NICE; worker.Config.EncodeNice):
// the kernel then gives the cores to the uploads whenever both want them,
// and to the variants whenever the uploads leave them free. A priority
// cannot be given to a pool inside one process: libvips runs every image
// on threads of one shared pool, and a thread whose priority was lowered
// may not raise it again.

// variantsApart reports whether this worker's variant pool runs in a
// process of its own: it runs the variants beside other pools and
// PICPIPE_VARIANT_NICE asks for a lower priority.
func (c config) variantsApart() bool {
	ps := c.configuredPools()
	return c.VariantNice > 0 && ps&worker.PoolVariants != 0 && ps != worker.PoolVariants
}

// configuredPools are the pools PICPIPE_WORKER_POOLS names (its rule has
// checked it).
func (c config) configuredPools() worker.Pools {
	ps, _ := worker.ParsePools(c.WorkerPools)
	return ps
}

// pools are the worker pools this process runs itself: the configured
// ones, but the variants when they run apart.
func (c config) pools() worker.Pools {
	if c.variantsApart() {
		return c.configuredPools() &^ worker.PoolVariants
	}
	return c.configuredPools()
}

// activityEnv tells a variant process that its file activityFD is its
// parent's image pool Activity, which its variants give way to; the
// parent hands it over as the child's first extra file (runChild).
const (
	activityEnv = "PICPIPE_IMAGE_ACTIVITY_FD"
	activityFD  = 3
)

// imageActivity is the image pool Activity a worker of this
// configuration gives its variants' gate: one in shared memory when its
// variants run apart (runVariantProcess hands it to the variant
// process), the parent's in that process, and nil in any other worker.
func (c config) imageActivity() (*worker.Activity, error) {
	if c.variantsApart() {
		return worker.NewSharedActivity()
	}
	if os.Getenv(activityEnv) != strconv.Itoa(activityFD) {
		return nil, nil
	}
	return worker.OpenActivity(os.NewFile(activityFD, "image-activity"))
}

// variantRestartMax is the longest wait before a variant process that
// ended is started again; the wait doubles from a second up to it.
const variantRestartMax = 30 * time.Second

// runVariantProcess runs the variant pool as "picpipe worker" with
// PICPIPE_WORKER_POOLS=variants, a child of this process on the same
// Redis and database serving its metrics on the Unix socket metrics,
// starting it again (after a wait) when it ends, until ctx ends; then it
// stops it with SIGTERM, as the worker's own pools stop. The child's
// variants give way to this process's image pool, whose Activity is
// activity.
func runVariantProcess(ctx context.Context, cfg config, metrics string, activity *worker.Activity) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("variant process: %w", err)
	}
	env := append(os.Environ(),
		"PICPIPE_WORKER_POOLS="+worker.PoolVariants.String(),
		"PICPIPE_REDIS_URL="+cfg.RedisURL,       // the private one of serve too
		"PICPIPE_DATABASE_URL="+cfg.DatabaseURL, // as resolved here
		"PICPIPE_METRICS_ADDR=unix:"+metrics,    // taken into this process's /metrics
		activityEnv+"="+strconv.Itoa(activityFD),
	)
	for wait := time.Second; ; wait = min(2*wait, variantRestartMax) {
		os.Remove(metrics) // a killed child's socket is left behind
		started := time.Now()
		err := runChild(ctx, exe, env, activity.File(), cfg.WorkerShutdown)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > variantRestartMax {
			wait = time.Second // it ran a good while: not a crash loop
		}
		slog.Error("variant process ended; starting it again", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// runChild runs exe as "worker" with env and file as its file
// activityFD until it ends, or until ctx ends and it has stopped after a
// SIGTERM (it is killed grace plus ten seconds later). The child is sent
// SIGTERM when this process dies too: the kernel sends it when the
// thread that started it ends, so that thread stays locked to this call.
func runChild(ctx context.Context, exe string, env []string, file *os.File, grace time.Duration) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd := exec.CommandContext(ctx, exe, "worker")
	cmd.Env = env
	cmd.ExtraFiles = []*os.File{file}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = grace + 10*time.Second
	if err := cmd.Start(); err != nil {
		return err
	}
	slog.Info("variant process started", "pid", cmd.Process.Pid)
	return cmd.Wait()
}

// variantMetrics gathers the picpipe_* metrics of the variant process
// from its socket, each series labelled pool="variants", for this
// process's /metrics; none while the process is down or starting again.
type variantMetrics struct{ client *http.Client }

func newVariantMetrics(socket string) variantMetrics {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}
	return variantMetrics{&http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: dial}}}
}

// Gather implements prometheus.Gatherer.
func (v variantMetrics) Gather() ([]*dto.MetricFamily, error) {
	res, err := v.client.Get("http://variants/metrics")
	if err != nil {
		return nil, nil
	}
	defer res.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		slog.Warn("variant process metrics", "err", err)
		return nil, nil
	}
	name, value := "pool", worker.PoolVariants.String()
	var out []*dto.MetricFamily
	for n, f := range families {
		if !strings.HasPrefix(n, "picpipe_") {
			continue // the Go runtime's and the process's are this process's own
		}
		for _, m := range f.Metric {
			m.Label = append(m.Label, &dto.LabelPair{Name: &name, Value: &value})
			slices.SortFunc(m.Label, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
		}
		out = append(out, f)
	}
	return out, nil
}
