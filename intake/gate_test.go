package intake

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picpipe"
	"picpipe/imaging/sniff/snifftest"
)

// counting counts the bytes read through it.
type counting struct {
	r io.Reader
	n int
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func imageFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "imaging", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stage stages body through g and returns the error code, how many bytes
// were read before the answer, and whether the store is empty after.
func stage(t *testing.T, body []byte, g Gate, name string) (code string, read int, empty bool) {
	t.Helper()
	s, st := newStager(t)
	r := &counting{r: bytes.NewReader(body)}
	_, err := s.Stage(context.Background(), r, "staging/u/x", 64<<20, g, name)
	if err != nil && picpipe.ErrorCode(err) == picpipe.ECodeInternal {
		t.Fatalf("Stage(%s) = %v: an uncoded error", name, err)
	}
	return picpipe.ErrorCode(err), r.n, len(blobs(t, st)) == 0
}

// TestImageGateFrameBombs: the API refuses an animation bomb while it
// streams, as soon as its frames pass the limits, and keeps nothing. The
// GIFs are those of the security review: 48,000 frames of 156×156 (1.17
// gigapixels in 10 MB) and 20,000 of 100×100.
func TestImageGateFrameBombs(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		file string
	}{
		{"gif 48000 frames of 156x156", snifftest.GIF(48000, 156, 156), "bomb.gif"},
		{"gif 20000 frames of 100x100", snifftest.GIF(20000, 100, 100), "bomb.gif"},
		{"gif 1001 frames of 1x1", snifftest.GIF(1001, 1, 1), "bomb.gif"},
		{"webp 20000 frames of 100x100", snifftest.WebP(20000, 100, 100), "bomb.webp"},
		{"apng claiming 1 frame with 3000", snifftest.APNG(1, 3000, 100, 100), "bomb.png"},
		{"apng claiming 2^31-1 frames", snifftest.APNG(1<<31-1, 1, 100, 100), "bomb.png"},
		{"avif sequence of 100000 samples", snifftest.HEIFSequence("avis", 100000, 640, 480), "bomb.avif"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, read, empty := stage(t, tt.body, NewImageGate(8000, 1e8), tt.file)
			if code != picpipe.ECodeTooManyPixels || !empty {
				t.Fatalf("code %q, store empty %v; want too_many_pixels and nothing kept", code, empty)
			}
			if len(tt.body) > 1<<20 && read > len(tt.body)/2 {
				t.Errorf("refused after reading %d of %d bytes; want as soon as the frames pass the limit", read, len(tt.body))
			}
		})
	}
}

// TestImageGateMaxFrames: the frame limit is the gate's, configurable.
func TestImageGateMaxFrames(t *testing.T) {
	if code, _, _ := stage(t, snifftest.GIF(1000, 1, 1), NewImageGate(8000, 1e8), "a.gif"); code != "" {
		t.Errorf("1000 frames: code %q; want accepted", code)
	}
	g := NewImageGate(8000, 1e8).WithMaxFrames(10)
	if code, _, _ := stage(t, snifftest.GIF(11, 1, 1), g, "a.gif"); code != picpipe.ECodeTooManyPixels {
		t.Errorf("11 frames, limit 10: code %q; want too_many_pixels", code)
	}
	g = NewImageGate(8000, 1e8).WithMaxFrames(10)
	if code, _, _ := stage(t, snifftest.GIF(10, 1, 1), g, "a.gif"); code != "" {
		t.Errorf("10 frames, limit 10: code %q; want accepted", code)
	}
	for _, name := range []string{"anim.gif", "anim.webp", "alpha.png", "photo.heic", "photo.avif"} {
		if code, _, _ := stage(t, imageFixture(t, name), NewImageGate(8000, 1e8), name); code != "" {
			t.Errorf("%s: code %q; want accepted", name, code)
		}
	}
}

// TestImageGateJPEGClaims: a JPEG whose data cannot fill the size it
// declares is refused at the door.
func TestImageGateJPEGClaims(t *testing.T) {
	for name, want := range map[string]string{
		"hostile/claim8000-arith.jpg": picpipe.ECodeUnsupportedFormat,
		"hostile/claim8000-cut.jpg":   picpipe.ECodeDecodeFailed,
		"photo.jpg":                   "",
		"progressive.jpg":             "",
		"cmyk.jpg":                    "",
	} {
		if code, _, empty := stage(t, imageFixture(t, name), NewImageGate(8000, 1e8), "x.jpg"); code != want || code != "" && !empty {
			t.Errorf("%s: code %q (store empty %v); want %q", name, code, empty, want)
		}
	}
}

