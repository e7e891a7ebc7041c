package strip

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// largeJPEG makes a JPEG of about 50 MB with vips: noise at quality 100.
func largeJPEG(t testing.TB) string {
	t.Helper()
	vips := tool(t, "vips", "libvips-tools")
	dir := t.TempDir()
	var bands string
	for i, seed := range []string{"1", "2", "3"} {
		band := filepath.Join(dir, "n"+seed+".v")
		run(t, vips, "gaussnoise", band, "4000", "4000", "--sigma", "90", "--mean", "128", "--seed", seed)
		if i > 0 {
			bands += " "
		}
		bands += band
	}
	rgb := filepath.Join(dir, "rgb.v")
	run(t, vips, "bandjoin", bands, rgb)
	out := filepath.Join(dir, "large.jpg")
	run(t, vips, "copy", rgb, out+"[Q=100]")
	return out
}

// TestStripMemory checks that Strip streams: stripping a JPEG of about
// 50 MB allocates a few buffers, not the file.
func TestStripMemory(t *testing.T) {
	path := largeJPEG(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() < 40<<20 {
		t.Fatalf("large JPEG has %d bytes; want at least 40 MiB", info.Size())
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := stripCounting(f)
	runtime.ReadMemStats(&after)
	if err != nil || n < info.Size()/2 {
		t.Fatalf("Strip wrote %d bytes, error %v; want most of %d bytes", n, err, info.Size())
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("stripping %d bytes allocated %d bytes", info.Size(), allocated)
	if allocated > 4<<20 {
		t.Errorf("Strip allocated %d bytes for a %d-byte file; want under 4 MiB", allocated, info.Size())
	}
}

// stripCounting strips src into a writer that counts and discards.
func stripCounting(src io.ReadSeeker) (int64, error) {
	var w countingWriter
	_, err := Strip(&w, src, "jpeg")
	return int64(w), err
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

func BenchmarkStripJPEG(b *testing.B) {
	in := fixture(b, "photo.jpg")
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		strip(b, in, "jpeg")
	}
}

func BenchmarkStripHEIC(b *testing.B) {
	in := fixture(b, "photo.heic")
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		strip(b, in, "heic")
	}
}
