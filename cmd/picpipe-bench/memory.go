package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"picpipe"
	"picpipe/imaging"
	"picpipe/jobs"
	"picpipe/worker"
)

// ingestMemory measures the API process's peak RSS above idle while 8
// clients upload a 50 MB file each (multipart, respond-async).
func ingestMemory(rep *report, s *stack, src image, tmp string) error {
	key, err := s.newKey()
	if err != nil {
		return err
	}
	const clients, size = 8, 50 << 20
	files := make([]string, clients)
	for i := range files {
		files[i] = filepath.Join(tmp, fmt.Sprintf("big%d.jpg", i))
		if err := pad(src.Path, files[i], size, byte(i)); err != nil {
			return err
		}
		defer os.Remove(files[i])
	}
	// warm up: one small upload, then let the API settle
	if _, err := s.post(context.Background(), key, src.Path, nil, true); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	pid := s.api.Process.Pid
	idle := memStat(pid, "VmRSS")
	rss := sampleRSS(pid)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for _, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := s.post(context.Background(), key, f, nil, true)
			if err == nil && u.Status != 202 {
				err = fmt.Errorf("ingest memory: HTTP %d %s", u.Status, u.Code)
			}
			errs <- err
		}()
	}
	wg.Wait()
	took := time.Since(start)
	peak := rss.Stop()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	above := peak - idle
	rep.addRow(row{
		Workload: "ingest memory", Measures: "`picpipe api` peak RSS above idle during 8 concurrent 50 MiB multipart uploads",
		Figure: fmt.Sprintf("%s above idle (idle %s, peak %s); 400 MiB in %s", mb(above), mb(idle), mb(peak), secs(took.Seconds())),
		Ratio:  ratio(above/64e6) + " of target",
		Target: "≤ 64 MB", Met: met(above <= 64e6),
		Runs: "1 run, RSS sampled every 5 ms + VmHWM",
	})
	return nil
}

// workerMemory measures the worker's peak RSS above idle while it runs two
// 24 MP jobs at once (concurrency 2): first the WebP, then the AVIF
// variants, per job.
func workerMemory(rep *report, s *stack, big, small image) error {
	keys := make([]string, 3)
	for i := range keys {
		k, err := s.newKey()
		if err != nil {
			return err
		}
		keys[i] = k
	}
	// warm up libvips with a small image and its AVIF
	if u, err := s.post(context.Background(), keys[2], small.Path, nil, false); err != nil || u.Status != 201 {
		return fmt.Errorf("worker memory warm-up: %v %d", err, u.Status)
	}
	if err := s.waitIdle(time.Minute, jobs.QueueLow); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	pid := s.work.Process.Pid
	idle, idleAVIF := memStat(pid, "VmRSS"), memStat(s.variants, "VmRSS")
	// The first AVIF job starts as soon as its WebP is ready, while the
	// other WebP may still run: WebP samples count only while no AVIF runs.
	rss := sampleRSSWhen(pid, func() bool { return s.active(jobs.QueueLow) == 0 })
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, k := range keys[:2] { // same bytes, two accounts: two jobs
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := s.post(context.Background(), k, big.Path, nil, true)
			if err == nil {
				u, err = s.waitFinal(k, u.ID, 10*time.Millisecond, 5*time.Minute)
			}
			if err == nil && u.State != "ready" {
				err = fmt.Errorf("worker memory: %s %s", u.State, u.Code)
			}
			errs <- err
		}()
	}
	wg.Wait()
	webpPeak := rss.Stop()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	rss = sampleRSS(s.variants)
	if err := s.waitIdle(10*time.Minute, jobs.QueueLow); err != nil {
		return err
	}
	avifPeak := rss.Stop()
	// The two AVIFs run at once only when the variant pool has room for
	// two (PICPIPE_VARIANT_CONCURRENCY is left at its default here).
	avifsAtOnce := min(2, worker.DefaultVariantConcurrency())
	perWebP, perAVIF := (webpPeak-idle)/2, (avifPeak-idleAVIF)/float64(avifsAtOnce)
	cliWebP, err := cliPeak(webpWorkload.cli(big, filepath.Join(os.TempDir(), "pp-bench-mem")))
	if err != nil {
		return err
	}
	cliAVIF, err := cliPeak(avifWorkload.cli(big, filepath.Join(os.TempDir(), "pp-bench-mem")))
	if err != nil {
		return err
	}
	if perWebP > 250e6 || perAVIF > 600e6 {
		rep.note("worker memory: the encoders need the whole image: libvips 8.14's webpsave gathers it into an RGBA frame buffer (4 B/px, 96 MB at 24 MP) and libwebp adds its YUV picture (1.5 B/px) and token buffers; libaom's AVIF encoder holds several frame copies. The vips CLI alone peaks at %s (WebP) and %s (AVIF) RSS on the same file; picpipe no longer decodes into memory before encoding (that copy was 72 MB more per 24 MP job). Going lower needs a smaller image (shrink-on-load) or fewer concurrent large jobs.", mb(cliWebP), mb(cliAVIF))
	}
	rep.addRow(row{
		Workload: "worker memory", Measures: fmt.Sprintf("`picpipe worker` peak RSS above idle ÷ jobs at once, two %.0f MP JPEGs at once (concurrency 2; their AVIFs %d at a time, the variant pool's default, in the worker's variant process)", big.MP(), avifsAtOnce),
		Figure: fmt.Sprintf("WebP %s per job (peak %s); AVIF %s per job (peak %s); idle %s, the variant process %s; vips CLI alone peaks at %s (WebP), %s (AVIF)",
			mb(perWebP), mb(webpPeak), mb(perAVIF), mb(avifPeak), mb(idle), mb(idleAVIF), mb(cliWebP), mb(cliAVIF)),
		Ratio:  fmt.Sprintf("%s; %s of target", ratio(perWebP/250e6), ratio(perAVIF/600e6)),
		Target: "≤ 250 MB; ≤ 600 MB", Met: met(perWebP <= 250e6 && perAVIF <= 600e6),
		Runs: "1 run of 2 concurrent jobs, RSS sampled every 5 ms + VmHWM",
	})
	return nil
}

