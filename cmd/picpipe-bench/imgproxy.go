package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"picpipe/imaging"
	"picpipe/jobs"
)

// imgproxy is imgproxy (github.com/imgproxy/imgproxy, built from its
// public source by `make imgproxy`) on loopback, reading the corpus from
// its local filesystem root: the same conversions as picpipe's, one per
// request, with its own defaults otherwise (metadata stripped, EXIF
// rotation applied).
type imgproxy struct {
	cmd    *exec.Cmd
	url    string
	http   *http.Client
	speed  int
	logTo  *os.File
	corpus string
}

// findImgproxy returns the imgproxy binary to compare with: path if it
// names one, else imgproxy on PATH, else "".
func findImgproxy(path string) string {
	if path != "" {
		if _, err := os.Stat(path); err == nil {
			abs, _ := filepath.Abs(path)
			return abs
		}
	}
	if p, err := exec.LookPath("imgproxy"); err == nil {
		return p
	}
	return ""
}

// startImgproxy starts bin on a free port serving the corpus directory,
// with AVIF at the given libaom speed, and waits for /health.
func startImgproxy(bin, corpus, logDir string, avifSpeed int) (*imgproxy, error) {
	root, err := filepath.Abs(corpus)
	if err != nil {
		return nil, err
	}
	port := freePort()
	log, err := os.Create(filepath.Join(logDir, fmt.Sprintf("imgproxy-speed%d.log", avifSpeed)))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("IMGPROXY_BIND=127.0.0.1:%d", port),
		"IMGPROXY_LOCAL_FILESYSTEM_ROOT="+root,
		"IMGPROXY_AVIF_SPEED="+strconv.Itoa(avifSpeed),
		"IMGPROXY_MAX_SRC_RESOLUTION=100",
		"IMGPROXY_LOG_LEVEL=warn",
		"MALLOC_ARENA_MAX="+envOr("MALLOC_ARENA_MAX", "2"),
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	p := &imgproxy{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), http: &http.Client{Timeout: 5 * time.Minute},
		speed: avifSpeed, logTo: log, corpus: root}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := p.http.Get(p.url + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.close()
	return nil, fmt.Errorf("imgproxy did not become healthy; see %s", log.Name())
}

func (p *imgproxy) close() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.logTo.Close()
}

// convert asks imgproxy for im with the processing options opts (e.g.
// "rs:fit:512:512:0/q:80") in format ext, and returns the output's size.
func (p *imgproxy) convert(ctx context.Context, im image, opts, ext string) (int64, error) {
	abs, err := filepath.Abs(im.Path)
	if err != nil {
		return 0, err
	}
	rel, err := filepath.Rel(p.corpus, abs)
	if err != nil {
		return 0, err
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/insecure/%s/plain/local:///%s@%s", p.url, opts, rel, ext), nil)
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("imgproxy %s: HTTP %d", im.Name, resp.StatusCode)
	}
	return n, err
}

// procCPU is a process's user+system CPU so far, all its threads, from
// /proc/PID/stat (clock ticks of 10 ms).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which may hold spaces: state is
	// the first, utime the 12th and stime the 13th.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// servicePIDs are the processes picpipe's CPU is counted over: the
// worker's, the api and redis-server (the stack's first process).
func (s *stack) servicePIDs() []int {
	return append(s.workerPIDs(), s.api.Process.Pid, s.procs[0].Process.Pid)
}

// cpuOf sums procCPU over pids.
func cpuOf(pids ...int) time.Duration {
	var t time.Duration
	for _, pid := range pids {
		t += procCPU(pid)
	}
	return t
}

// conversion is one of the side-by-side conversions: imgproxy's
// processing options and picpipe's upload fields that ask for the same.
type conversion struct {
	name   string
	opts   string            // imgproxy
	fields map[string]string // picpipe
}

