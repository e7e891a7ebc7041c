// Command picpipe-bench measures picpipe against the raw libvips CLI on a
// corpus of real photos and writes BENCHMARKS.md. `make bench` builds the
// corpus (bench/corpus.sh) and bin/picpipe, then runs it:
//
//	go run ./cmd/picpipe-bench -corpus bench/corpus -bin bin/picpipe -out BENCHMARKS.md
//
// CPU workloads call imaging.Processor in this process, as the worker
// does, and run `vips` as a child; service workloads start redis-server,
// `picpipe api` and `picpipe worker` on 127.0.0.1 with a throwaway SQLite
// database and blob directory, and drive them over HTTP. Nothing leaves
// the loopback interface. It is not part of `make test` or CI: timings are
// for people, not for assertions.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"picpipe/imaging"
)

func main() {
	corpus := flag.String("corpus", "bench/corpus", "corpus directory made by bench/corpus.sh")
	bin := flag.String("bin", "bin/picpipe", "the picpipe binary")
	out := flag.String("out", "BENCHMARKS.md", "report to write")
	quick := flag.Bool("quick", false, "one run of everything, small soak: a smoke test of the bench itself")
	soakN := flag.Int("soak", 2000, "images in the soak")
	ipx := flag.String("imgproxy", "bin/imgproxy", "imgproxy binary to compare with (`make imgproxy` builds it; else imgproxy on PATH; the comparison is left out when there is none)")
	only := flag.String("only", "", "run only the phases whose name contains this (e.g. imgproxy, soak, CPU): a partial report, for working on one")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := run(*corpus, *bin, findImgproxy(*ipx), *out, *only, *quick, *soakN); err != nil {
		fmt.Fprintln(os.Stderr, "picpipe-bench:", err)
		os.Exit(1)
	}
}

func step(name string) func() {
	fmt.Printf("== %s\n", name)
	start := time.Now()
	return func() { fmt.Printf("   %s done in %v\n", name, time.Since(start).Round(time.Millisecond)) }
}

