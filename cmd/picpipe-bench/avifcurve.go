package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"picpipe/imaging"
)

// The AVIF curve: libaom speeds × picpipe qualities, each point's bytes,
// SSIM and CPU against the served WebP, so that the shipped default is
// chosen by measurement (issue 15).
var (
	curveSpeeds    = []int{6, 7, 8, 9}
	curveQualities = []int{70, 76, 82, 88}
)

// The curve's target: an AVIF worth serving beside the WebP.
const (
	curveMaxBytes = 0.8 // × the WebP q82's bytes
	curveMaxCPU   = 0.3 // CPU-s per MP
	curveTarget   = "AVIF ≤ 0.8× WebP bytes at SSIM ≥ WebP's, ≤ 0.3 CPU-s/MP"
)

// curvePoint is one libaom speed and picpipe quality.
type curvePoint struct{ speed, quality int }

func (c curvePoint) String() string {
	return fmt.Sprintf("speed %d, q%d (AVIF Q %d)", c.speed, c.quality, c.avifQ())
}

// avifQ is the AVIF Q imaging maps the quality to.
func (c curvePoint) avifQ() int { return imaging.AVIFQuality(c.quality) }

// encoded is one image's encode: median CPU-s, bytes, SSIM to the original.
type encoded struct {
	cpu   float64
	bytes int
	ssim  float64
}

// curveFigures sums a point's encodes over a set of images.
type curveFigures struct {
	images int
	bytes  int
	ssim   float64 // mean over the images
	cpu    float64 // Σ per-image median
	mp     float64
}

func (f curveFigures) perMP() float64 { return f.cpu / f.mp }

// figures sums rs (aligned with ims) over the images of class, "" for all.
func figures(rs []encoded, ims []image, class string) curveFigures {
	var f curveFigures
	for i, im := range ims {
		if class != "" && im.Class != class {
			continue
		}
		f.images++
		f.bytes += rs[i].bytes
		f.ssim += rs[i].ssim
		f.cpu += rs[i].cpu
		f.mp += im.MP()
	}
	f.ssim /= float64(f.images)
	return f
}

// meets reports which of the curve's three targets f misses against the
// WebP's figures w: "" when it meets all three.
func meets(f, w curveFigures) string {
	var miss []string
	if float64(f.bytes) > curveMaxBytes*float64(w.bytes) {
		miss = append(miss, "bytes")
	}
	if f.ssim < w.ssim {
		miss = append(miss, "SSIM")
	}
	if f.perMP() > curveMaxCPU {
		miss = append(miss, "CPU")
	}
	return strings.Join(miss, ", ")
}

// avifCurve encodes every small, medium and large photo at each point of
// curveSpeeds × curveQualities, and as the WebP q82 served by default, and
// reports bytes, SSIM and CPU per MP: a detail table of the curve and a
// row judging the shipped default (imaging.DefaultAVIFSpeed and
// DefaultQuality), naming the cheapest point that meets the target. The
// 24 MP photo is left out: 16 encodes of it would add about two minutes.
// CPU is the median of 2 runs for small images, 1 run otherwise; quick is
// speeds 7 and 9 at quality 82 on one image a class, one run each.
func avifCurve(rep *report, photos []image, quick bool) error {
	ims, speeds, qualities := curveInputs(photos, quick)
	if len(ims) == 0 {
		return fmt.Errorf("AVIF curve: no small, medium or large photo")
	}
	procs := map[int]*imaging.Processor{}
	for _, s := range speeds {
		p, err := imaging.NewProcessor(imaging.Config{AVIFSpeed: s})
		if err != nil {
			return err
		}
		procs[s] = p
	}
	if err := warmUp(procs[speeds[0]], ims); err != nil {
		return err
	}
	webp := make([]encoded, len(ims))
	avif := map[curvePoint][]encoded{}
	for i, im := range ims {
		runs := 1
		if im.Class == "small" && !quick {
			runs = 2
		}
		src, err := os.ReadFile(im.Path)
		if err != nil {
			return err
		}
		ref, err := decodeLuma(src)
		if err != nil {
			return fmt.Errorf("AVIF curve %s: %w", im.Name, err)
		}
		// the WebP does not depend on AVIFSpeed: any processor serves it
		webp[i], err = encodeOnce(ref, runs, func() (*imaging.Output, error) {
			return procs[speeds[0]].Process(context.Background(), src, im.Name, imaging.Options{})
		})
		if err != nil {
			return fmt.Errorf("AVIF curve %s WebP: %w", im.Name, err)
		}
		for _, s := range speeds {
			for _, q := range qualities {
				pt := curvePoint{s, q}
				if avif[pt] == nil {
					avif[pt] = make([]encoded, len(ims))
				}
				avif[pt][i], err = encodeOnce(ref, runs, func() (*imaging.Output, error) {
					return procs[s].AVIF(context.Background(), src, im.Name, imaging.Options{Quality: q})
				})
				if err != nil {
					return fmt.Errorf("AVIF curve %s %v: %w", im.Name, pt, err)
				}
			}
		}
	}
	curveReport(rep, ims, webp, avif, speeds, qualities, quick)
	return nil
}

