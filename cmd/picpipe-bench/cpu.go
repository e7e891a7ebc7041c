package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"picpipe/imaging"
)

// cpuWorkload is one of the three CPU comparisons: the Processor call the
// worker makes, and the vips command doing the bare equivalent.
type cpuWorkload struct {
	name   string
	opts   imaging.Options
	avif   bool
	cli    func(im image, out string) []string
	runsBy map[string]int // runs per image, by class
}

// The options mirror the worker: a multipart upload with no fields is
// quality 82 and no resize; "resize=2048x2048" is a 2048 px box.
var (
	webpWorkload = cpuWorkload{
		name: "full-size WebP q82",
		cli: func(im image, out string) []string {
			return []string{copyOp(im), im.Path, out + ".webp[Q=82,strip]"}
		},
		runsBy: map[string]int{"small": 5, "medium": 3, "large": 3, "24MP": 3},
	}
	resizeWorkload = cpuWorkload{
		name: "resize to fit 2048 px + WebP",
		opts: imaging.Options{Width: 2048, Height: 2048},
		cli: func(im image, out string) []string {
			return []string{"thumbnail", im.Path, out + ".webp[Q=82,strip]", "2048", "--height", "2048", "--size", "down"}
		},
		runsBy: map[string]int{"small": 5, "medium": 3, "large": 3, "24MP": 3},
	}
	avifWorkload = cpuWorkload{
		name: "AVIF variant",
		avif: true,
		cli: func(im image, out string) []string {
			return []string{copyOp(im), im.Path, out + cliAVIF}
		},
		runsBy: map[string]int{"small": 2, "medium": 2, "large": 1, "24MP": 1},
	}
)

// cliAVIF is the vips CLI's AVIF of what the worker encodes: the AVIF Q
// imaging maps quality 82 to, at the shipped speed (effort 9 − speed).
var cliAVIF = fmt.Sprintf(".avif[Q=%d,effort=%d,strip,bitdepth=8,compression=av1]",
	imaging.AVIFQuality(imaging.DefaultQuality), 9-imaging.DefaultAVIFSpeed)

// copyOp is the vips operation that does what picpipe does to the pixels
// without a resize: copy, or autorot for an EXIF-rotated photo (picpipe
// turns it upright; plain copy would not, and would be cheaper).
func copyOp(im image) string {
	if im.Orient > 1 {
		return "autorot"
	}
	return "copy"
}

// cpuResult is the per-run CPU of one workload, per image.
type cpuResult struct {
	ours, cli map[string]samples // by image name, CPU seconds per run
	outBytes  map[string]int     // picpipe's output size per image
}

// measureCPU runs w over the photos: each image runs[class] times through
// the Processor in this process and through the vips CLI as a child.
func measureCPU(p *imaging.Processor, photos []image, w cpuWorkload, tmp string, quick bool) (*cpuResult, error) {
	res := &cpuResult{ours: map[string]samples{}, cli: map[string]samples{}, outBytes: map[string]int{}}
	for _, im := range photos {
		n := w.runsBy[im.Class]
		if quick {
			n = 1
		}
		src, err := os.ReadFile(im.Path)
		if err != nil {
			return nil, err
		}
		for range n {
			cpu, size, err := ownCPU(p, src, im.Name, w)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", w.name, im.Name, err)
			}
			res.ours[im.Name] = append(res.ours[im.Name], cpu.Seconds())
			res.outBytes[im.Name] = size
			c, _, err := cliCPU(w.cli(im, filepath.Join(tmp, "cli"))...)
			if err != nil {
				return nil, fmt.Errorf("%s %s: vips: %w", w.name, im.Name, err)
			}
			res.cli[im.Name] = append(res.cli[im.Name], c.Seconds())
		}
	}
	return res, nil
}

// ownCPU is this process's user+system CPU over one Processor call, as
// the worker makes it. The pipeline runs on the calling goroutine's locked
// thread but libvips does its pixel work on a threadpool thread of its
// own, so a thread's rusage would miss it: the process's rusage is taken,
// with nothing else running in this process meanwhile.
func ownCPU(p *imaging.Processor, src []byte, name string, w cpuWorkload) (time.Duration, int, error) {
	runtime.GC()
	before := rusageSelf()
	var out *imaging.Output
	var err error
	if w.avif {
		out, err = p.AVIF(context.Background(), src, name, w.opts)
	} else {
		out, err = p.Process(context.Background(), src, name, w.opts)
	}
	cpu := rusageSelf() - before
	if err != nil {
		return 0, 0, err
	}
	return cpu, len(out.Data), nil
}

