package strip

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"picpipe"
)

// fixtures are the committed inputs of testdata/gen.sh, with what Strip
// must remove and what exiftool must still find.
var fixtures = []struct {
	file, format string
	// before are exiftool groups the input must have: proof that the
	// fixture really carries the metadata.
	before      []string
	removed     []string
	orientation int
	// after are exactly the exiftool groups left, besides ignoredGroups.
	after    []string
	animated bool
}{
	{"photo.jpg", "jpeg", []string{"IFD0", "ExifIFD", "GPS", "IFD1", "IPTC", "XMP-dc", "ICC_Profile"},
		[]string{KindEXIF, KindXMP, KindIPTC, KindComment, KindTrailer}, 6,
		[]string{"ICC-header", "ICC_Profile", "IFD0"}, false},
	{"progressive.jpg", "jpeg", []string{"IFD0", "GPS", "XMP-dc"},
		[]string{KindEXIF, KindXMP, KindComment}, 6,
		[]string{"IFD0"}, false},
	{"cmyk.jpg", "jpeg", []string{"IFD0", "GPS", "IPTC", "XMP-dc", "Adobe"},
		[]string{KindEXIF, KindXMP, KindIPTC}, 6,
		[]string{"Adobe", "IFD0"}, false},
	{"photo.png", "png", []string{"IFD0", "GPS", "IPTC", "XMP-dc", "ICC_Profile"},
		[]string{KindEXIF, KindXMP, KindIPTC, KindComment, KindOther, KindTrailer}, 6,
		[]string{"ICC-header", "ICC_Profile", "IFD0", "PNG", "PNG-pHYs"}, false},
	{"photo.webp", "webp", []string{"IFD0", "ExifIFD", "GPS", "XMP-dc", "ICC_Profile"},
		[]string{KindEXIF, KindXMP}, 6,
		[]string{"ICC-header", "ICC_Profile", "IFD0", "RIFF"}, false},
	{"anim.webp", "webp", []string{"IFD0", "GPS", "XMP-dc"},
		[]string{KindEXIF, KindXMP}, 6,
		[]string{"IFD0", "RIFF"}, true},
	{"anim.gif", "gif", []string{"XMP-dc", "ICC_Profile"},
		[]string{KindXMP, KindComment}, 0,
		[]string{"GIF", "ICC-header", "ICC_Profile"}, true},
	{"still.gif", "gif", []string{"XMP-dc"},
		[]string{KindXMP, KindComment}, 0,
		[]string{"GIF"}, false},
	{"photo.heic", "heic", []string{"IFD0", "ExifIFD", "GPS", "XMP-dc"},
		[]string{KindEXIF, KindXMP}, 0,
		[]string{"Meta", "QuickTime"}, false},
	{"photo.avif", "avif", []string{"IFD0", "GPS", "XMP-dc"},
		[]string{KindEXIF, KindXMP}, 0,
		[]string{"Meta", "QuickTime"}, false},
}

func TestStrip(t *testing.T) {
	for _, tt := range fixtures {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			in := fixture(t, tt.file)
			out, res := strip(t, in, tt.format)
			if !slices.Equal(res.Removed, tt.removed) || res.Orientation != tt.orientation {
				t.Errorf("Strip = %+v; want Removed %v, Orientation %d", res, tt.removed, tt.orientation)
			}
			inPath, outPath := writeTemp(t, in, tt.file), writeTemp(t, out, tt.file)
			before, after := exiftoolTags(t, inPath), exiftoolTags(t, outPath)
			if groups := metadataGroups(before); !containsAll(groups, tt.before) {
				t.Fatalf("fixture groups = %v; want at least %v (run testdata/gen.sh)", groups, tt.before)
			}
			checkMetadata(t, before, after, tt.after, tt.orientation)
			for _, s := range secrets {
				if bytes.Contains(out, []byte(s)) {
					t.Errorf("output bytes contain %q", s)
				}
			}
			checkPixels(t, inPath, outPath, tt.animated)
			checkIdempotent(t, out, tt.format)
		})
	}
}

