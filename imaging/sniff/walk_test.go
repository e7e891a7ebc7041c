package sniff

import (
	"bytes"
	"encoding/binary"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"testing"

	"picpipe"
	"picpipe/imaging/sniff/snifftest"
)

// realImages are the image fixtures of packages imaging and strip, made by
// libvips, libheif and exiftool.
func realImages(tb testing.TB) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	for _, dir := range []string{"../testdata", "../strip/testdata"} {
		names, err := filepath.Glob(filepath.Join(dir, "*.*"))
		if err != nil {
			tb.Fatal(err)
		}
		for _, name := range names {
			if filepath.Ext(name) == ".sh" {
				continue
			}
			b, err := os.ReadFile(name)
			if err != nil {
				tb.Fatal(err)
			}
			files[name] = b
		}
	}
	return files
}

// walkInPieces writes b to a Walker n bytes at a time.
func walkInPieces(b []byte, n int) Structure {
	var w Walker
	for len(b) > 0 {
		k := min(n, len(b))
		w.Write(b[:k])
		b = b[k:]
	}
	return w.Structure()
}

// TestWalkRealImages: every real image is followed to its end, as one
// still or its real number of frames, with the canvas its decoder reads,
// and every real JPEG passes CheckJPEG; the result does not depend on how
// the bytes are split.
func TestWalkRealImages(t *testing.T) {
	frames := map[string]int64{"anim.gif": 3, "anim.webp": 3}
	for name, b := range realImages(t) {
		s := Walk(b)
		base := filepath.Base(name)
		if s.Format == "" || s.Lost || s.Frames != max(frames[base], 1) {
			t.Errorf("%s: Walk = %+v; want followed, %d frames", name, s, max(frames[base], 1))
		}
		if s.Format != "isobmff" && s.Format != "webp" && !s.Ended {
			t.Errorf("%s: the end was not reached: %+v", name, s)
		}
		if err := s.CheckJPEG(); err != nil {
			t.Errorf("%s: CheckJPEG = %v", name, err)
		}
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil {
			w, h := s.Width, s.Height
			if s.Format == "jpeg" {
				w, h = s.JPEG.Width, s.JPEG.Height
			}
			if w != cfg.Width || h != cfg.Height {
				t.Errorf("%s: canvas %dx%d; the decoder reads %dx%d", name, w, h, cfg.Width, cfg.Height)
			}
		}
		for _, n := range []int{1, 7, 4096} {
			if got := walkInPieces(b, n); got != s {
				t.Errorf("%s in pieces of %d: %+v; whole: %+v", name, n, got, s)
			}
		}
	}
}

// TestWalkCountsFrames: the frames are counted from the container, far
// past where a decoder's count stops, and a claim is checked.
func TestWalkCountsFrames(t *testing.T) {
	tests := []struct {
		name         string
		b            []byte
		frames       int64
		width, heigh int
	}{
		{"gif 48000 frames", snifftest.GIF(48000, 156, 156), 48000, 156, 156},
		{"gif 5000 frames", snifftest.GIF(5000, 1, 1), 5000, 1, 1},
		{"webp 20000 frames", snifftest.WebP(20000, 100, 100), 20000, 100, 100},
		{"apng honest", snifftest.APNG(7, 7, 64, 32), 7, 64, 32},
		{"apng claims 1, has 5000", snifftest.APNG(1, 5000, 10, 10), 5000, 10, 10},
		{"apng claims 2^31", snifftest.APNG(1<<31-1, 2, 10, 10), 1<<31 - 1, 10, 10},
		{"apng without frames", snifftest.APNG(3, 0, 10, 10), 3, 10, 10},
		{"avis 100000 samples", snifftest.HEIFSequence("avis", 100000, 640, 480), 100000, 640, 480},
		{"msf1 300 samples", snifftest.HEIFSequence("msf1", 300, 64, 64), 300, 64, 64},
	}
	for _, tt := range tests {
		s := Walk(tt.b)
		if s.Frames != tt.frames || s.Width != tt.width || s.Height != tt.heigh || s.Lost {
			t.Errorf("%s: Walk = %+v; want %d frames of %dx%d", tt.name, s, tt.frames, tt.width, tt.heigh)
		}
		if got := walkInPieces(tt.b, 5); got != s {
			t.Errorf("%s in pieces: %+v; whole: %+v", tt.name, got, s)
		}
	}
}

// TestWalkFrameExtent: a GIF frame drawn past the logical screen widens
// the canvas.
func TestWalkFrameExtent(t *testing.T) {
	b := snifftest.GIF(2, 10, 10)
	i := bytes.IndexByte(b, 0x2c) // the first image descriptor
	binary.LittleEndian.PutUint16(b[i+1:], 5000)
	if s := Walk(b); s.Width != 5010 || s.Frames != 2 {
		t.Errorf("Walk = %+v; want a 5010 px wide canvas", s)
	}
}