func run(corpusDir, bin, imgproxyBin, out, only string, quick bool, soakN int) error {
	rep := &report{started: time.Now()}
	if only != "" {
		rep.note("A partial run: only the phases whose name contains %q.", only)
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	c, err := loadCorpus(corpusDir)
	if err != nil {
		return err
	}
	all := photos(c)
	tmp, err := os.MkdirTemp("", "picpipe-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	p, err := imaging.NewProcessor(imaging.Config{}) // the worker's defaults
	if err != nil {
		return err
	}
	if strings.Contains("CPU (in-process)", only) {
		if err := cpuPhase(rep, p, all, tmp, quick); err != nil {
			return err
		}
	}
	reps, lat1, lat8, syncN, rounds, loadFor := 2, 200, 25, 15, 3, 20*time.Second
	if quick {
		reps, lat1, lat8, syncN, soakN, rounds, loadFor = 1, 30, 4, 3, min(soakN, 200), 1, 3*time.Second
	}
	twoMB := byName(c, "m-elephants-2mb.jpg")
	var smalls []image
	for _, im := range all {
		if im.Class == "small" {
			smalls = append(smalls, im)
		}
	}
	phases := []phase{
		{"ingest latency (api alone)", false, func(s *stack) error { return latency(rep, s, twoMB, lat1, lat8) }},
		{"ingest memory (api alone)", false, func(s *stack) error { return ingestMemory(rep, s, byName(c, "x-elephants-24mp.jpg"), tmp) }},
		{"queue pickup, synchronous upload, bombs, throughput", true, func(s *stack) error {
			if err := pickup(rep, s, 40); err != nil {
				return err
			}
			if err := syncUpload(rep, s, twoMB, tmp, syncN); err != nil {
				return err
			}
			var bs []image
			for _, im := range c {
				if im.Class == "bomb" {
					bs = append(bs, im)
				}
			}
			if err := bombs(rep, s, p, bs, 5); err != nil {
				return err
			}
			return throughput(rep, s, all, tmp, reps)
		}},
		{"worker memory", true, func(s *stack) error {
			return workerMemory(rep, s, byName(c, "x-elephants-24mp.jpg"), byName(c, "s-coffee.jpg"))
		}},
		{"soak", true, func(s *stack) error { return soak(rep, s, smalls, soakN) }},
	}
	if imgproxyBin != "" {
		phases = append(phases, phase{"beside imgproxy", true, func(s *stack) error {
			return versusImgproxy(rep, s, imgproxyBin, corpusDir, all, rounds, loadFor)
		}})
	} else {
		rep.note("imgproxy was not found (`make imgproxy IMGPROXY_SRC=…` builds it into bin/imgproxy): the rows beside imgproxy are left out.")
	}
	for i, ph := range phases {
		if !strings.Contains(ph.name, only) {
			continue
		}
		done := step(ph.name)
		s, err := newStack(bin, tmp, fmt.Sprintf("stack%d", i), 2)
		if err != nil {
			return err
		}
		err = s.startAPI()
		if err == nil && ph.worker {
			err = s.startWorker()
		}
		if err == nil {
			err = ph.measure(s)
		}
		if err != nil {
			logs, _ := os.ReadFile(filepath.Join(s.dir, "worker.log"))
			api, _ := os.ReadFile(filepath.Join(s.dir, "api.log"))
			fmt.Fprintf(os.Stderr, "api log:\n%s\nworker log:\n%s\n", tail(api), tail(logs))
			s.close()
			return fmt.Errorf("%s: %w", ph.name, err)
		}
		s.close()
		done()
	}
	rep.sortRows()
	if err := os.WriteFile(out, []byte(rep.markdown()), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s in %v\n", out, time.Since(rep.started).Round(time.Second))
	return nil
}

// phase is a group of service workloads on a fresh stack: the API, and
// the worker when worker is set.
type phase struct {
	name    string
	worker  bool
	measure func(s *stack) error
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// cpuPhase runs the three CPU workloads and the output-size count.
func cpuPhase(rep *report, p *imaging.Processor, all []image, tmp string, quick bool) error {
	// warm up libvips (loaders, encoders) once
	src, err := os.ReadFile(all[0].Path)
	if err != nil {
		return err
	}
	ownCPU(p, src, all[0].Name, webpWorkload)
	ownCPU(p, src, all[0].Name, avifWorkload)

	done := step("CPU: " + webpWorkload.name)
	webp, err := measureCPU(p, all, webpWorkload, tmp, quick)
	if err != nil {
		return err
	}
	cpuReport(rep, webpWorkload, webp, all, 1.10, "worker CPU per image vs `vips copy in.jpg out.webp[Q=82,strip]` (`autorot` for EXIF-rotated photos)")
	done()

	done = step("CPU: " + resizeWorkload.name)
	rs, err := measureCPU(p, all, resizeWorkload, tmp, quick)
	if err != nil {
		return err
	}
	cpuReport(rep, resizeWorkload, rs, all, 1.20, "worker CPU per image (`resize=2048x2048`) vs `vips thumbnail in out.webp[Q=82,strip] 2048 --height 2048 --size down`")
	done()

	done = step("CPU: " + avifWorkload.name)
	av, err := measureCPU(p, all, avifWorkload, tmp, quick)
	if err != nil {
		return err
	}
	r, sum := cpuReport(rep, avifWorkload, av, all, 0, "")
	done()
	perMP := sum["all"].oursMed / sum["all"].mp
	worstMP := 0.0
	for _, c := range classes {
		if s := sum[c]; s != nil {
			worstMP = max(worstMP, s.oursMed/s.mp)
		}
	}
	rep.addRow(row{
		Workload: "AVIF variant",
		Measures: fmt.Sprintf("worker CPU per MP at the shipped speed %d vs `vips copy in out%s`", imaging.DefaultAVIFSpeed, cliAVIF),
		Figure: fmt.Sprintf("%.3f CPU-s/MP over the corpus (worst class %.3f; 24 MP: %.3f); median %s per image (CLI %s)",
			perMP, worstMP, sum["24MP"].oursMed/sum["24MP"].mp, ms(sum["all"].ours.median()), ms(sum["all"].cli.median())),
		Ratio:  ratio(r),
		Target: "≤ 1.10×, and ≤ 0.6 CPU-s per MP",
		Met:    met(r <= 1.10 && worstMP <= 0.6),
		Runs:   fmt.Sprintf("%d images, %d runs each side (1 for large and 24 MP)", sum["all"].images, sum["all"].runsTotal),
	})

	var in, w, a float64
	var b strings.Builder
	fmt.Fprintf(&b, "| image | input | WebP q82 | AVIF (Q %d, speed %d) | AVIF ÷ WebP |\n|---|---|---|---|---|\n", imaging.AVIFQuality(imaging.DefaultQuality), imaging.DefaultAVIFSpeed)
	for _, im := range all {
		wi, ai := float64(webp.outBytes[im.Name]), float64(av.outBytes[im.Name])
		in, w, a = in+float64(im.Size), w+wi, a+ai
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.2f |\n", im.Name, im.Size, int(wi), int(ai), ai/wi)
	}
	fmt.Fprintf(&b, "| **total** | %d | %d | %d | %.2f |\n", int(in), int(w), int(a), a/w)
	rep.detail("output size", b.String())
	rep.addRow(row{
		Workload: "output size", Measures: "total bytes of full-size WebP and AVIF over the corpus vs the input bytes",
		Figure: fmt.Sprintf("input %s → WebP %s (%.2f× input), AVIF %s (%.2f× input)", mb(in), mb(w), w/in, mb(a), a/in),
		Ratio:  "AVIF " + ratio(a/w) + " WebP",
		Target: "reported; AVIF ≤ 0.8× WebP", Met: met(a/w <= 0.8),
		Runs: fmt.Sprintf("%d images", len(all)),
	})
	done = step("AVIF curve")
	defer done()
	return avifCurve(rep, all, quick)
}
