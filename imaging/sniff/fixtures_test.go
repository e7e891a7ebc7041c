package sniff

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFixtures sniffs the real files of package imaging, made by libvips,
// libheif and exiftool.
func TestFixtures(t *testing.T) {
	tests := map[string]Format{
		"photo.jpg": JPEG, "progressive.jpg": JPEG, "orient-6.jpg": JPEG, "cmyk.jpg": JPEG,
		"alpha.png": PNG, "polyglot.png": PNG, "p3.png": PNG, "grey16.png": PNG,
		"anim.gif": GIF, "still.gif": GIF,
		"anim.webp":  WebP,
		"photo.avif": AVIF,
		"photo.heic": HEIC,
	}
	for name, want := range tests {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > HeaderSize {
			b = b[:HeaderSize]
		}
		got, err := Image(b, name)
		if err != nil || got != want {
			t.Errorf("Image(%s) = %+v, %v; want %+v", name, got, err, want)
		}
	}
}