// checkMetadata compares what exiftool found in the output with what it
// must find: exactly the groups want, no metadata tag, and in IFD0 only
// the orientation of the input, if orientation was kept.
func checkMetadata(t *testing.T, before, after map[string]any, want []string, orientation int) {
	t.Helper()
	if got := metadataGroups(after); !slices.Equal(got, want) {
		t.Errorf("exiftool groups after Strip = %v; want %v", got, want)
	}
	for key, value := range after {
		group, tag, _ := strings.Cut(key, ":")
		if slices.Contains(forbiddenTags, tag) || strings.HasPrefix(tag, "GPS") {
			t.Errorf("output has %s = %v", key, value)
		}
		if group == "IFD0" && tag != "Orientation" {
			t.Errorf("output IFD0 has %s = %v; want only Orientation", tag, value)
		}
	}
	got, ok := after["IFD0:Orientation"]
	if orientation == 0 {
		if ok {
			t.Errorf("output Orientation = %v; want none", got)
		}
		return
	}
	if got != before["IFD0:Orientation"] || got != float64(orientation) {
		t.Errorf("output Orientation = %v; want %v as in the input", got, before["IFD0:Orientation"])
	}
}

// checkPixels compares the vips decodes of two files.
func checkPixels(t *testing.T, inPath, outPath string, animated bool) {
	t.Helper()
	inHeader, inPixels := vipsPixels(t, inPath, animated)
	outHeader, outPixels := vipsPixels(t, outPath, animated)
	if outHeader != inHeader {
		t.Errorf("vipsheader after Strip = %q; want %q", outHeader, inHeader)
	}
	if !bytes.Equal(outPixels, inPixels) {
		t.Errorf("decoded pixels differ after Strip (%d bytes, want %d)", len(outPixels), len(inPixels))
	}
}