// curveInputs picks the photos and the grid: every small, medium and large
// photo, or one of each when quick. The shipped default is always a point.
func curveInputs(photos []image, quick bool) (ims []image, speeds, qualities []int) {
	speeds, qualities = curveSpeeds, curveQualities
	if quick {
		speeds, qualities = []int{7, 9}, []int{82}
	}
	speeds = withValue(speeds, imaging.DefaultAVIFSpeed)
	qualities = withValue(qualities, imaging.DefaultQuality)
	seen := map[string]bool{}
	for _, im := range photos {
		if im.Class != "small" && im.Class != "medium" && im.Class != "large" || quick && seen[im.Class] {
			continue
		}
		seen[im.Class] = true
		ims = append(ims, im)
	}
	return ims, speeds, qualities
}

// warmUp loads the encoders once, outside any measurement, on the
// smallest of ims.
func warmUp(p *imaging.Processor, ims []image) error {
	im := slices.MinFunc(ims, func(a, b image) int { return a.W*a.H - b.W*b.H })
	src, err := os.ReadFile(im.Path)
	if err != nil {
		return err
	}
	if _, err := p.Process(context.Background(), src, im.Name, imaging.Options{}); err != nil {
		return err
	}
	_, err = p.AVIF(context.Background(), src, im.Name, imaging.Options{})
	return err
}

// withValue returns xs with x added in order, if it is not there yet.
func withValue(xs []int, x int) []int {
	if slices.Contains(xs, x) {
		return xs
	}
	xs = append(slices.Clone(xs), x)
	slices.Sort(xs)
	return xs
}

// encodeOnce runs encode runs times, measuring the process's CPU as ownCPU
// does, and scores the last output against ref; the decode for the score
// is outside the measurement.
func encodeOnce(ref *luma, runs int, encode func() (*imaging.Output, error)) (encoded, error) {
	var cpu samples
	var out *imaging.Output
	for range runs {
		runtime.GC()
		before := rusageSelf()
		var err error
		out, err = encode()
		cpu.add(rusageSelf() - before)
		if err != nil {
			return encoded{}, err
		}
	}
	got, err := decodeLuma(out.Data)
	if err != nil {
		return encoded{}, err
	}
	s, err := ssim(ref, got)
	if err != nil {
		return encoded{}, err
	}
	return encoded{cpu: cpu.median(), bytes: len(out.Data), ssim: s}, nil
}