func TestCheckFrames(t *testing.T) {
	tests := []struct {
		s             Structure
		maxFrames     int
		maxPixels     int64
		width, height int
		want          string
	}{
		{Structure{Frames: 1000, Width: 10, Height: 10}, 1000, 1e8, 0, 0, ""},
		{Structure{Frames: 1001, Width: 1, Height: 1}, 1000, 1e8, 0, 0, picpipe.ECodeTooManyPixels},
		{Structure{Frames: 48000, Width: 156, Height: 156}, 1e6, 1e8, 0, 0, picpipe.ECodeTooManyPixels},
		{Structure{Frames: 4, Width: 5000, Height: 5000}, 1000, 1e8, 0, 0, ""},
		{Structure{Frames: 5, Width: 5000, Height: 5000}, 1000, 1e8, 0, 0, picpipe.ECodeTooManyPixels},
		{Structure{Frames: 5}, 1000, 1e8, 5000, 5000, picpipe.ECodeTooManyPixels},
		{Structure{Frames: 2, Width: 1 << 32, Height: 1 << 32}, 1000, 1e8, 0, 0, picpipe.ECodeTooManyPixels},
		{Structure{}, 1000, 1e8, 0, 0, ""},
	}
	for _, tt := range tests {
		err := tt.s.CheckFrames(tt.maxFrames, tt.maxPixels, tt.width, tt.height)
		if got := picpipe.ErrorCode(err); got != tt.want {
			t.Errorf("%+v.CheckFrames(%d, %d, %d, %d) = %v; want %q", tt.s, tt.maxFrames, tt.maxPixels, tt.width, tt.height, err, tt.want)
		}
	}
}

// jpegOf builds a JPEG's marker structure: a frame header of the given
// process and size with components (id, sampling) and the scans (component
// ids, spectral start), each followed by coded bytes of entropy data.
func jpegOf(sof byte, width, height int, comps [][2]byte, scans [][]byte, spectral byte, coded int) []byte {
	b := []byte{0xff, 0xd8}
	seg := func(code byte, payload []byte) {
		b = append(b, 0xff, code, byte((len(payload)+2)>>8), byte(len(payload)+2))
		b = append(b, payload...)
	}
	frame := []byte{8, byte(height >> 8), byte(height), byte(width >> 8), byte(width), byte(len(comps))}
	for _, c := range comps {
		frame = append(frame, c[0], c[1], 0)
	}
	seg(0xdb, make([]byte, 65)) // a quantisation table
	seg(sof, frame)
	for _, ids := range scans {
		scan := []byte{byte(len(ids))}
		for _, id := range ids {
			scan = append(scan, id, 0)
		}
		seg(0xda, append(scan, spectral, 63, 0))
		b = append(b, bytes.Repeat([]byte{0x55}, coded)...)
	}
	return append(b, 0xff, 0xd9)
}

func TestCheckJPEG(t *testing.T) {
	ycc := [][2]byte{{1, 0x22}, {2, 0x11}, {3, 0x11}}
	grey := [][2]byte{{1, 0x11}}
	all := [][]byte{{1, 2, 3}}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		// 8000×8000 4:2:0: 1,000,000 + 2 × 250,000 blocks.
		{"baseline, enough data", jpegOf(0xc0, 8000, 8000, ycc, all, 0, 375000), ""},
		{"baseline, too little data", jpegOf(0xc0, 8000, 8000, ycc, all, 0, 374999), picpipe.ECodeDecodeFailed},
		{"baseline, 883 bytes", jpegOf(0xc0, 8000, 8000, grey, [][]byte{{1}}, 0, 700), picpipe.ECodeDecodeFailed},
		{"progressive, enough data", jpegOf(0xc2, 8000, 8000, ycc, all, 0, 187500), ""},
		{"progressive, too little", jpegOf(0xc2, 8000, 8000, ycc, all, 0, 187499), picpipe.ECodeDecodeFailed},
		{"progressive, AC scans only", jpegOf(0xc2, 80, 80, ycc, all, 1, 10000), picpipe.ECodeDecodeFailed},
		{"sequential, a component never coded", jpegOf(0xc0, 80, 80, ycc, [][]byte{{1}, {2}}, 0, 10000), picpipe.ECodeDecodeFailed},
		{"sequential, one scan a component", jpegOf(0xc0, 80, 80, ycc, [][]byte{{1}, {2}, {3}}, 0, 10000), ""},
		{"arithmetic", jpegOf(0xc9, 8000, 8000, grey, [][]byte{{1}}, 0, 100), picpipe.ECodeUnsupportedFormat},
		{"arithmetic progressive", jpegOf(0xca, 80, 80, grey, [][]byte{{1}}, 0, 10000), picpipe.ECodeUnsupportedFormat},
		{"lossless", jpegOf(0xc3, 80, 80, grey, [][]byte{{1}}, 0, 10000), picpipe.ECodeUnsupportedFormat},
		{"no end marker", jpegOf(0xc0, 8, 8, grey, [][]byte{{1}}, 0, 10)[:40], picpipe.ECodeDecodeFailed},
	}
	for _, tt := range tests {
		err := Walk(tt.b).CheckJPEG()
		if got := picpipe.ErrorCode(err); got != tt.want {
			t.Errorf("%s: CheckJPEG = %v; want %q", tt.name, err, tt.want)
		}
	}
}

