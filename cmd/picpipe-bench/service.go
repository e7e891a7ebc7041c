package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/jobs"
	"picpipe/worker"
)

// distinct returns upload fields that differ for every i, so that no
// upload of the same bytes by the same account is a dedup hit. The
// quality stays within 78–86 of the default 82 and the resize box is
// never smaller than the image, so the work is the same.
func distinct(i int) map[string]string {
	return map[string]string{"quality": fmt.Sprint(78 + i%9), "resize": fmt.Sprintf("%dx", 8000-i/9)}
}

// throughput runs every photo through the service (upload → ready, both
// variants) and through a loop of the vips CLI at the same parallelism.
func throughput(rep *report, s *stack, photos []image, tmp string, reps int) error {
	const par = 2
	var svcAll, svcWebP, cliAll, cliWebP samples
	for r := range reps {
		key, err := s.newKey()
		if err != nil {
			return err
		}
		start := time.Now()
		ids := make([]string, len(photos))
		errs := make(chan error, len(photos))
		work := make(chan int)
		var wg sync.WaitGroup
		for range par {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					u, err := s.post(context.Background(), key, photos[i].Path, nil, true)
					if err == nil && u.Status != 202 && u.Status != 201 {
						err = fmt.Errorf("%s: HTTP %d %s", photos[i].Name, u.Status, u.Code)
					}
					if err != nil {
						errs <- err
					}
					ids[i] = u.ID
				}
			}()
		}
		for i := range photos {
			work <- i
		}
		close(work)
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		for i, id := range ids {
			u, err := s.waitFinal(key, id, 20*time.Millisecond, 5*time.Minute)
			if err != nil {
				return err
			}
			if u.State != "ready" {
				return fmt.Errorf("throughput: %s ended %s %s", photos[i].Name, u.State, u.Code)
			}
		}
		svcWebP.add(time.Since(start))
		if err := s.waitIdle(10*time.Minute, jobs.QueueLow, jobs.QueueDefault); err != nil {
			return err
		}
		svcAll.add(time.Since(start))

		wall := func(variants ...cpuWorkload) (time.Duration, error) {
			start := time.Now()
			work := make(chan image)
			errs := make(chan error, len(photos))
			var wg sync.WaitGroup
			for g := range par {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for im := range work {
						for _, v := range variants {
							if _, _, err := cliCPU(v.cli(im, filepath.Join(tmp, fmt.Sprintf("tp%d", g)))...); err != nil {
								errs <- err
							}
						}
					}
				}()
			}
			for _, im := range photos {
				work <- im
			}
			close(work)
			wg.Wait()
			close(errs)
			return time.Since(start), <-errs
		}
		d, err := wall(webpWorkload)
		if err != nil {
			return err
		}
		cliWebP.add(d)
		if d, err = wall(webpWorkload, avifWorkload); err != nil {
			return err
		}
		cliAll.add(d)
		fmt.Printf("  throughput run %d: service %v (WebP ready %v), CLI %v (WebP only %v)\n", r+1,
			time.Duration(svcAll[r]*1e9).Round(time.Millisecond), time.Duration(svcWebP[r]*1e9).Round(time.Millisecond),
			time.Duration(cliAll[r]*1e9).Round(time.Millisecond), time.Duration(cliWebP[r]*1e9).Round(time.Millisecond))
	}
	n := float64(len(photos))
	ips := func(sec float64) float64 { return n / sec }
	rAll := ips(svcAll.median()) / ips(cliAll.median())
	rWebP := ips(svcWebP.median()) / ips(cliWebP.median())
	rep.addRow(row{
		Workload: "sustained throughput",
		Measures: fmt.Sprintf("images/s, upload → WebP ready and AVIF done, %d photos (%.0f MP), worker concurrency 2, vs a 2-way loop of `vips copy` to WebP and to AVIF", len(photos), totalMP(photos)),
		Figure: fmt.Sprintf("%.2f img/s (CLI %.2f img/s); WebP-ready only: %.2f img/s (CLI WebP only %.2f)",
			ips(svcAll.median()), ips(cliAll.median()), ips(svcWebP.median()), ips(cliWebP.median())),
		Ratio:  fmt.Sprintf("%s (WebP-ready %s)", ratio(rAll), ratio(rWebP)),
		Target: "≥ 1.0×; WebP-ready ≥ 0.9× the WebP-only loop", Met: met(rAll >= 1.0 && rWebP >= 0.9),
		Runs: fmt.Sprintf("median of %d runs", reps),
	})
	rep.detail("sustained throughput", fmt.Sprintf(`The whole corpus (%d photos, %.1f MP, %.1f MB) is uploaded with `+"`Prefer: respond-async`"+` by 2 clients;
the clock stops when every image is `+"`ready`"+` (WebP) and again when the low queue has finished every AVIF
variant. The vips CLI does the same two encodes per file (`+"`vips copy|autorot in out.webp[Q=82,strip]`"+` and `+"`… out"+cliAVIF+"`"+`)
with 2 files at a time. The target is checked on both variants, as the service does both; WebP-ready is
shown too, but there the service has also started AVIF work the CLI loop has not.

| | runs (s) | median |
|---|---|---|
| picpipe, both variants | %s | %s |
| vips CLI, both variants | %s | %s |
| picpipe, WebP ready | %s | %s |
| vips CLI, WebP only | %s | %s |
`, len(photos), totalMP(photos), totalBytes(photos)/1e6,
		list(svcAll), secs(svcAll.median()), list(cliAll), secs(cliAll.median()),
		list(svcWebP), secs(svcWebP.median()), list(cliWebP), secs(cliWebP.median())))
	return nil
}