// curveReport adds the curve's detail table and its summary row.
func curveReport(rep *report, ims []image, webp []encoded, avif map[curvePoint][]encoded, speeds, qualities []int, quick bool) {
	w := figures(webp, ims, "")
	def := curvePoint{imaging.DefaultAVIFSpeed, imaging.DefaultQuality}
	var cheapest *curvePoint
	var cheapestF curveFigures
	var b strings.Builder
	fmt.Fprintf(&b, "%d photos (%s; 24 MP ones are left out), each encoded by `imaging.Processor.AVIF` with `Config{AVIFSpeed: speed}` and `Options{Quality: q}` (imaging.AVIFQuality maps q to the AVIF Q in brackets), against the WebP q82 that `Process` serves by default. Bytes are totals over the photos; SSIM is the mean over the photos of each one's mean SSIM (luma, 8×8 windows, stride 4) against the original decoded upright by libvips, both flattened onto white; CPU is the process's user+system CPU, Σ per-image median ÷ Σ MP (%s), and as a ratio to the WebP's, which holds where absolute CPU drifts with the machine's load. Target: %s.\n\n",
		len(ims), classList(ims), runsNote(quick), curveTarget)
	b.WriteString("| speed | quality (AVIF Q) | bytes ÷ WebP q82 | mean SSIM | CPU-s per MP | CPU ÷ WebP | misses |\n|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| WebP | 82 | 1.00× (%s) | %.4f | %.3f | 1.00× | (baseline) |\n", mb(float64(w.bytes)), w.ssim, w.perMP())
	for _, s := range speeds {
		for _, q := range qualities {
			pt := curvePoint{s, q}
			f := figures(avif[pt], ims, "")
			miss := meets(f, w)
			if miss == "" && (cheapest == nil || f.perMP() < cheapestF.perMP()) {
				cheapest, cheapestF = &pt, f
			}
			name := fmt.Sprintf("%d (%d)", q, pt.avifQ())
			if pt == def {
				name = "**" + name + "** (shipped)"
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %.4f | %.3f | %s | %s |\n", s, name, ratio(float64(f.bytes)/float64(w.bytes)),
				f.ssim, f.perMP(), ratio(f.cpu/w.cpu), orNone(miss))
		}
	}
	b.WriteString("\nBy class, the shipped point against the WebP q82:\n\n| class | images | bytes ÷ WebP | SSIM AVIF | SSIM WebP | CPU-s per MP (AVIF) |\n|---|---|---|---|---|---|\n")
	for _, c := range []string{"small", "medium", "large"} {
		f, fw := figures(avif[def], ims, c), figures(webp, ims, c)
		if f.images == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %.4f | %.4f | %.3f |\n", c, f.images, ratio(float64(f.bytes)/float64(fw.bytes)), f.ssim, fw.ssim, f.perMP())
	}
	rep.detail("AVIF speed and quality", b.String())

	d := figures(avif[def], ims, "")
	fig := fmt.Sprintf("shipped %v: %s WebP bytes, SSIM %.4f (WebP %.4f), %.3f CPU-s/MP (%s the WebP's)", def,
		ratio(float64(d.bytes)/float64(w.bytes)), d.ssim, w.ssim, d.perMP(), ratio(d.cpu/w.cpu))
	if cheapest == nil {
		fig += "; no point of the curve meets all three"
	} else {
		fig += fmt.Sprintf("; cheapest point meeting all three: %v (%s bytes, SSIM %.4f, %.3f CPU-s/MP)", *cheapest,
			ratio(float64(cheapestF.bytes)/float64(w.bytes)), cheapestF.ssim, cheapestF.perMP())
	}
	rep.addRow(row{
		Workload: "AVIF curve",
		Measures: fmt.Sprintf("AVIF bytes, SSIM and CPU per MP at libaom speeds %s × qualities %s vs the WebP q82", joinInts(speeds), joinInts(qualities)),
		Figure:   fig,
		Ratio:    ratio(float64(d.bytes)/float64(w.bytes)) + " WebP bytes",
		Target:   curveTarget,
		Met:      met(meets(d, w) == ""),
		Runs:     fmt.Sprintf("%d images, %s", len(ims), runsNote(quick)),
	})
}

// classList names the classes of ims with their counts.
func classList(ims []image) string {
	var parts []string
	for _, c := range []string{"small", "medium", "large"} {
		var n int
		for _, im := range ims {
			if im.Class == c {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	return strings.Join(parts, ", ")
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func runsNote(quick bool) string {
	if quick {
		return "1 run each"
	}
	return "median of 2 runs for small images, 1 run otherwise"
}

func orNone(miss string) string {
	if miss == "" {
		return "none"
	}
	return miss
}
