// Kernel benchmarks: the Processor calls the worker makes, on photo-like
// JPEGs of the bench corpus's sizes made from testdata/photo.jpg, so they
// run without the corpus. Each sub-benchmark is size=small|medium|large
// (0.3, 2 and 8 MP) by op=webp|fit2048|thumb512|avif and reports input
// MP/s and the output's bytes (out-bytes, which catches an encode that
// changed) besides ns/op. To compare two commits, run on each, on an idle
// machine,
//
//	go test ./imaging -run '^$' -bench Processor -count 6 >old.txt
//	go test ./imaging -run '^$' -bench Processor -count 6 >new.txt
//	go run golang.org/x/perf/cmd/benchstat@latest old.txt new.txt
//
// (benchstat -col /op new.txt puts the ops side by side). A smoke run of
// every benchmark once is -benchtime 1x, under 15 s.

package imaging

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/h2non/bimg"
)

// benchSizes are the bench corpus's classes, in the fixture's 3:2.
var benchSizes = []struct {
	name string
	w, h int
}{
	{"small", 672, 448},    // 0.30 MP
	{"medium", 1728, 1152}, // 1.99 MP
	{"large", 3456, 2304},  // 7.96 MP
}

// benchOps are the worker's calls: the full-size WebP q82 served by
// default, a 2048 px and a 512 px box, and the AVIF variant.
var benchOps = []struct {
	name string
	avif bool
	opts Options
}{
	{"webp", false, Options{}},
	{"fit2048", false, Options{Width: 2048, Height: 2048}},
	{"thumb512", false, Options{Width: 512, Height: 512}},
	{"avif", true, Options{}},
}

// benchInputs are the inputs by size name, made once per process.
var benchInputs = sync.OnceValues(func() (map[string][]byte, error) {
	photo, err := os.ReadFile(filepath.Join("testdata", "photo.jpg"))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, s := range benchSizes {
		if out[s.name], err = benchInput(photo, s.w, s.h); err != nil {
			return nil, fmt.Errorf("bench input %s: %w", s.name, err)
		}
	}
	return out, nil
})

// benchInput tiles photo, mirrored, to w×h and saves it as a camera might:
// JPEG quality 85, no metadata. Tiling keeps the fixture's detail and grain
// at every size, where scaling it up would smooth them away and flatter
// the encoders. bimg embeds one side at a time (it will not embed into a
// box larger on both sides without enlarging).
func benchInput(photo []byte, w, h int) ([]byte, error) {
	wide, err := bimg.NewImage(photo).Process(bimg.Options{
		Width: w, Height: 320, Embed: true, Extend: bimg.ExtendMirror,
		Type: bimg.PNG, Compression: 1, StripMetadata: true,
	})
	if err != nil {
		return nil, err
	}
	jpeg, err := bimg.NewImage(wide).Process(bimg.Options{
		Width: w, Height: h, Embed: true, Extend: bimg.ExtendMirror,
		Type: bimg.JPEG, Quality: 85, StripMetadata: true,
	})
	if err != nil {
		return nil, err
	}
	if size, err := bimg.NewImage(jpeg).Size(); err != nil || size.Width != w || size.Height != h {
		return nil, fmt.Errorf("made %dx%d (%v), want %dx%d", size.Width, size.Height, err, w, h)
	}
	return jpeg, nil
}

func BenchmarkProcessor(b *testing.B) {
	inputs, err := benchInputs()
	if err != nil {
		b.Fatal(err)
	}
	p, err := NewProcessor(Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range benchSizes {
		src := inputs[size.name]
		mp := float64(size.w*size.h) / 1e6
		b.Run("size="+size.name, func(b *testing.B) {
			for _, op := range benchOps {
				call := p.Process
				if op.avif {
					call = p.AVIF
				}
				b.Run("op="+op.name, func(b *testing.B) {
					var out *Output
					for b.Loop() {
						var err error
						if out, err = call(context.Background(), src, "bench.jpg", op.opts); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(mp*float64(b.N)/b.Elapsed().Seconds(), "MP/s")
					b.ReportMetric(float64(len(out.Data)), "out-bytes")
				})
			}
		})
	}
}
