package imaging

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"picpipe/imaging/sniff"
	"picpipe/imaging/sniff/snifftest"
)

// The fuzz targets of the container parsers the pipeline runs on
// untrusted bytes before or instead of libvips: GIF (stripGIF, the
// frame-by-frame check), RIFF/WebP (stripWebP, checkWebPClean) and
// ISO-BMFF (checkAVIFClean). make test runs each for a few seconds.

// fixtures returns the files of testdata with extension ext.
func fixtures(f *testing.F, ext string) [][]byte {
	names, _ := filepath.Glob(filepath.Join("testdata", "*."+ext))
	var out [][]byte
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzGIFContainer: stripGIF's output is clean, and the frame-by-frame
// decode of a GIF within the budget ends in a result or an error.
func FuzzGIFContainer(f *testing.F) {
	for _, b := range fixtures(f, "gif") {
		f.Add(b)
	}
	f.Add(snifftest.GIF(4, 3, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, info, err := stripGIF(b)
		if err != nil {
			return
		}
		if err := checkGIFClean(out); err != nil {
			t.Fatalf("stripGIF output is not clean: %v", err)
		}
		if info.Frames < 0 || info.Width < 0 || info.Height < 0 {
			t.Fatalf("info = %+v", info)
		}
		// As in the pipeline: decoded only within the budget.
		if sniff.Walk(out).CheckFrames(DefaultMaxFrames, 1<<20, 0, 0) == nil {
			decodeGIFFrames(context.Background(), out)
		}
	})
}

// FuzzWebPContainer: stripWebP's output passes checkWebPClean and keeps
// every image chunk.
func FuzzWebPContainer(f *testing.F) {
	for _, b := range fixtures(f, "webp") {
		f.Add(b)
	}
	f.Add(snifftest.WebP(2, 4, 4))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := stripWebP(b)
		checkWebPClean(b)
		if err != nil {
			return
		}
		if _, err := webpChunks(out); err != nil {
			t.Fatalf("stripWebP output does not parse: %v", err)
		}
		if len(out) > len(b)+8 {
			t.Fatalf("stripWebP grew %d bytes to %d", len(b), len(out))
		}
	})
}

// FuzzISOBMFFContainer: checkAVIFClean ends in nil or an error on any
// box structure, the real AVIF and HEIC among the seeds.
func FuzzISOBMFFContainer(f *testing.F) {
	for _, ext := range []string{"avif", "heic"} {
		for _, b := range fixtures(f, ext) {
			f.Add(b)
		}
	}
	f.Add(snifftest.HEIFSequence("avis", 3, 4, 4))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkAVIFClean(b)
		if boxes, err := parseBoxes(b); err == nil {
			n := 0
			for _, box := range boxes {
				n += len(box.Data)
			}
			if n > len(b) {
				t.Fatalf("boxes hold %d bytes of %d", n, len(b))
			}
		}
	})
}
