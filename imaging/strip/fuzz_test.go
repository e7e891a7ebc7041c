package strip

import (
	"bytes"
	"encoding/binary"
	"testing"

	"picpipe"
)

// The fuzz targets run their seeds in every go test; run one for longer
// with, e.g., go test -run '^$' -fuzz FuzzStripJPEG -fuzztime 30s.

func FuzzStripJPEG(f *testing.F) {
	fuzzStrip(f, "jpeg", []string{"photo.jpg", "progressive.jpg", "cmyk.jpg"},
		jpegOf(seg(0xE0, "JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x01\x01rgb"), seg(0xE1, exifHeader+string(tiff(binary.BigEndian, orientationEntry(6)))),
			seg(0xE2, "ICC_PROFILE\x00\x01\x01"), seg(markerCOM, "c"), []byte{0xFF, 0xFF}, seg(0xEE, "Adobe\x00")))
}

func FuzzStripPNG(f *testing.F) {
	fuzzStrip(f, "png", []string{"photo.png"},
		pngOf(ihdr, chunk("eXIf", string(tiff(binary.LittleEndian, orientationEntry(6)))), chunk("acTL", "\x00\x00\x00\x01\x00\x00\x00\x00"), idat, chunk("tEXt", "a\x00b")))
}

func FuzzStripGIF(f *testing.F) {
	fuzzStrip(f, "gif", []string{"anim.gif", "still.gif"},
		gifOf(ext(gifApplication, "NETSCAPE2.0", "\x01\x00\x00"), ext(gifComment, "c"), gifImageBlock(true), ext(gifApplication, "XMP DataXMP", "x")))
}

func FuzzStripWebP(f *testing.F) {
	vp8 := rc("VP8 ", "\x10\x02\x00\x9d\x01\x2a\x10\x00\x10\x00")
	fuzzStrip(f, "webp", []string{"photo.webp", "anim.webp"},
		webpOf(vp8x(0x0e), rc("ANIM", "\x00\x00\x00\x00\x00\x00"), anmf(rc("ALPH", "a"), vp8, rc("UNKN", "x")), rc("EXIF", string(orientationTIFF(6))), rc("XMP ", "x")))
}

func FuzzStripHEIC(f *testing.F) {
	fuzzStrip(f, "heic", []string{"photo.heic"}, heifPhoto().build())
}

func FuzzStripAVIF(f *testing.F) {
	fuzzStrip(f, "avif", []string{"photo.avif"}, heifPhoto().build())
}

// maxGrowth bounds how much larger than its input an output may be: a
// minimal EXIF block may be a few bytes longer than the smallest EXIF
// block with an orientation.
const maxGrowth = 64

// fuzzStrip fuzzes Strip for format from the fixtures and seeds. Beyond
// not panicking, Strip must refuse only with a coded error (the source is
// in memory and cannot fail), not grow the file, keep the size of HEIF
// files, and find nothing left to do in its own output.
func fuzzStrip(f *testing.F, format string, fixtures []string, seeds ...[]byte) {
	for _, name := range fixtures {
		f.Add(fixture(f, name))
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		res, err := Strip(&out, bytes.NewReader(in), format)
		if err != nil {
			if code := picpipe.ErrorCode(err); code == picpipe.ECodeInternal {
				t.Fatalf("Strip error = %v; want a coded error", err)
			}
			return
		}
		if out.Len() > len(in)+maxGrowth || (format == "heic" || format == "avif") && out.Len() != len(in) {
			t.Fatalf("Strip output has %d bytes for an input of %d", out.Len(), len(in))
		}
		var again bytes.Buffer
		res2, err := Strip(&again, bytes.NewReader(out.Bytes()), format)
		if err != nil || !bytes.Equal(again.Bytes(), out.Bytes()) || res2.Orientation != res.Orientation {
			t.Fatalf("Strip of its own output = %+v, %v, %d bytes; want it unchanged (%+v, %d bytes)", res2, err, again.Len(), res, out.Len())
		}
	})
}