func rusageSelf() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cliCPU runs vips with args and returns its user+system CPU (all its
// threads, from the child's rusage) and its wall time.
func cliCPU(args ...string) (cpu, wall time.Duration, err error) {
	cmd := exec.Command("vips", args...)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	wall = time.Since(start)
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), wall, nil
}

// classSummary is the per-class view of a cpuResult.
type classSummary struct {
	ours, cli         samples // every run of every image of the class
	oursMed, cliMed   float64 // sums of per-image medians
	mp                float64 // megapixels of the class's images
	images, runsTotal int
}

// summarise groups r by class; "all" is the whole corpus.
func summarise(r *cpuResult, photos []image) map[string]*classSummary {
	out := map[string]*classSummary{"all": {}}
	for _, im := range photos {
		for _, k := range []string{im.Class, "all"} {
			s := out[k]
			if s == nil {
				s = &classSummary{}
				out[k] = s
			}
			s.ours = append(s.ours, r.ours[im.Name]...)
			s.cli = append(s.cli, r.cli[im.Name]...)
			s.oursMed += r.ours[im.Name].median()
			s.cliMed += r.cli[im.Name].median()
			s.mp += im.MP()
			s.images++
			s.runsTotal += len(r.ours[im.Name])
		}
	}
	return out
}

// cpuReport adds the rows and the detail table of one CPU workload and
// returns the overall ratio. The target is checked on every class and on
// the corpus as a whole.
func cpuReport(rep *report, w cpuWorkload, r *cpuResult, photos []image, target float64, measures string) (float64, map[string]*classSummary) {
	sum := summarise(r, photos)
	var b strings.Builder
	fmt.Fprintf(&b, "CPU seconds (user+system) per image, picpipe's `imaging.Processor` vs `vips %s`. Median and p99 are over every run of every image of the class; the ratio is Σ per-image median (picpipe) ÷ Σ per-image median (CLI).\n\n",
		strings.Join(w.cli(image{Path: "in", Name: "in"}, "out"), " "))
	b.WriteString("| class | images | runs | picpipe median | picpipe p99 | CLI median | CLI p99 | CPU-s per MP (picpipe) | ratio |\n|---|---|---|---|---|---|---|---|---|\n")
	worst := 0.0
	for _, c := range append(classes, "all") {
		s := sum[c]
		if s == nil {
			continue
		}
		rt := s.oursMed / s.cliMed
		worst = math.Max(worst, rt)
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %.3f | %s |\n", c, s.images, s.runsTotal,
			ms(s.ours.median()), ms(s.ours.p99()), ms(s.cli.median()), ms(s.cli.p99()), s.oursMed/s.mp, ratio(rt))
	}
	b.WriteString("\nPer image (medians):\n\n| image | MP | picpipe | CLI | ratio |\n|---|---|---|---|---|\n")
	for _, im := range photos {
		o, c := r.ours[im.Name].median(), r.cli[im.Name].median()
		fmt.Fprintf(&b, "| %s | %.2f | %s | %s | %s |\n", im.Name, im.MP(), ms(o), ms(c), ratio(o/c))
	}
	rep.detail(w.name, b.String())
	all := sum["all"]
	overall := all.oursMed / all.cliMed
	if target > 0 {
		rep.addRow(row{
			Workload: w.name, Measures: measures,
			Figure: fmt.Sprintf("median %s, p99 %s per image (CLI %s, %s); worst class %s", ms(all.ours.median()), ms(all.ours.p99()),
				ms(all.cli.median()), ms(all.cli.p99()), ratio(worst)),
			Ratio:  ratio(overall),
			Target: fmt.Sprintf("≤ %.2f×", target),
			Met:    met(worst <= target),
			Runs:   fmt.Sprintf("%d images, %d runs each side", all.images, all.runsTotal),
		})
	}
	return overall, sum
}
