package sniff

import (
	"errors"
	"path/filepath"
	"testing"

	"picpipe"
)

// The sniffers' fuzz targets, seeded from the real files of this package
// (documents, audio, video, archives) and of packages imaging and strip
// (images). make test runs each for a few seconds, make fuzz for as long
// as FUZZTIME says. FuzzDetect, FuzzWalk and FuzzJPEGEnd live beside the
// code they test.

// seeds are the real files, each cut to a header.
func seeds(f *testing.F) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob("testdata/*.*")
	for _, name := range files {
		if filepath.Ext(name) != ".sh" {
			out = append(out, clip(sample(f, filepath.Base(name))))
		}
	}
	for _, b := range realImages(f) {
		out = append(out, clip(b))
	}
	return out
}

// checkVerdict fails unless err is nil, a coded refusal of code, or the
// one error of an empty file (picpipe.ErrEmptyFile).
func checkVerdict(t *testing.T, err error, code string) {
	t.Helper()
	if err != nil && picpipe.ErrorCode(err) != code && !errors.Is(err, picpipe.ErrEmptyFile) {
		t.Fatalf("error %v; want nil or %s", err, code)
	}
}

// FuzzImage: the image sniffer (and the header size reader) either names
// an accepted raster format whose extension agrees, or refuses with
// unsupported_format.
func FuzzImage(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b, "x.jpg")
	}
	f.Add([]byte("GIF89a"), "a.gif.")
	f.Fuzz(func(t *testing.T, header []byte, name string) {
		fm, err := Image(header, name)
		checkVerdict(t, err, picpipe.ECodeUnsupportedFormat)
		if err == nil && (fm.Type().Class() != ClassRaster || fm.MIME == "") {
			t.Fatalf("Image accepted %+v", fm)
		}
		if w, h, ok := Dimensions(header); ok && (w < 0 || h < 0) {
			t.Fatalf("Dimensions = %d×%d", w, h)
		}
	})
}

// FuzzFile: every way in's policy either accepts a type it allows, whose
// extension agrees, or refuses with unsupported_format.
func FuzzFile(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b, "x.pdf")
	}
	f.Add([]byte("hello"), "notes.txt")
	f.Add([]byte("hello"), "x.php.")
	f.Fuzz(func(t *testing.T, header []byte, name string) {
		for _, p := range []Policy{FilesPolicy, APIMartPolicy, AgentPolicy, KIEPolicy, ImagePolicy} {
			ft, err := p.Check(header, name)
			checkVerdict(t, err, picpipe.ECodeUnsupportedFormat)
			if err == nil && !p.Allows(ft.Type) {
				t.Fatalf("%s accepted %v", p, ft.Type)
			}
			if err == nil && p.Refuses(extension(name)) {
				t.Fatalf("%s accepted the refused name %q", p, name)
			}
		}
	})
}

// FuzzISOBMFF: the ftyp sniffer reads no further than its box and names a
// type only with a description.
func FuzzISOBMFF(f *testing.F) {
	f.Add(ftypBox("avif", "mif1", "miaf"))
	f.Add(ftypBox("mif1", "heic"))
	f.Add(ftypBox("isom", "avif"))
	for _, b := range seeds(f) {
		if isFtyp(b) {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ty, what, ok := detectFtyp(b)
		if ok != isFtyp(b) || ok && what == "" || !ok && ty != Unknown {
			t.Fatalf("detectFtyp = %v, %q, %v", ty, what, ok)
		}
	})
}

// FuzzRIFF: the RIFF sniffer names WebP, WAV or AVI, or describes what it
// found.
func FuzzRIFF(f *testing.F) {
	for _, b := range seeds(f) {
		if len(b) >= 4 && string(b[:4]) == "RIFF" {
			f.Add(b)
		}
	}
	f.Add([]byte("RF64\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ty, what, ok := detectRIFF(b)
		if ok && what == "" || !ok && ty != Unknown {
			t.Fatalf("detectRIFF = %v, %q, %v", ty, what, ok)
		}
		if ty != Unknown && ty != TypeWebP && ty != TypeWAV && ty != TypeAVI {
			t.Fatalf("detectRIFF named %v", ty)
		}
	})
}