// TestCheckJPEGClaims: the JPEGs that claim 8000×8000 in a few hundred
// bytes, made by libjpeg (imaging/testdata/hostile): arithmetic-coded (125 bytes, decodes without a
// warning to a grey 8000×8000) and progressive, cut and given an end
// marker (883 bytes).
func TestCheckJPEGClaims(t *testing.T) {
	for name, want := range map[string]string{
		"claim8000-arith.jpg": picpipe.ECodeUnsupportedFormat,
		"claim8000-cut.jpg":   picpipe.ECodeDecodeFailed,
	} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "hostile", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := picpipe.ErrorCode(Walk(b).CheckJPEG()); got != want {
			t.Errorf("%s: CheckJPEG code %q; want %q", name, got, want)
		}
	}
}

// FuzzWalk: no input panics or loops, the result does not depend on how
// the bytes are split, and the checks end in a coded error or nil.
func FuzzWalk(f *testing.F) {
	for _, b := range realImages(f) {
		f.Add(b[:min(len(b), 8192)], uint8(7))
	}
	f.Add(snifftest.GIF(3, 4, 4), uint8(1))
	f.Add(snifftest.WebP(3, 4, 4), uint8(3))
	f.Add(snifftest.APNG(2, 3, 4, 4), uint8(5))
	f.Add(snifftest.HEIFSequence("avis", 3, 4, 4), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, piece uint8) {
		s := Walk(b)
		if got := walkInPieces(b, int(piece)+1); got != s {
			t.Fatalf("in pieces of %d: %+v; whole: %+v", int(piece)+1, got, s)
		}
		for _, err := range []error{s.CheckJPEG(), s.CheckFrames(DefaultMaxFrames, 1e8, 0, 0)} {
			if err != nil && picpipe.ErrorCode(err) == picpipe.ECodeInternal {
				t.Fatalf("uncoded error %v", err)
			}
		}
	})
}

// jpegEnds walks b in pieces of n bytes: whether the end-of-image marker
// was reached, and whether the walk lost the structure.
func jpegEnds(b []byte, n int) (ended, lost bool) {
	s := walkInPieces(b, n)
	return s.Ended, s.Lost
}

// TestWalkJPEGEnd: only a JPEG's real end-of-image marker ends it, however
// the bytes come.
func TestWalkJPEGEnd(t *testing.T) {
	for _, name := range []string{"photo.jpg", "progressive.jpg", "cmyk.jpg", "orient-6.jpg"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 3, 4096} {
			if ended, lost := jpegEnds(b, n); !ended || lost {
				t.Errorf("%s in %d-byte pieces: ended %v lost %v; want the end reached", name, n, ended, lost)
			}
			if ended, _ := jpegEnds(append(append([]byte{}, b...), "trailing data \xff\xd9"...), n); !ended {
				t.Errorf("%s with trailing data: end not reached", name)
			}
			for _, cut := range []int{len(b) - 1, len(b) - 2, len(b) * 3 / 4, len(b) / 2, 600} {
				if ended, lost := jpegEnds(b[:cut], n); ended || lost {
					t.Errorf("%s cut at %d of %d, %d-byte pieces: ended %v lost %v; want neither", name, cut, len(b), n, ended, lost)
				}
			}
		}
	}
	// An end-of-image marker inside a segment (an embedded thumbnail, a
	// table) is not the image's end.
	thumb := []byte("\xff\xd8\xff\xe1\x00\x06\xff\xd8\xff\xd9\xff\xdb\x00\x04\x00\x00\xff\xda\x00\x02\x12\x34\xff\x00\x56")
	if ended, lost := jpegEnds(thumb, 1); ended || lost {
		t.Errorf("an end inside a segment counted: ended %v lost %v", ended, lost)
	}
	if ended, lost := jpegEnds(append(thumb, 0xff, 0xd9), 2); !ended || lost {
		t.Errorf("the real end after entropy data: ended %v lost %v", ended, lost)
	}
	// Not a JPEG structure it can follow: left to the decoder.
	garbage := append([]byte("\xff\xd8\xff\xe0\x00\x04\x00\x00"), bytes.Repeat([]byte{0x12}, 10)...)
	if _, lost := jpegEnds(garbage, 4); !lost {
		t.Error("garbage not reported lost")
	}
}

// FuzzJPEGEnd: no JPEG-like input panics, and the verdict does not depend
// on how the stream is cut.
func FuzzJPEGEnd(f *testing.F) {
	for _, name := range []string{"photo.jpg", "progressive.jpg", "orient-6.jpg"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 4096)], 7)
	}
	f.Add([]byte{0xff, 0xd8, 0xff, 0xd9}, 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		n = 1 + int(uint(n)%64)
		b = append([]byte("\xff\xd8\xff"), b...)
		whole := Walk(b)
		if got := walkInPieces(b, n); got != whole {
			t.Fatalf("whole: %+v; in pieces of %d: %+v", whole, n, got)
		}
		if err := whole.CheckJPEG(); err != nil && picpipe.ErrorCode(err) == picpipe.ECodeInternal {
			t.Fatalf("uncoded error %v", err)
		}
	})
}