// checkIdempotent checks that stripping out again changes nothing.
func checkIdempotent(t *testing.T, out []byte, format string) {
	t.Helper()
	again, _ := strip(t, out, format)
	if !bytes.Equal(again, out) {
		t.Errorf("Strip of its own output changed it (%d bytes to %d)", len(out), len(again))
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// TestStripJPEGScan checks that the entropy-coded data, from the first SOS
// marker to EOI, comes out byte for byte.
func TestStripJPEGScan(t *testing.T) {
	for _, name := range []string{"photo.jpg", "progressive.jpg", "cmyk.jpg"} {
		t.Run(name, func(t *testing.T) {
			in := fixture(t, name)
			out, _ := strip(t, in, "jpeg")
			inSOS, outSOS := firstSOS(t, in), firstSOS(t, out)
			scan := out[outSOS:]
			if len(in) < inSOS+len(scan) || !bytes.Equal(in[inSOS:inSOS+len(scan)], scan) {
				t.Fatalf("scan data differs: output from SOS has %d bytes, not a copy of the input's", len(scan))
			}
			if !bytes.HasSuffix(scan, []byte{0xFF, markerEOI}) {
				t.Errorf("output does not end with EOI")
			}
		})
	}
}

// firstSOS returns the offset of the first SOS marker of a JPEG.
func firstSOS(t *testing.T, b []byte) int {
	t.Helper()
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		if b[i+1] == markerSOS {
			return i
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
	t.Fatal("no SOS marker")
	return 0
}

// TestStripCleanInput checks that files without metadata come out
// unchanged.
func TestStripCleanInput(t *testing.T) {
	tests := []struct{ file, format string }{
		{"progressive.jpg", "jpeg"},
		{"cmyk.jpg", "jpeg"},
		{"alpha.png", "png"},
		{"grey16.png", "png"},
		{"photo.avif", "avif"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("..", "testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			out, res := strip(t, in, tt.format)
			if !bytes.Equal(out, in) || len(res.Removed) != 0 || res.Orientation != 0 {
				t.Errorf("Strip = %+v, %d bytes; want no change to %d bytes", res, len(out), len(in))
			}
		})
	}
}

// readSeeker hides the ReadAt method of its reader.
type readSeeker struct{ io.ReadSeeker }

// TestStripReadSeeker checks that a source without ReadAt, read through
// Seek, gives the same output.
func TestStripReadSeeker(t *testing.T) {
	for _, tt := range fixtures {
		t.Run(tt.file, func(t *testing.T) {
			in := fixture(t, tt.file)
			want, _ := strip(t, in, tt.format)
			var out bytes.Buffer
			if _, err := Strip(&out, readSeeker{bytes.NewReader(in)}, tt.format); err != nil || !bytes.Equal(out.Bytes(), want) {
				t.Errorf("Strip through Seek = %d bytes, %v; want the %d bytes of a bytes.Reader", out.Len(), err, len(want))
			}
		})
	}
}

var errBoom = errors.New("boom")

// failingReader fails every read after the first n bytes.
type failingReader struct {
	*bytes.Reader
	n int64
}

func (r *failingReader) Read(p []byte) (int, error) {
	pos, _ := r.Seek(0, io.SeekCurrent)
	if pos >= r.n {
		return 0, errBoom
	}
	return r.Reader.Read(p[:min(int64(len(p)), r.n-pos)])
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errBoom }

func TestStripErrors(t *testing.T) {
	jpeg, png := fixture(t, "photo.jpg"), fixture(t, "photo.png")
	tests := []struct {
		name, format string
		src          io.ReadSeeker
		dst          io.Writer
		code         string
	}{
		{"unknown format", "tiff", bytes.NewReader(jpeg), io.Discard, picpipe.ECodeUnsupportedFormat},
		{"empty", "jpeg", bytes.NewReader(nil), io.Discard, picpipe.ECodeInvalidRequest}, // picpipe.ErrEmptyFile
		{"png named jpeg", "jpeg", bytes.NewReader(png), io.Discard, picpipe.ECodeDecodeFailed},
		{"jpeg named png", "png", bytes.NewReader(jpeg), io.Discard, picpipe.ECodeDecodeFailed},
		{"jpeg named gif", "gif", bytes.NewReader(jpeg), io.Discard, picpipe.ECodeDecodeFailed},
		{"jpeg named webp", "webp", bytes.NewReader(jpeg), io.Discard, picpipe.ECodeDecodeFailed},
		{"jpeg named heic", "heic", bytes.NewReader(jpeg), io.Discard, picpipe.ECodeDecodeFailed},
		{"read failure", "jpeg", &failingReader{bytes.NewReader(jpeg), 1000}, io.Discard, picpipe.ECodeInternal},
		{"read failure through Seek", "heic", readSeeker{&failingReader{bytes.NewReader(fixture(t, "photo.heic")), 1000}}, io.Discard, picpipe.ECodeInternal},
		{"write failure", "jpeg", bytes.NewReader(jpeg), failingWriter{}, picpipe.ECodeInternal},
	}
	for _, f := range fixtures {
		in := fixture(t, f.file)
		tests = append(tests, struct {
			name, format string
			src          io.ReadSeeker
			dst          io.Writer
			code         string
		}{"truncated " + f.file, f.format, bytes.NewReader(in[:len(in)/2]), io.Discard, picpipe.ECodeDecodeFailed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Strip(tt.dst, tt.src, tt.format)
			if got := picpipe.ErrorCode(err); got != tt.code {
				t.Fatalf("Strip error = %v (code %q); want code %q", err, got, tt.code)
			}
			if tt.code == picpipe.ECodeInternal && !errors.Is(err, errBoom) {
				t.Errorf("Strip error = %v; want it to wrap %v", err, errBoom)
			}
		})
	}
}
