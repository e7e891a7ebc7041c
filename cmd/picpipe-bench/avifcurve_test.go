package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/h2non/bimg"

	"picpipe/imaging"
)

// TestAVIFCurveQuick runs the quick curve on a small and a medium photo
// made from imaging's photo fixture: one summary row, and a detail table
// with the WebP baseline and one row per point whose SSIM is that of a
// faithful encode.
func TestAVIFCurveQuick(t *testing.T) {
	dir := t.TempDir()
	src := fixture(t, "photo.jpg")
	bigger, err := bimg.NewImage(src).Process(bimg.Options{Width: 720, Height: 480, Enlarge: true, Type: bimg.JPEG, Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"s-photo.jpg": src, "m-photo.jpg": bigger} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := loadCorpus(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep := &report{}
	if err := avifCurve(rep, photos(c), true); err != nil {
		t.Fatal(err)
	}
	if len(rep.rows) != 1 || rep.rows[0].Workload != "AVIF curve" || rep.rows[0].Target != curveTarget {
		t.Fatalf("rows = %+v, want one AVIF curve row", rep.rows)
	}
	def := curvePoint{imaging.DefaultAVIFSpeed, imaging.DefaultQuality}
	if r := rep.rows[0]; r.Met == "" || !strings.Contains(r.Figure, "shipped "+def.String()) {
		t.Errorf("row = %+v, want the shipped point judged", r)
	}
	if len(rep.details) != 1 || !strings.HasPrefix(rep.details[0], "### AVIF speed and quality\n") {
		t.Fatalf("details = %q", rep.details)
	}
	d := rep.details[0]
	if !strings.Contains(d, "| speed | quality (AVIF Q) | bytes ÷ WebP q82 | mean SSIM | CPU-s per MP | CPU ÷ WebP | misses |") {
		t.Errorf("detail has not the curve's columns:\n%s", d)
	}
	shipped := fmt.Sprintf("| %d | **%d (%d)** (shipped) |", def.speed, def.quality, def.avifQ())
	fast := fmt.Sprintf("| 9 | 82 (%d) |", imaging.AVIFQuality(82))
	for _, prefix := range []string{"| WebP | 82 |", shipped, fast, "| small | 1 |", "| medium | 1 |"} {
		line := lineWith(d, prefix)
		if line == "" {
			t.Errorf("detail has no row %q:\n%s", prefix, d)
			continue
		}
		if strings.HasPrefix(prefix, "| small") || strings.HasPrefix(prefix, "| medium") {
			continue
		}
		// a faithful encode of a photo: SSIM well above 0.9, below 1
		cells := strings.Split(line, "|")
		if s, err := strconv.ParseFloat(strings.TrimSpace(cells[4]), 64); err != nil || s < 0.9 || s >= 1 {
			t.Errorf("row %q: SSIM %q, want in [0.9, 1)", line, cells[4])
		}
	}
}

func lineWith(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
