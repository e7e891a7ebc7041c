package imaging

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestCPUAgainstVipsCLI compares the CPU time of Process with the vips CLI
// doing the bare equivalent on a 12-megapixel photo-like JPEG:
//
//	vips copy in.jpg out.webp[Q=82,strip]   vs Process(Options{})
//	vips thumbnail in.jpg out.webp[...] W   vs Process(Options{Width: W})
//
// It only runs with PICPIPE_CPU=1 (timings are for people, not for CI) and
// reports the ratios; it fails only above a generous 1.5×.
func TestCPUAgainstVipsCLI(t *testing.T) {
	if os.Getenv("PICPIPE_CPU") == "" {
		t.Skip("set PICPIPE_CPU=1 to compare CPU time with the vips CLI")
	}
	vips := tool(t, "vips", "libvips-tools")
	dir := t.TempDir()
	in := bigJPEG(t, vips, dir)
	rotated := filepath.Join(dir, "rot.jpg")
	run(t, vips, "copy", in, rotated)
	run(t, tool(t, "exiftool", "libimage-exiftool-perl"), "-q", "-overwrite_original", "-Orientation#=6", rotated)
	tagged := filepath.Join(dir, "icc.jpg")
	run(t, vips, "copy", in, tagged+"[Q=90,profile=srgb]")
	p := newProcessor(t, Config{})
	cases := []struct {
		name, in string
		o        Options
		cli      []string
	}{
		{"copy", in, Options{}, []string{"copy", in, filepath.Join(dir, "o.webp[Q=82,strip]")}},
		{"resize", in, Options{Width: 1024, Height: 1024}, []string{"thumbnail", in, filepath.Join(dir, "t.webp[Q=82,strip]"), "1024", "--height", "1024", "--size", "down"}},
		{"copy, EXIF orientation 6", rotated, Options{}, []string{"copy", rotated, filepath.Join(dir, "o.webp[Q=82,strip]")}},
		{"copy, sRGB ICC profile", tagged, Options{}, []string{"copy", tagged, filepath.Join(dir, "o.webp[Q=82,strip]")}},
	}
	for _, c := range cases {
		const n = 3
		src, err := os.ReadFile(c.in)
		if err != nil {
			t.Fatal(err)
		}
		cli := cliCPU(t, n, vips, c.cli...)
		ours := ownCPU(t, n, func() {
			if _, err := p.Process(context.Background(), src, "in.jpg", c.o); err != nil {
				t.Fatal(err)
			}
		})
		ratio := float64(ours) / float64(cli)
		t.Logf("%s: Process %v, vips CLI %v per image: ratio %.2f", c.name, ours/n, cli/n, ratio)
		if ratio > 1.5 {
			t.Errorf("%s: CPU ratio %.2f, want about 1", c.name, ratio)
		}
	}
	src, _ := os.ReadFile(in)
	avif := ownCPU(t, 1, func() {
		if _, err := p.AVIF(context.Background(), src, "in.jpg", Options{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("AVIF speed %d: %v for 12 MP, %.2f CPU-s/MP", p.config.AVIFSpeed, avif, avif.Seconds()/12)
}

// bigJPEG writes a 4000x3000 photo-like JPEG and returns its path.
func bigJPEG(t *testing.T, vips, dir string) string {
	t.Helper()
	tmp := func(n string) string { return filepath.Join(dir, n) }
	for i, c := range []string{"r", "g", "b"} {
		run(t, vips, "perlin", tmp(c+".v"), "4000", "3000", "--cell-size", "256", "--seed", string(rune('1'+i)))
		run(t, vips, "linear", tmp(c+".v"), tmp(c+"s.v"), "200", "128")
	}
	run(t, vips, "gaussnoise", tmp("n.v"), "4000", "3000", "--sigma", "6", "--mean", "0", "--seed", "5")
	run(t, vips, "bandjoin", tmp("rs.v")+" "+tmp("gs.v")+" "+tmp("bs.v"), tmp("rgb.v"))
	run(t, vips, "add", tmp("rgb.v"), tmp("n.v"), tmp("rgbn.v"))
	run(t, vips, "cast", tmp("rgbn.v"), tmp("u.v"), "uchar")
	run(t, vips, "copy", tmp("u.v"), tmp("in.jpg[Q=90]"), "--interpretation", "srgb")
	return tmp("in.jpg")
}

// cliCPU is the user+system CPU time of n runs of a command.
func cliCPU(t *testing.T, n int, name string, args ...string) time.Duration {
	t.Helper()
	var total time.Duration
	for range n {
		cmd := exec.Command(name, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		total += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return total
}

// ownCPU is this process's user+system CPU time over n calls of f.
func ownCPU(t *testing.T, n int, f func()) time.Duration {
	t.Helper()
	f() // warm up
	before := rusage(t)
	for range n {
		f()
	}
	return rusage(t) - before
}

func rusage(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
