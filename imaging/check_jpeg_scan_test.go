package imaging

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"picpipe"
)

// scanStart returns the offset of the first byte of entropy-coded data in
// a JPEG: the end of its first start-of-scan segment.
func scanStart(t *testing.T, b []byte) int {
	t.Helper()
	for i := 2; i+4 <= len(b) && b[i] == 0xff; {
		n := int(b[i+2])<<8 | int(b[i+3])
		if b[i+1] == 0xda {
			return i + 2 + n
		}
		i += 2 + n
	}
	t.Fatal("no start-of-scan segment")
	return 0
}

// garbled overwrites n bytes of b's scan data, starting at the given
// fraction of it, with seeded random bytes; the end-of-image marker stays.
func garbled(t *testing.T, b []byte, at float64, n int) []byte {
	t.Helper()
	c := append([]byte(nil), b...)
	start := scanStart(t, c)
	from := start + int(at*float64(len(c)-2-start))
	rng := rand.New(rand.NewPCG(1, uint64(from)))
	for i := from; i < from+n && i < len(c)-2; i++ {
		c[i] = byte(rng.UintN(256))
	}
	return c
}

// cutWithEOI cuts b at the given fraction of its scan data and appends an
// end-of-image marker, as a truncated upload "repaired" by a client would.
func cutWithEOI(t *testing.T, b []byte, at float64) []byte {
	t.Helper()
	start := scanStart(t, b)
	cut := start + int(at*float64(len(b)-2-start))
	return append(append([]byte(nil), b[:cut]...), 0xff, 0xd9)
}

// corruptJPEGs are JPEGs with damaged scan data, all of which libvips
// decoded to partly grey or garbled pictures at fail_on=truncated. Those
// marked "tail" still decode at fail_on=warning alone, without
// checkJPEGScan: libjpeg meets the damage (or, thrown off by the garbage,
// the end marker) in the last band of rows, after libvips 8.14's last look
// at its warnings, or only after the last row, where libvips never reads.
func corruptJPEGs(t *testing.T) []struct {
	name string
	src  []byte
} {
	photo, prog := fixture(t, "photo.jpg"), fixture(t, "progressive.jpg")
	return []struct {
		name string
		src  []byte
	}{
		{"baseline, garbage mid-scan (tail)", garbled(t, photo, 0.5, 256)},
		{"baseline, garbage early", garbled(t, photo, 0.1, 256)},
		{"baseline, garbage, bytes left before EOI (tail)", garbled(t, photo, 0.2, 64)},
		{"baseline, garbage near the end (tail)", garbled(t, photo, 0.97, 64)},
		{"baseline, cut at 30% + EOI", cutWithEOI(t, photo, 0.3)},
		{"baseline, cut at 60% + EOI", cutWithEOI(t, photo, 0.6)},
		{"baseline, cut at 99% + EOI (tail)", cutWithEOI(t, photo, 0.99)},
		{"progressive, garbage", garbled(t, prog, 0.7, 256)},
		{"progressive, cut at 60% + EOI", cutWithEOI(t, prog, 0.6)},
		{"progressive, cut at 95% + EOI", cutWithEOI(t, prog, 0.95)},
	}
}

func TestCorruptScanDataFails(t *testing.T) {
	p := newProcessor(t, Config{})
	for _, tt := range corruptJPEGs(t) {
		t.Run(tt.name, func(t *testing.T) {
			for _, o := range []Options{{}, {Width: 100}} {
				out, err := p.Process(context.Background(), tt.src, "a.jpg", o)
				if got := picpipe.ErrorCode(err); got != picpipe.ECodeDecodeFailed || out != nil {
					t.Errorf("Process(%+v) = output %v, code %q (%v); want no output, %q",
						o, out != nil, got, err, picpipe.ECodeDecodeFailed)
				}
			}
			out, err := p.AVIF(context.Background(), tt.src, "a.jpg", Options{Width: 100})
			if got := picpipe.ErrorCode(err); got != picpipe.ECodeDecodeFailed || out != nil {
				t.Errorf("AVIF = output %v, code %q (%v); want no output, %q",
					out != nil, got, err, picpipe.ECodeDecodeFailed)
			}
		})
	}
}

// TestFixtureJPEGsProcess checks that every JPEG fixture, baseline or
// progressive, RGB or CMYK, still processes: none of them carries a libjpeg
// warning.
func TestFixtureJPEGsProcess(t *testing.T) {
	p := newProcessor(t, Config{})
	names, err := filepath.Glob(filepath.Join("testdata", "*.jpg"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no JPEG fixtures: %v", err)
	}
	for _, path := range names {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			src := fixture(t, name)
			if err := jpegScan(src); err != nil {
				t.Errorf("jpegScan = %v, want nil", err)
			}
			for _, o := range []Options{{}, {Width: 16}} {
				process(t, p, src, name, o)
			}
		})
	}
}

func TestJPEGScan(t *testing.T) {
	photo, prog := fixture(t, "photo.jpg"), fixture(t, "progressive.jpg")
	tests := []struct {
		name    string
		src     []byte
		wantErr string // "" for none
	}{
		{"baseline", photo, ""},
		{"baseline, bytes after the end-of-image marker", append(append([]byte(nil), photo...), "trailer"...), ""},
		{"baseline, garbage mid-scan", garbled(t, photo, 0.5, 256), "Corrupt JPEG data"},
		{"baseline, cut at 99% + EOI", cutWithEOI(t, photo, 0.99), "premature end of data segment"},
		{"baseline, cut without EOI", photo[:len(photo)*3/4], "Premature end of JPEG file"},
		{"baseline, header only", photo[:scanStart(t, photo)], "Premature end of JPEG file"},
		{"not a JPEG", []byte("GIF89a not a jpeg at all"), "Not a JPEG file"},
		// Progressive scans are left to libvips's fail_on=warning.
		{"progressive", prog, ""},
		{"progressive, cut at 60% + EOI", cutWithEOI(t, prog, 0.6), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := jpegScan(tt.src)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("jpegScan = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("jpegScan = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