// soak pushes n small images through the service and reads the worker's
// RSS as the WebP count passes each mark; AVIF variants run alongside on
// the low queue, as in production.
func soak(rep *report, s *stack, smalls []image, n int) error {
	key, err := s.newKey()
	if err != nil {
		return err
	}
	marks := []int{100, 500, 1000, 1500, 2000}
	for i := range marks {
		marks[i] = marks[i] * n / 2000
	}
	pid := s.work.Process.Pid
	rssAt := make([]float64, len(marks))
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		m := 0
		for m < len(marks) {
			if s.processed(jobs.QueueDefault) >= marks[m] {
				rssAt[m] = memStat(pid, "VmRSS")
				m++
				continue
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				// resize 300–480 px keeps the AVIF work per image small
				f := map[string]string{"quality": fmt.Sprint(50 + i%50), "resize": fmt.Sprintf("%dx", 300+(i/50)*5)}
				u, err := s.post(context.Background(), key, smalls[i%len(smalls)].Path, f, true)
				if err == nil && u.Status != 202 {
					err = fmt.Errorf("soak: HTTP %d %s", u.Status, u.Code)
				}
				if err != nil {
					errs <- err
					for range work {
					}
					return
				}
				// keep the backlog modest, as a steady stream would
				for s.queueBusy(jobs.QueueDefault) > 40 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		close(stop)
		return err
	}
	if err := s.waitIdle(10*time.Minute, jobs.QueueDefault, jobs.QueueLow); err != nil {
		close(stop)
		return err
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	<-watched
	final := memStat(pid, "VmRSS")
	hwm := memStat(pid, "VmHWM")
	r := rssAt[len(rssAt)-1] / rssAt[0]
	growLate := rssAt[len(rssAt)-1] - rssAt[2] // last half
	growEarly := rssAt[2] - rssAt[0]
	level := growLate <= max(growEarly, 0)+8e6
	var parts []string
	for i, m := range marks {
		parts = append(parts, fmt.Sprintf("%d: %s", m, mb(rssAt[i])))
	}
	rep.addRow(row{
		Workload: "soak", Measures: fmt.Sprintf("`picpipe worker` RSS after %d images (WebP + AVIF, %d small photos resized to 300–495 px, varied quality) vs after %d", n, len(smalls), marks[0]),
		Figure: fmt.Sprintf("%s; after the AVIF backlog %s; peak %s; %s", strings.Join(parts, ", "), mb(final), mb(hwm), time.Since(start).Round(time.Second)),
		Ratio:  ratio(r),
		Target: "≤ 1.5× and levelling off", Met: met(r <= 1.5 && level),
		Runs: "1 run",
	})
	if !level {
		rep.note("soak: RSS grew %s over the last half against %s over the first; not levelling off.", mb(growLate), mb(growEarly))
	}
	return nil
}

// bombs times the refusal of each bomb: the synchronous upload's error
// answer through the service, and the Processor call alone.
func bombs(rep *report, s *stack, p *imaging.Processor, bs []image, runs int) error {
	key, err := s.newKey()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("| file | bytes | service: answer | service p50 (POST → answer) | service p99 | Processor alone p50 |\n|---|---|---|---|---|---|\n")
	allOK := true
	var figs []string
	for _, bomb := range bs {
		var svc, direct samples
		var answer string
		refused := true
		src, err := os.ReadFile(bomb.Path)
		if err != nil {
			return err
		}
		for i := range runs {
			// nothing else running: an accepted bomb leaves an AVIF job
			if err := s.waitIdle(5*time.Minute, jobs.QueueLow, jobs.QueueDefault, jobs.QueueCritical); err != nil {
				return err
			}
			u, err := s.post(context.Background(), key, bomb.Path, distinct(1000+i), false)
			if err != nil {
				return err
			}
			svc.add(u.Took)
			answer = fmt.Sprintf("%d %s", u.Status, u.Code)
			if u.Status == 201 || u.Status == 200 {
				refused, answer = false, fmt.Sprintf("%d ready (accepted)", u.Status)
			}
			if err := s.waitIdle(5*time.Minute, jobs.QueueLow); err != nil {
				return err
			}
			start := time.Now()
			_, err = p.Process(context.Background(), src, bomb.Name, imaging.Options{})
			direct.add(time.Since(start))
			if err != nil && picpipe.ErrorCode(err) == "" {
				return err
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", bomb.Name, bomb.Size, answer, ms(svc.median()), ms(svc.p99()), ms(direct.median()))
		if refused {
			allOK = allOK && svc.median() <= 0.050
			figs = append(figs, fmt.Sprintf("%s %s in %s", strings.TrimPrefix(bomb.Name, "bomb-"), answer, ms(svc.median())))
		} else {
			figs = append(figs, fmt.Sprintf("%s not refused (processed, %s)", strings.TrimPrefix(bomb.Name, "bomb-"), ms(svc.median())))
		}
	}
	rep.addRow(row{
		Workload: "bomb refusal", Measures: "synchronous `POST /v1/images` → error answer, p50",
		Figure: strings.Join(figs, "; "), Ratio: "—",
		Target: "refused in ≤ 50 ms", Met: met(allOK),
		Runs: fmt.Sprintf("%d runs each", runs),
	})
	if !allOK {
		rep.note("bomb refusal: the API only stages and sniffs an upload; the header check that refuses a 100 MP image runs in the worker, so even a refusal costs the queue pickup (the task's wake, a few ms) plus the database and pub/sub round trips while the check itself takes under 1 ms (Processor alone). A truncated JPEG is only found by decoding it up to the missing data, and a failed encode decodes once more to tell the input's fault from the encoder's. Meeting 50 ms needs the limits checked in the API from the header bytes (pure Go, before queueing) and a structural end-of-scan check for JPEG; not done here.")
	}
	rep.detail("bomb refusal", b.String()+"\nA 24 MP progressive JPEG is within the limits (8000 px edge, 100 MP) and is processed like any photo; the target applies to refused files only.")
	return nil
}

// cliPeak is the peak RSS (bytes) of one vips command, sampled from
// /proc every 5 ms. (The child's rusage Maxrss is useless here: Go starts
// children with vfork, so it reports this process's own peak.)
func cliPeak(args []string) (float64, error) {
	cmd := exec.Command("vips", args...)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	r := sampleRSSWhen(cmd.Process.Pid, func() bool { return true })
	err := cmd.Wait()
	peak := r.Stop()
	if err != nil {
		return 0, fmt.Errorf("vips %v: %w", args, err)
	}
	return peak, nil
}
