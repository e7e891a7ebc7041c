package imaging

import (
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg     Config
		wantErr bool
	}{
		{Config{}, false},
		{Config{MaxEdge: 100, MaxPixels: 1000, AVIFSpeed: 9}, false},
		{Config{AVIFSpeed: 1}, false},
		{Config{MaxEdge: -1}, true},
		{Config{MaxPixels: -1}, true},
		{Config{MaxFrames: -1}, true},
		{Config{AVIFSpeed: -1}, true},
		{Config{AVIFSpeed: 10}, true},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err != nil) != tt.wantErr {
			t.Errorf("%+v.Validate() = %v, want error %t", tt.cfg, err, tt.wantErr)
		}
		if _, err := NewProcessor(tt.cfg); (err != nil) != tt.wantErr {
			t.Errorf("NewProcessor(%+v) = %v, want error %t", tt.cfg, err, tt.wantErr)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	got := Config{}.withDefaults()
	want := Config{MaxEdge: 8000, MaxPixels: 100_000_000, MaxFrames: 1000, AVIFSpeed: 8}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	if e := got.avifEffort(); e != 1 {
		t.Errorf("effort = %d, want 1 (speed 8)", e)
	}
	if got := (Config{AVIFSpeed: 9}).withDefaults().avifEffort(); got != 0 {
		t.Errorf("speed 9 effort = %d, want 0", got)
	}
}

func TestAVIFQuality(t *testing.T) {
	for _, tt := range []struct{ q, want int }{{1, 1}, {82, 66}, {100, 80}, {50, 40}} {
		if got := (Options{Quality: tt.q}).avifQuality(); got != tt.want {
			t.Errorf("avifQuality(%d) = %d, want %d", tt.q, got, tt.want)
		}
	}
}

// TestStartupBlocksOtherLoaders checks that after Startup libvips will not
// run a loader for formats outside the allow-list, even when called
// directly, past the sniff and the loader-name check. (libvips still names
// a blocked loader in vips_foreign_find_load_buffer; the block bites when
// the loader runs.)
func TestStartupBlocksOtherLoaders(t *testing.T) {
	for i := 0; i < 2; i++ {
		if err := Startup(); err != nil {
			t.Fatalf("Startup() call %d error = %v", i+1, err)
		}
	}
	blocked := map[string][]byte{
		"tiff": []byte("II*\x00\x08\x00\x00\x00\x00\x00\x00\x00"),
		"svg":  []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"></svg>`),
		"pdf":  []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"),
		"ppm":  []byte("P6\n1 1\n255\n\x00\x00\x00"),
		"vips": append([]byte("\x08\xf2\xa6\xb6"), make([]byte, 64)...),
	}
	for name, data := range blocked {
		im, err := openHeader(data)
		if err == nil {
			t.Errorf("openHeader(%s) = %dx%d, want an error", name, im.Width(), im.Height())
			im.Close()
			continue
		}
		t.Logf("%s (%s): %v", name, findLoader(data), err)
	}
	for _, name := range []string{"photo.jpg", "alpha.png", "anim.gif", "anim.webp", "photo.heic", "photo.avif"} {
		im, err := openHeader(fixture(t, name))
		if err != nil {
			t.Errorf("openHeader(%s) error = %v", name, err)
			continue
		}
		im.Close()
	}
}
