package imaging

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestKeepsSmallerOriginal: an upload already compressed well in the
// target format is served as it is, without its metadata, when its
// re-encode would be larger and show the same picture (small.webp: 4.8 KB
// without its tags, its q82 WebP 11 KB; small.avif: 2 KB, its AVIF
// 5 KB); otherwise the encode is served.
func TestKeepsSmallerOriginal(t *testing.T) {
	p := newProcessor(t, Config{})
	webp, avif := fixture(t, "small.webp"), fixture(t, "small.avif")
	for name, src := range map[string][]byte{"small.webp": webp, "small.avif": avif} {
		if _, ok := exiftoolTags(t, src, name[len(name)-4:])["EXIF:GPSLatitude"]; !ok {
			t.Fatalf("fixture %s lacks the EXIF it is meant to carry", name)
		}
	}
	for _, tt := range []struct {
		name     string
		avif     bool // the AVIF variant, else Process
		src      []byte
		o        Options
		original bool
	}{
		{"webp as it is", false, webp, Options{}, true},
		{"webp asked at q95", false, webp, Options{Quality: 95}, true},
		{"webp asked lossless", false, webp, Options{Lossless: true}, true},
		{"webp in a box it fits", false, webp, Options{Width: 1000, Height: 1000}, true},
		{"webp resized", false, webp, Options{Width: 240}, false},
		{"avif variant of an avif", true, avif, Options{}, true},
		{"avif variant resized", true, avif, Options{Width: 240}, false},
		{"webp of an avif", false, avif, Options{}, false},
		{"avif variant of a webp", true, webp, Options{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := p.Process
			if tt.avif {
				run = p.AVIF
			}
			out, err := run(context.Background(), tt.src, "x", tt.o)
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			assertNoMetadata(t, out.Data, out.Format)
			if out.Original != tt.original {
				t.Fatalf("Original = %t (%d bytes from %d), want %t", out.Original, len(out.Data), len(tt.src), tt.original)
			}
			if !tt.original {
				return
			}
			if len(out.Data) > len(tt.src) {
				t.Errorf("kept original is %d bytes, the upload %d", len(out.Data), len(tt.src))
			}
			assertSamePixels(t, tt.src, out.Data, out.Format)
		})
	}
}

// TestKeepsOriginalOnlyWhenItShowsTheSame: a WebP that needs turning
// (EXIF orientation 6) or converting (a Display P3 profile) is encoded,
// upright and in sRGB, even though its encode is larger: kept, it would
// have to carry the orientation or the profile.
func TestKeepsOriginalOnlyWhenItShowsTheSame(t *testing.T) {
	p := newProcessor(t, Config{})
	exiftool := tool(t, "exiftool", "libimage-exiftool-perl")
	vips := tool(t, "vips", "libvips-tools")
	dir := t.TempDir()
	rotated := filepath.Join(dir, "rotated.webp")
	if err := os.WriteFile(rotated, fixture(t, "small.webp"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, exiftool, "-q", "-q", "-overwrite_original", "-EXIF:Orientation#=6", rotated)
	p3 := filepath.Join(dir, "p3.webp")
	run(t, vips, "copy", filepath.Join("testdata", "p3.png"), p3+"[Q=30]")
	for _, path := range []string{rotated, p3} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out := process(t, p, src, filepath.Base(path), Options{})
		if out.Original {
			t.Errorf("%s: the original is kept (%d bytes from %d); want the encode", path, len(out.Data), len(src))
		}
		assertNoMetadata(t, out.Data, out.Format)
	}
}

// assertSamePixels fails unless a and b, image files of format ext,
// decode to the same pixels (vips: the largest difference of any band).
func assertSamePixels(t *testing.T, a, b []byte, ext string) {
	t.Helper()
	vips := tool(t, "vips", "libvips-tools")
	pa, pb := writeTemp(t, a, ext), writeTemp(t, b, ext)
	diff := filepath.Join(t.TempDir(), "diff.v")
	run(t, vips, "subtract", pa, pb, diff)
	absd := filepath.Join(t.TempDir(), "abs.v")
	run(t, vips, "abs", diff, absd)
	if got := bytes.TrimSpace([]byte(run(t, vips, "max", absd))); string(got) != "0.000000" && string(got) != "0" {
		t.Errorf("the kept original decodes to other pixels: largest difference %s", got)
	}
}