var conversions = []conversion{
	{"full-size WebP q82", "q:82", map[string]string{"quality": "82"}},
	{"fit 2048 px WebP q82", "rs:fit:2048:2048:0/q:82", map[string]string{"quality": "82", "resize": "2048x2048"}},
	{"fit 512 px WebP q80 (thumbnail)", "rs:fit:512:512:0/q:80", map[string]string{"quality": "80", "resize": "512x512"}},
}

// sideBySide is the CPU per image of picpipe and imgproxy for one
// conversion, by class, summed over interleaved rounds.
type sideBySide struct {
	worker, service, imgproxy map[string]time.Duration // by class, and "all"
	images                    map[string]int
}

func (r *sideBySide) add(m map[string]time.Duration, class string, d time.Duration) {
	m[class] += d
	m["all"] += d
}

// versusImgproxy runs every conversion on the photos through picpipe (a
// synchronous upload to WebP ready, one at a time, the AVIF queue paused
// so that only the WebP is counted) and through imgproxy (one request at
// a time), class by class in interleaved rounds, and compares the CPU of
// picpipe's worker, of picpipe's api + worker + redis-server, and of
// imgproxy. Then the AVIF at each one's default speed and at the same
// speed, and throughput under load.
func versusImgproxy(rep *report, s *stack, bin, corpus string, photos []image, rounds int, loadFor time.Duration) error {
	ipx, err := startImgproxy(bin, corpus, s.dir, 8)
	if err != nil {
		return err
	}
	defer ipx.close()
	if err := s.inspector.PauseQueue(jobs.QueueLow); err != nil {
		return err
	}
	svc := s.servicePIDs()
	byClass := map[string][]image{}
	for _, im := range photos {
		byClass[im.Class] = append(byClass[im.Class], im)
	}
	// warm both up
	key, err := s.newKey()
	if err != nil {
		return err
	}
	if _, err := s.post(context.Background(), key, photos[0].Path, nil, false); err != nil {
		return err
	}
	for _, c := range conversions {
		if _, err := ipx.convert(context.Background(), photos[0], c.opts, "webp"); err != nil {
			return err
		}
	}
	var sum strings.Builder
	sum.WriteString("| conversion | class | images | picpipe worker | picpipe api + worker + redis | imgproxy | worker ÷ imgproxy | all ÷ imgproxy |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range conversions {
		r := &sideBySide{worker: map[string]time.Duration{}, service: map[string]time.Duration{}, imgproxy: map[string]time.Duration{}, images: map[string]int{}}
		for range rounds {
			key, err := s.newKey() // a new account a round: no upload is a dedup hit
			if err != nil {
				return err
			}
			for _, class := range classes {
				ims := byClass[class]
				w0, a0 := cpuOf(s.workerPIDs()...), cpuOf(svc...)
				for _, im := range ims {
					u, err := s.post(context.Background(), key, im.Path, c.fields, false)
					if err == nil && u.Status != 201 {
						err = fmt.Errorf("%s %s: HTTP %d %s %s", c.name, im.Name, u.Status, u.State, u.Code)
					}
					if err != nil {
						return err
					}
				}
				r.add(r.worker, class, cpuOf(s.workerPIDs()...)-w0)
				r.add(r.service, class, cpuOf(svc...)-a0)
				i0 := procCPU(ipx.cmd.Process.Pid)
				for _, im := range ims {
					if _, err := ipx.convert(context.Background(), im, c.opts, "webp"); err != nil {
						return err
					}
				}
				r.add(r.imgproxy, class, procCPU(ipx.cmd.Process.Pid)-i0)
				r.images[class] += len(ims)
				r.images["all"] += len(ims)
			}
		}
		worstW, worstA := 0.0, 0.0
		for _, class := range append(classes, "all") {
			n := r.images[class]
			if n == 0 {
				continue
			}
			per := func(d time.Duration) float64 { return d.Seconds() / float64(n) }
			rw, ra := per(r.worker[class])/per(r.imgproxy[class]), per(r.service[class])/per(r.imgproxy[class])
			if class != "all" {
				worstW, worstA = max(worstW, rw), max(worstA, ra)
			}
			fmt.Fprintf(&sum, "| %s | %s | %d | %s | %s | %s | %s | %s |\n", c.name, class, n/rounds,
				ms(per(r.worker[class])), ms(per(r.service[class])), ms(per(r.imgproxy[class])), ratio(rw), ratio(ra))
		}
		all := r.images["all"]
		rep.addRow(row{
			Workload: "vs imgproxy: " + c.name,
			Measures: fmt.Sprintf("CPU per image: picpipe's api + worker + redis-server (synchronous upload, `%s`) vs imgproxy (`/insecure/%s/plain/local:///…@webp`), from /proc", fields(c.fields), c.opts),
			Figure: fmt.Sprintf("picpipe %s per image (worker %s), imgproxy %s; worst class: all %s, worker %s",
				ms(r.service["all"].Seconds()/float64(all)), ms(r.worker["all"].Seconds()/float64(all)), ms(r.imgproxy["all"].Seconds()/float64(all)), ratio(worstA), ratio(worstW)),
			Ratio:  ratio(r.service["all"].Seconds() / r.imgproxy["all"].Seconds()),
			Target: "≤ 1.0× in every class",
			Met:    met(worstA <= 1.0),
			Runs:   fmt.Sprintf("%d images × %d interleaved rounds", all/rounds, rounds),
		})
		fmt.Printf("  %s: picpipe %s, imgproxy %s per image\n", c.name,
			ms(r.service["all"].Seconds()/float64(all)), ms(r.imgproxy["all"].Seconds()/float64(all)))
	}
	rep.detail("side by side with imgproxy", "CPU per image (user+system, from /proc/PID/stat, 10 ms ticks, summed over each class's images and rounds). picpipe: one synchronous `POST /v1/images` at a time to WebP ready, the low (AVIF) queue paused; imgproxy: one request at a time. Rounds interleave picpipe and imgproxy class by class.\n\n"+sum.String())

	if err := avifVersusImgproxy(rep, s, bin, corpus, photos); err != nil {
		return err
	}
	return loadVersusImgproxy(rep, s, ipx, photos, loadFor)
}

