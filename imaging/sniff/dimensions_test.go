package sniff

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pngHeader is a PNG signature and an IHDR chunk claiming w×h.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// vipsMade makes a 37×23 image with the vips CLI (libvips-tools) and
// returns its bytes.
func vipsMade(t *testing.T, out string) []byte {
	t.Helper()
	dir := t.TempDir()
	if b, err := exec.Command("vips", "black", filepath.Join(dir, out), "37", "23", "--bands", "3").CombinedOutput(); err != nil {
		t.Fatalf("vips (make test installs libvips-tools): %v %s", err, b)
	}
	name, _, _ := strings.Cut(out, "[")
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDimensions(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > HeaderSize {
			b = b[:HeaderSize]
		}
		return b
	}
	tests := []struct {
		name   string
		header []byte
		w, h   int
		ok     bool
	}{
		{"png bomb header", pngHeader(50000, 50000), 50000, 50000, true},
		{"png", read("alpha.png"), 96, 64, true},
		{"jpeg", read("photo.jpg"), 480, 320, true},
		{"progressive jpeg", read("progressive.jpg"), 480, 320, true},
		{"gif", read("anim.gif"), 64, 48, true},
		{"extended webp", read("anim.webp"), 64, 48, true},
		{"lossy webp", vipsMade(t, "x.webp[Q=50]"), 37, 23, true},
		{"lossless webp", vipsMade(t, "x.webp[lossless]"), 37, 23, true},
		{"avif: left to the decoder", read("photo.avif"), 0, 0, false},
		{"cut jpeg header", read("photo.jpg")[:20], 0, 0, false},
		{"text", []byte("hello"), 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h, ok := Dimensions(tt.header)
			if ok != tt.ok || (tt.w != 0 && (w != tt.w || h != tt.h)) || (ok && (w <= 0 || h <= 0)) {
				t.Fatalf("Dimensions = %d×%d, %v; want %d×%d, %v", w, h, ok, tt.w, tt.h, tt.ok)
			}
		})
	}
}