// TestFileGateAnimations: an animation stored as a file is bounded like
// one sent for processing; stills are not limited here.
func TestFileGateAnimations(t *testing.T) {
	if code, _, empty := stage(t, snifftest.GIF(48000, 156, 156), &FileGate{}, "bomb.gif"); code != picpipe.ECodeTooManyPixels || !empty {
		t.Errorf("gif bomb as a file: code %q, store empty %v; want too_many_pixels", code, empty)
	}
	if code, _, _ := stage(t, snifftest.GIF(11, 1, 1), &FileGate{MaxFrames: 10}, "a.gif"); code != picpipe.ECodeTooManyPixels {
		t.Errorf("11 frames, limit 10: code %q; want too_many_pixels", code)
	}
	for _, name := range []string{"anim.gif", "anim.webp", "photo.jpg", "polyglot.png"} {
		if code, _, _ := stage(t, imageFixture(t, name), &FileGate{}, name); code != "" {
			t.Errorf("%s as a file: code %q; want accepted", name, code)
		}
	}
}

// TestFileGateMarkup: markup in a text file is refused wherever it is,
// past the first 4 KB too; harmless text and inline HTML are not.
func TestFileGateMarkup(t *testing.T) {
	pad := strings.Repeat("just some plain text\n", 300) // 6 KB
	tests := []struct {
		name, file, body string
		refused          bool
	}{
		{"html after 4 KB", "a.txt", pad + "<html><body>hi</body></html>\n", true},
		{"script after 4 KB", "a.txt", pad + "<SCRIPT>alert(1)</SCRIPT>\n", true},
		{"img onerror in markdown", "a.md", "# Title\n\n<img src=x onerror=alert(1)>\n", true},
		{"event handler with spaces, quoted", "a.md", "<a href='#' onclick = \"x()\">go</a>", true},
		{"svg onload", "a.md", "<svg/onload=alert(1)>", true},
		{"php from line 2", "a.txt", "hello\n<?php system($_GET['c']); ?>\n", true},
		{"php short echo", "a.txt", "hello <?= $x ?>", true},
		{"iframe in csv", "a.csv", "a,b\n1,\"<iframe src=//evil>\"\n", true},
		{"script in json", "a.json", `{"x": "<script>alert(1)</script>"}`, true},
		{"closing script", "a.txt", "x</script>", true},
		{"doctype", "a.txt", pad + "<!DOCTYPE html>", true},
		{"javascript link in markdown", "a.md", "[click](javascript:alert(1))", true},
		{"javascript href", "a.md", "<a href=\"java\tscript:alert(1)\">x</a>", true},
		{"reference link", "a.md", "[x]: JavaScript:alert(1)\n", true},
		{"vbscript", "a.md", "[x]( vbscript:msgbox)", true},
		{"script cut at the end", "a.txt", pad + "<script", true},
		{"plain text", "a.txt", pad, false},
		{"inline html", "README.md", "# Title\n<p align=\"center\"><img src=\"logo.png\" width=\"100\"><br><b>bold</b></p>\n<details><summary>more</summary>text</details>\n", false},
		{"comparisons", "a.txt", "if a<b and c > d then x <= y; 3 < 4\n", false},
		{"autolinks and mail", "a.md", "see <https://example.com> or <me@example.com>\n", false},
		{"javascript in prose", "a.md", "# JavaScript: the good parts\nBooks:\nJavaScript: more\n", false},
		{"words with on", "a.txt", "one=1, only=2, once = 3; condition=true\n", false},
		{"attribute one in a tag", "a.md", "<span onion>x</span>", false},
		{"scripts word", "a.txt", "<scripts> and <html5> are not tags we fear", false},
		{"csv", "a.csv", "a,b\n=1+2,\"x, y\"\n", false},
		{"json", "a.json", `{"html": "no markup here", "n": 1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, empty := stage(t, []byte(tt.body), &FileGate{}, tt.file)
			switch {
			case tt.refused && (code != picpipe.ECodeUnsupportedFormat || !empty):
				t.Errorf("code %q, store empty %v; want unsupported_format, nothing kept", code, empty)
			case !tt.refused && code != "":
				t.Errorf("code %q; want accepted", code)
			}
		})
	}
}

// scanInPieces runs text through a markupScanner n bytes at a time.
func scanInPieces(text []byte, n int) (string, int64) {
	var m markupScanner
	for len(text) > 0 {
		k := min(n, len(text))
		m.Write(text[:k])
		text = text[k:]
	}
	m.end()
	return m.found, m.at
}

// FuzzMarkup: no input panics, and the verdict does not depend on how the
// text is cut.
func FuzzMarkup(f *testing.F) {
	for _, s := range []string{"<img src=x onerror=alert(1)>", "hello <?php x ?>", "[a](javascript:x)",
		"<p align=center>x</p>", "a<b and c>d", "<!doctype html>", `<a href="x" title='y' onmouseover=z>`} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, text []byte, piece uint8) {
		found, at := scanInPieces(text, len(text)+1)
		if f2, a2 := scanInPieces(text, int(piece)+1); f2 != found || a2 != at {
			t.Fatalf("whole: %q at %d; in pieces of %d: %q at %d", found, at, int(piece)+1, f2, a2)
		}
		if found != "" && (at < 0 || at > int64(len(text))) {
			t.Fatalf("found %q at %d, outside %d bytes", found, at, len(text))
		}
	})
}