func fields(f map[string]string) string {
	var p []string
	for _, k := range []string{"quality", "resize"} {
		if v, ok := f[k]; ok {
			p = append(p, k+"="+v)
		}
	}
	return strings.Join(p, " ")
}

// avifVersusImgproxy compares the AVIF variant's CPU: picpipe's worker
// draining the low queue of the photos' variants (queued, paused, by the
// WebP rounds' last uploads) against imgproxy at its default speed (8)
// and at picpipe's speed.
func avifVersusImgproxy(rep *report, s *stack, bin, corpus string, photos []image) error {
	var ims []image
	for _, im := range photos {
		if im.Class != "24MP" { // 4 s a side at least; the per-MP figure of the CPU phase covers it
			ims = append(ims, im)
		}
	}
	if err := s.inspector.PauseQueue(jobs.QueueLow); err != nil && !strings.Contains(err.Error(), "already paused") {
		return err
	}
	if _, err := s.inspector.DeleteAllPendingTasks(jobs.QueueLow); err != nil {
		return err
	}
	key, err := s.newKey()
	if err != nil {
		return err
	}
	for _, im := range ims {
		u, err := s.post(context.Background(), key, im.Path, map[string]string{"quality": "82"}, false)
		if err == nil && u.Status != 201 {
			err = fmt.Errorf("avif %s: HTTP %d %s", im.Name, u.Status, u.Code)
		}
		if err != nil {
			return err
		}
	}
	w0 := procCPU(s.variants)
	if err := s.inspector.UnpauseQueue(jobs.QueueLow); err != nil {
		return err
	}
	if err := s.waitIdle(10*time.Minute, jobs.QueueLow); err != nil {
		return err
	}
	ours := procCPU(s.variants) - w0
	q := strconv.Itoa(imaging.AVIFQuality(imaging.DefaultQuality)) // the AVIF Q picpipe encodes quality 82 at
	theirs := map[int]time.Duration{}
	for _, speed := range slices.Compact([]int{8, imaging.DefaultAVIFSpeed}) {
		ipx, err := startImgproxy(bin, corpus, s.dir, speed)
		if err != nil {
			return err
		}
		if _, err := ipx.convert(context.Background(), ims[0], "q:"+q, "avif"); err != nil {
			ipx.close()
			return err
		}
		c0 := procCPU(ipx.cmd.Process.Pid)
		for _, im := range ims {
			if _, err := ipx.convert(context.Background(), im, "q:"+q, "avif"); err != nil {
				ipx.close()
				return err
			}
		}
		theirs[speed] = procCPU(ipx.cmd.Process.Pid) - c0
		ipx.close()
	}
	n := float64(len(ims))
	speeds := fmt.Sprintf("at its default speed 8 and at speed %d", imaging.DefaultAVIFSpeed)
	figure := fmt.Sprintf("picpipe %s per image; imgproxy %s (speed 8), %s (speed %d)", ms(ours.Seconds()/n),
		ms(theirs[8].Seconds()/n), ms(theirs[imaging.DefaultAVIFSpeed].Seconds()/n), imaging.DefaultAVIFSpeed)
	rt := fmt.Sprintf("%s at the defaults, %s at the same speed", ratio(ours.Seconds()/theirs[8].Seconds()), ratio(ours.Seconds()/theirs[imaging.DefaultAVIFSpeed].Seconds()))
	if imaging.DefaultAVIFSpeed == 8 { // one default for both
		speeds = "at the same speed, both defaults"
		figure = fmt.Sprintf("picpipe %s per image; imgproxy %s", ms(ours.Seconds()/n), ms(theirs[8].Seconds()/n))
		rt = ratio(ours.Seconds() / theirs[8].Seconds())
	}
	rep.addRow(row{
		Workload: "vs imgproxy: AVIF",
		Measures: fmt.Sprintf("worker CPU per AVIF variant (speed %d, Q %s) vs imgproxy `q:%s/…@avif` %s", imaging.DefaultAVIFSpeed, q, q, speeds),
		Figure:   figure,
		Ratio:    rt,
		Target:   "reported (the default is chosen on the AVIF curve)",
		Met:      "n/a",
		Runs:     fmt.Sprintf("%d images (all but 24 MP), 1 round", len(ims)),
	})
	return nil
}