func list(s samples) string {
	var p []string
	for _, v := range s {
		p = append(p, fmt.Sprintf("%.2f", v))
	}
	return strings.Join(p, ", ")
}

func totalMP(c []image) float64 {
	var t float64
	for _, im := range c {
		t += im.MP()
	}
	return t
}

func totalBytes(c []image) float64 {
	var t float64
	for _, im := range c {
		t += float64(im.Size)
	}
	return t
}

// pickup measures enqueue → handler start on an idle queue with the
// worker package's own asynq server (worker.New with the defaults the
// picpipe worker runs with), enqueued as picpipe does (jobs.Queue, with
// a wake), on a separate Redis database of the stack's redis-server.
func pickup(rep *report, s *stack, n int) error {
	opt, err := jobs.RedisOpt(strings.TrimSuffix(s.redisURL, "/0") + "/1")
	if err != nil {
		return err
	}
	w, err := worker.New(worker.Config{}, worker.Deps{Redis: opt})
	if err != nil {
		return err
	}
	got := make(chan time.Duration, 1)
	w.Handle("bench:pickup", asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
		var sent time.Time
		if err := sent.UnmarshalBinary(t.Payload()); err != nil {
			return err
		}
		got <- time.Since(sent)
		return nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	client := jobs.OpenQueue(opt) // as picpipe enqueues: with a wake
	defer client.Close()
	time.Sleep(300 * time.Millisecond)
	var d samples
	for i := range n + 3 {
		time.Sleep(time.Duration(150+rand.IntN(150)) * time.Millisecond) // idle again
		now, _ := time.Now().MarshalBinary()
		if _, err := client.EnqueueContext(ctx, asynq.NewTask("bench:pickup", now, asynq.Queue(jobs.QueueDefault))); err != nil {
			return err
		}
		select {
		case v := <-got:
			if i >= 3 { // the first ones warm up connections
				d.add(v)
			}
		case <-time.After(10 * time.Second):
			return fmt.Errorf("pickup: task not picked up")
		}
	}
	rep.addRow(row{
		Workload: "queue pickup", Measures: fmt.Sprintf("enqueue → handler start on an idle queue (worker package's asynq server woken by the enqueue; fallback poll %v)", worker.DefaultPollInterval),
		Figure: fmt.Sprintf("p50 %s, p99 %s", ms(d.median()), ms(d.p99())),
		Ratio:  ratio(d.median()/0.050) + " of target",
		Target: "p50 ≤ 50 ms", Met: met(d.median() <= 0.050),
		Runs: fmt.Sprintf("%d tasks, 150–300 ms apart", n),
	})
	return nil
}

// latency measures POST /v1/images of the 2 MB JPEG with respond-async
// from 1 and from 8 clients, against the API alone (no worker on the 2
// cores, so the figure is the API's).
func latency(rep *report, s *stack, file image, perClient1, perClient8 int) error {
	key, err := s.newKey()
	if err != nil {
		return err
	}
	var seq int
	var mu sync.Mutex
	next := func() int { mu.Lock(); defer mu.Unlock(); seq++; return seq }
	run := func(clients, each int) (samples, error) {
		var d samples
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					u, err := s.post(context.Background(), key, file.Path, distinct(next()), true)
					if err == nil && u.Status != 202 {
						err = fmt.Errorf("latency: HTTP %d %s", u.Status, u.Code)
					}
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					d.add(u.Took)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		return d, <-errs
	}
	if _, err := run(1, 10); err != nil { // warm up
		return err
	}
	one, err := run(1, perClient1)
	if err != nil {
		return err
	}
	eight, err := run(8, perClient8)
	if err != nil {
		return err
	}
	ok := one.median() <= 0.015 && one.p99() <= 0.040 && eight.p99() <= 0.060
	rep.addRow(row{
		Workload: "ingest latency",
		Measures: fmt.Sprintf("`POST /v1/images` of a %.1f MB JPEG, `Prefer: respond-async` → 202, API process alone", float64(file.Size)/1e6),
		Figure: fmt.Sprintf("1 client: p50 %s, p99 %s; 8 clients: p50 %s, p99 %s", ms(one.median()), ms(one.p99()),
			ms(eight.median()), ms(eight.p99())),
		Ratio:  fmt.Sprintf("p50 %s, p99 %s; 8 clients p99 %s of target", ratio(one.median()/0.015), ratio(one.p99()/0.040), ratio(eight.p99()/0.060)),
		Target: "1 client: p50 ≤ 15 ms, p99 ≤ 40 ms; 8 clients: p99 ≤ 60 ms", Met: met(ok),
		Runs: fmt.Sprintf("%d requests at 1 client, %d×%d at 8", perClient1, 8, perClient8),
	})
	return nil
}

// syncUpload measures the same upload waiting for ready (no Prefer), one
// at a time on an idle service, against the vips CLI's wall time for the
// same file, each upload run right after one of the CLI: the machine's
// speed drifts between runs, and the two see the same drift.
func syncUpload(rep *report, s *stack, file image, tmp string, n int) error {
	key, err := s.newKey()
	if err != nil {
		return err
	}
	var cli, d samples
	for i := range n + 1 {
		_, wall, err := cliCPU(webpWorkload.cli(file, filepath.Join(tmp, "sync"))...)
		if err != nil {
			return err
		}
		if err := s.waitIdle(5*time.Minute, jobs.QueueLow, jobs.QueueDefault, jobs.QueueCritical); err != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
		u, err := s.post(context.Background(), key, file.Path, distinct(i), false)
		if err != nil {
			return err
		}
		if u.Status != 201 {
			return fmt.Errorf("sync upload: HTTP %d %s %s", u.Status, u.State, u.Code)
		}
		if i > 0 { // the first of each warms up
			cli.add(wall)
			d.add(u.Took)
		}
	}
	limit := cli.median() + 0.050
	rep.addRow(row{
		Workload: "synchronous upload",
		Measures: fmt.Sprintf("`POST /v1/images` of the %.1f MB JPEG waiting for `ready` (201), idle service", float64(file.Size)/1e6),
		Figure:   fmt.Sprintf("p50 %s, p99 %s; vips CLI wall %s (+50 ms = %s)", ms(d.median()), ms(d.p99()), ms(cli.median()), ms(limit)),
		Ratio:    ratio(d.median()/cli.median()) + " of CLI wall",
		Target:   "p50 ≤ CLI + 50 ms", Met: met(d.median() <= limit),
		Runs: fmt.Sprintf("%d uploads, each after a CLI run", n),
	})
	return nil
}
