package api_test

import (
	"strings"
	"testing"

	"picpipe/api"
	"picpipe/imaging/sniff/snifftest"
	"picpipe/internal/testenv"
)

// TestHostileUploadsRefused: what the security review sent through the
// API is refused while it streams in, with nothing kept: animation bombs
// (frames counted in the container, past libvips's cap of 4097), more
// frames than PICPIPE_MAX_FRAMES, a JPEG claiming 8000×8000 in 125 bytes,
// and markup past the first 4 KB of a text file.
func TestHostileUploadsRefused(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{MaxFrames: 50}})
	file := func(name string, content []byte) func() resp {
		return func() resp {
			body, ct := multipartOf([]part{{"files", name, content}}, nil)
			return e.do("POST", "/v1/files", body, map[string]string{"Content-Type": ct})
		}
	}
	image := func(name string, content []byte) func() resp {
		return func() resp { return e.upload(name, content, nil, map[string]string{"Prefer": "respond-async"}) }
	}
	tests := []struct {
		name string
		send func() resp
		code string
	}{
		{"gif of 20000 frames of 100x100", image("bomb.gif", snifftest.GIF(20000, 100, 100)), "too_many_pixels"},
		{"gif of 51 frames, limit 50", image("a.gif", snifftest.GIF(51, 1, 1)), "too_many_pixels"},
		{"webp of 20000 frames", image("bomb.webp", snifftest.WebP(20000, 100, 100)), "too_many_pixels"},
		{"apng claiming 2^31-1 frames", image("bomb.png", snifftest.APNG(1<<31-1, 1, 100, 100)), "too_many_pixels"},
		{"arithmetic jpeg of 8000x8000", image("x.jpg", fixture(t, "hostile/claim8000-arith.jpg")), "unsupported_format"},
		{"progressive jpeg cut short", image("x.jpg", fixture(t, "hostile/claim8000-cut.jpg")), "decode_failed"},
		{"gif bomb as a file", file("bomb.gif", snifftest.GIF(20000, 100, 100)), "too_many_pixels"},
		{"html past 4 KB of a text file", file("a.txt", []byte(strings.Repeat("plain text\n", 500)+"<html><script>x</script>")), "unsupported_format"},
		{"img onerror in markdown", file("a.md", []byte("# hi\n<img src=x onerror=alert(1)>")), "unsupported_format"},
		{"php on line 2", file("a.txt", []byte("hello\n<?php system($_GET['c']); ?>")), "unsupported_format"},
		{"x.php. as text", file("x.php.", []byte("hello")), "unsupported_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send()
			if r.status/100 != 4 || r.errorCode(t) != tt.code {
				t.Fatalf("= %d %s; want %s", r.status, r.body, tt.code)
			}
		})
	}
	e.nothingKept()
	// At the limit, an animation is taken.
	if r := image("a.gif", snifftest.GIF(50, 1, 1))(); r.status != 202 {
		t.Fatalf("50 frames, limit 50: %d %s; want 202", r.status, r.body)
	}
}