// loadVersusImgproxy runs 2, 4 and 8 clients for d each against imgproxy
// (thumbnail requests) and picpipe (synchronous thumbnail uploads to
// WebP ready, the AVIF variants running as they do in production) and
// compares completions per second and how busy the cores were.
func loadVersusImgproxy(rep *report, s *stack, ipx *imgproxy, photos []image, d time.Duration) error {
	var ims []image // landscape and square photos below 24 MP: a taller box never changes their thumbnail
	for _, im := range photos {
		w, h := im.W, im.H
		if im.Orient >= 5 {
			w, h = h, w
		}
		if im.Class != "24MP" && w >= h {
			ims = append(ims, im)
		}
	}
	if err := s.inspector.UnpauseQueue(jobs.QueueLow); err != nil && !strings.Contains(err.Error(), "not paused") {
		return err
	}
	svc := s.servicePIDs()
	var seq atomic.Int64
	// thumb varies quality 78–82 and the box's height (never binding on
	// these photos), so that no picpipe upload is a dedup hit.
	thumb := func() (q, box string) {
		i := seq.Add(1)
		return strconv.Itoa(78 + int(i%5)), fmt.Sprintf("512x%d", 512+i/5)
	}
	run := func(clients int, d time.Duration, one func(im image) error, pids ...int) (float64, float64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		var done atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		c0, start := cpuOf(pids...), time.Now()
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := c; ctx.Err() == nil; i++ {
					if err := one(ims[i%len(ims)]); err != nil {
						if ctx.Err() == nil {
							errs <- err
						}
						return
					}
					if ctx.Err() == nil {
						done.Add(1)
					}
				}
			}()
		}
		<-ctx.Done() // what finishes later is not counted
		wall, n := time.Since(start).Seconds(), done.Load()
		busy := (cpuOf(pids...) - c0).Seconds() / wall / float64(runtime.NumCPU())
		wg.Wait()
		close(errs)
		return float64(n) / wall, busy, <-errs
	}
	key, err := s.newKey()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("| clients | picpipe uploads/s | cores busy | imgproxy requests/s | cores busy | ratio |\n|---|---|---|---|---|---|\n")
	worst := 10.0
	var figure []string
	// Each client count runs in two rounds of half the time a side,
	// picpipe first in the first and imgproxy first in the second: the
	// machine's speed drifts (steal time moved one side's figure by ±10 %
	// within minutes, and the 2-client ratio from 0.77 to 0.98 between
	// runs of one side after the other), and so it falls on both alike.
	half := d / 2
	for _, clients := range []int{2, 4, 8} {
		var ours, ourBusy, theirs, theirBusy float64
		picpipe := func() error {
			rate, busy, err := run(clients, half, func(im image) error {
				q, box := thumb()
				u, err := s.post(context.Background(), key, im.Path, map[string]string{"quality": q, "resize": box}, false)
				if err == nil && u.Status != 201 {
					err = fmt.Errorf("load: %s HTTP %d %s %s", im.Name, u.Status, u.State, u.Code)
				}
				return err
			}, svc...)
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			ours, ourBusy = ours+rate/2, ourBusy+busy/2 // each side runs twice
			// its AVIFs drain before the other side runs
			return s.waitIdle(10*time.Minute, jobs.QueueLow, jobs.QueueDefault, jobs.QueueCritical)
		}
		imgproxy := func() error {
			rate, busy, err := run(clients, half, func(im image) error {
				q, box := thumb()
				_, err := ipx.convert(context.Background(), im, "rs:fit:"+strings.Replace(box, "x", ":", 1)+":0/q:"+q, "webp")
				return err
			}, ipx.cmd.Process.Pid)
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			theirs, theirBusy = theirs+rate/2, theirBusy+busy/2
			return nil
		}
		for _, side := range []func() error{picpipe, imgproxy, imgproxy, picpipe} {
			if err := side(); err != nil {
				return err
			}
		}
		worst = min(worst, ours/theirs)
		figure = append(figure, fmt.Sprintf("%d clients %.1f/s vs %.1f/s", clients, ours, theirs))
		fmt.Fprintf(&b, "| %d | %.1f | %.0f%% | %.1f | %.0f%% | %s |\n", clients, ours, 100*ourBusy, theirs, 100*theirBusy, ratio(ours/theirs))
		fmt.Printf("  load, %d clients: picpipe %.1f/s (%.0f%% busy), imgproxy %.1f/s (%.0f%% busy)\n", clients, ours, 100*ourBusy, theirs, 100*theirBusy)
	}
	rep.addRow(row{
		Workload: "vs imgproxy: throughput under load",
		Measures: fmt.Sprintf("fit 512 px WebP q78–82: picpipe synchronous uploads to WebP ready per second (each queueing its AVIF variant, made as in production) vs imgproxy requests per second, %d photos below 24 MP", len(ims)),
		Figure:   strings.Join(figure, "; "),
		Ratio:    "worst " + ratio(worst),
		Target:   "≥ 0.9× at 2–8 clients", Met: met(worst >= 0.9),
		Runs: fmt.Sprintf("%v per side and client count, in 2 rounds of %v, the sides' order turned in the second", d, half),
	})
	rep.detail("throughput under load, beside imgproxy", "Each client uploads (picpipe, no `Prefer`: the answer comes at WebP ready) or requests (imgproxy) the next photo as soon as the last one is done, for the time given; cores busy is the server processes' CPU ÷ wall ÷ cores (picpipe: api + worker + redis-server).\n\n"+b.String())
	return nil
}
