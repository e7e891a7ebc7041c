package imaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"picpipe"
	"picpipe/imaging/sniff"
)

func TestProcessOutputs(t *testing.T) {
	p := newProcessor(t, Config{})
	tests := []struct {
		fixture             string
		wantFormat          string
		wantWidth, wantHigh int
		wantPages           string
	}{
		{"photo.jpg", "webp", 480, 320, "1"},
		{"progressive.jpg", "webp", 480, 320, "1"},
		{"photo.heic", "webp", 480, 320, "1"},
		{"photo.avif", "webp", 480, 320, "1"},
		{"alpha.png", "webp", 96, 64, "1"},
		{"still.gif", "webp", 64, 48, "1"},
		{"anim.gif", "gif", 64, 48, "3"},
		{"anim.webp", "webp", 64, 48, "3"},
		{"orient-6.jpg", "webp", 64, 32, "1"},
		{"cmyk.jpg", "webp", 64, 48, "1"},
		{"grey16.png", "webp", 64, 48, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			out := process(t, p, fixture(t, tt.fixture), tt.fixture, Options{})
			if out.Format != tt.wantFormat || out.MIME != "image/"+tt.wantFormat {
				t.Errorf("format = %s %s, want %s", out.Format, out.MIME, tt.wantFormat)
			}
			if out.Width != tt.wantWidth || out.Height != tt.wantHigh {
				t.Errorf("size = %dx%d, want %dx%d", out.Width, out.Height, tt.wantWidth, tt.wantHigh)
			}
			if f, err := sniff.Image(out.Data, "out."+out.Format); err != nil || f.Name != tt.wantFormat {
				t.Errorf("sniff(output) = %v, %v; want %s", f, err, tt.wantFormat)
			}
			got := vipsSize(t, out.Data, out.Format)
			if want := fmt.Sprintf("%dx%d %s", tt.wantWidth, tt.wantHigh, tt.wantPages); got != want {
				t.Errorf("vipsheader size, frames = %s, want %s", got, want)
			}
		})
	}
}

// TestStripsAllMetadata checks every output kind with exiftool. The inputs
// carry EXIF (make, model, serial number, GPS), XMP, IPTC, GIF comments.
func TestStripsAllMetadata(t *testing.T) {
	p := newProcessor(t, Config{})
	for _, name := range []string{"photo.jpg", "photo.heic", "anim.gif", "still.gif", "anim.webp", "p3.png"} {
		t.Run(name, func(t *testing.T) {
			src := fixture(t, name)
			if name == "photo.jpg" || name == "photo.heic" {
				tags := exiftoolTags(t, src, name[len(name)-4:])
				if _, ok := tags["EXIF:SerialNumber"]; !ok {
					t.Fatalf("fixture %s lacks the EXIF it is meant to carry: %v", name, tags)
				}
			}
			out := process(t, p, src, name, Options{})
			assertNoMetadata(t, out.Data, out.Format)
		})
	}
	t.Run("avif", func(t *testing.T) {
		out, err := p.AVIF(context.Background(), fixture(t, "photo.jpg"), "photo.jpg", Options{})
		if err != nil {
			t.Fatalf("AVIF error = %v", err)
		}
		assertNoMetadata(t, out.Data, "avif")
	})
}

// TestOrientation checks all eight EXIF orientations: the fixtures show a
// red, green, blue, white quadrant picture (64x32) once oriented.
func TestOrientation(t *testing.T) {
	p := newProcessor(t, Config{})
	quadrants := []struct {
		x, y int
		want []int
	}{
		{16, 8, []int{255, 0, 0}},
		{48, 8, []int{0, 255, 0}},
		{16, 24, []int{0, 0, 255}},
		{48, 24, []int{255, 255, 255}},
	}
	for n := 1; n <= 8; n++ {
		name := fmt.Sprintf("orient-%d.jpg", n)
		t.Run(name, func(t *testing.T) {
			src := fixture(t, name)
			if got := exiftoolTags(t, src, "jpg")["EXIF:Orientation"]; got == nil {
				t.Fatalf("fixture has no EXIF orientation")
			}
			out := process(t, p, src, name, Options{Quality: 90})
			if out.Width != 64 || out.Height != 32 {
				t.Fatalf("size = %dx%d, want 64x32", out.Width, out.Height)
			}
			for _, q := range quadrants {
				if got := pixel(t, out.Data, "webp", q.x, q.y); !near(got, q.want, 40) {
					t.Errorf("pixel(%d,%d) = %v, want %v", q.x, q.y, got, q.want)
				}
			}
			// Half the size: decoded at half scale (jpegShrink), then turned.
			out = process(t, p, src, name, Options{Quality: 90, Width: 32})
			if out.Width != 32 || out.Height != 16 {
				t.Fatalf("at half the size = %dx%d, want 32x16", out.Width, out.Height)
			}
			for _, q := range quadrants {
				if got := pixel(t, out.Data, "webp", q.x/2, q.y/2); !near(got, q.want, 40) {
					t.Errorf("at half the size, pixel(%d,%d) = %v, want %v", q.x/2, q.y/2, got, q.want)
				}
			}
		})
	}
}

func TestResize(t *testing.T) {
	p := newProcessor(t, Config{})
	tests := []struct {
		fixture          string
		o                Options
		wantW, wantH     int
		wantFormat       string
		wantFramesHeader string
	}{
		{"photo.jpg", Options{Width: 240}, 240, 160, "webp", "1"},
		{"photo.jpg", Options{Height: 100}, 150, 100, "webp", "1"},
		{"photo.jpg", Options{Width: 100, Height: 100}, 100, 67, "webp", "1"},
		{"photo.jpg", Options{Width: 60, Height: 1000}, 60, 40, "webp", "1"},
		{"photo.jpg", Options{Width: 1920, Height: 1080}, 480, 320, "webp", "1"}, // never upscale
		{"photo.jpg", Options{Width: 480}, 480, 320, "webp", "1"},
		{"orient-6.jpg", Options{Width: 32}, 32, 16, "webp", "1"}, // box applies to the upright image
		{"photo.heic", Options{Width: 120}, 120, 80, "webp", "1"},
		{"alpha.png", Options{Height: 32}, 48, 32, "webp", "1"},
		{"anim.webp", Options{Width: 32}, 32, 24, "webp", "3"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %dx%d", tt.fixture, tt.o.Width, tt.o.Height), func(t *testing.T) {
			out := process(t, p, fixture(t, tt.fixture), tt.fixture, tt.o)
			if out.Width != tt.wantW || out.Height != tt.wantH {
				t.Errorf("size = %dx%d, want %dx%d", out.Width, out.Height, tt.wantW, tt.wantH)
			}
			got := vipsSize(t, out.Data, out.Format)
			if want := fmt.Sprintf("%dx%d %s", tt.wantW, tt.wantH, tt.wantFramesHeader); got != want {
				t.Errorf("vipsheader size, frames = %s, want %s", got, want)
			}
		})
	}
}

func TestQualityAndLossless(t *testing.T) {
	p := newProcessor(t, Config{})
	src := fixture(t, "photo.jpg")
	low := process(t, p, src, "photo.jpg", Options{Quality: 20})
	high := process(t, p, src, "photo.jpg", Options{Quality: 95})
	if len(low.Data) >= len(high.Data) {
		t.Errorf("quality 20 gave %d bytes, quality 95 %d: want fewer", len(low.Data), len(high.Data))
	}
	lossless := process(t, p, src, "photo.jpg", Options{Lossless: true})
	chunks, err := webpChunks(lossless.Data)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range chunks {
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 || ids[len(ids)-1] != "VP8L" {
		t.Errorf("lossless chunks = %q, want a VP8L bitstream", ids)
	}
	lossy := process(t, p, src, "photo.jpg", Options{})
	if bytes.Contains(lossy.Data, []byte("VP8L")) {
		t.Errorf("default output is lossless, want lossy VP8")
	}
	t.Logf("photo.jpg 480x320: q20 %d B, q82 %d B, q95 %d B, lossless %d B",
		len(low.Data), len(lossy.Data), len(high.Data), len(lossless.Data))
}

// TestColourSpaces checks that CMYK and 16-bit grey inputs come out as
// 8-bit sRGB-ish WebP with about the colours of the photo they were made
// from.
func TestColourSpaces(t *testing.T) {
	p := newProcessor(t, Config{})
	photo := fixture(t, "photo.jpg")
	for _, tt := range []struct {
		fixture string
		grey    bool
	}{{"cmyk.jpg", false}, {"grey16.png", true}} {
		t.Run(tt.fixture, func(t *testing.T) {
			out := process(t, p, fixture(t, tt.fixture), tt.fixture, Options{Quality: 95})
			for _, pt := range [][2]int{{10, 10}, {40, 30}} {
				got := pixel(t, out.Data, "webp", pt[0], pt[1])
				want := pixel(t, photo, "jpg", pt[0], pt[1])
				if tt.grey {
					g := (want[0]*2126 + want[1]*7152 + want[2]*722) / 10000
					want = []int{g, g, g}
				}
				if !near(got, want, 30) {
					t.Errorf("pixel %v = %v, want about %v", pt, got, want)
				}
			}
		})
	}
}

func TestAlphaSurvives(t *testing.T) {
	p := newProcessor(t, Config{})
	out := process(t, p, fixture(t, "alpha.png"), "alpha.png", Options{})
	if got := vipsHeader(t, out.Data, "webp", "bands"); got != "4" {
		t.Fatalf("bands = %s, want 4 (RGB + alpha)", got)
	}
	if got := pixel(t, out.Data, "webp", 10, 10); len(got) != 4 || got[3] != 0 {
		t.Errorf("left half pixel = %v, want alpha 0", got)
	}
	if got := pixel(t, out.Data, "webp", 90, 10); len(got) != 4 || got[3] < 200 {
		t.Errorf("right edge pixel = %v, want alpha near 255", got)
	}
}

// TestStandardSRGB: the sRGB IEC61966-2.1 profile is told from others by
// its header alone.
func TestStandardSRGB(t *testing.T) {
	profile := func(class, space, maker, model string) []byte {
		p := make([]byte, 3144)
		copy(p[12:], class+space)
		copy(p[48:], maker+model)
		return p
	}
	tests := []struct {
		name string
		icc  []byte
		want bool
	}{
		{"sRGB IEC61966-2.1", profile("mntr", "RGB ", "IEC ", "sRGB"), true},
		{"Display P3", profile("mntr", "RGB ", "APPL", "    "), false},
		{"an input profile", profile("scnr", "RGB ", "IEC ", "sRGB"), false},
		{"CMYK", profile("prtr", "CMYK", "IEC ", "sRGB"), false},
		{"short", profile("mntr", "RGB ", "IEC ", "sRGB")[:100], false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		if got := standardSRGB(tt.icc); got != tt.want {
			t.Errorf("%s: standardSRGB = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Display P3 (p3.png) is still converted (TestWideGamut); a JPEG
	// without a profile has none to convert.
	p := newProcessor(t, Config{})
	for name, want := range map[string]bool{"p3.png": true, "photo.jpg": false} {
		pctx := &pipelineContext{ctx: context.Background(), config: p.config, src: fixture(t, name), filename: name}
		defer pctx.close()
		if err := pctx.run(inspectSteps); err != nil {
			t.Fatal(err)
		}
		if pctx.header.ForeignICC != want {
			t.Errorf("%s: ForeignICC = %v, want %v", name, pctx.header.ForeignICC, want)
		}
	}
}

// TestJPEGShrink: a JPEG is decoded at the largest DCT scaling that
// leaves it at least as large as the box wants, on the upright image.
func TestJPEGShrink(t *testing.T) {
	tests := []struct {
		format       string
		w, h, orient int
		o            Options
		want         int
	}{
		{"jpeg", 480, 320, 1, Options{}, 1},
		{"jpeg", 480, 320, 1, Options{Width: 1920, Height: 1080}, 1},
		{"jpeg", 480, 320, 1, Options{Width: 300}, 1},
		{"jpeg", 480, 320, 1, Options{Width: 240}, 2},
		{"jpeg", 480, 320, 1, Options{Width: 100, Height: 100}, 4},
		{"jpeg", 480, 320, 1, Options{Width: 60, Height: 1000}, 8},
		{"jpeg", 480, 320, 1, Options{Height: 20}, 8},
		{"jpeg", 1920, 1080, 1, Options{Width: 512, Height: 512}, 2}, // libvips's own choice: 1
		{"jpeg", 6542, 3680, 1, Options{Width: 512, Height: 512}, 8}, // libvips's own choice: 4
		{"jpeg", 320, 480, 6, Options{Width: 240}, 2},                // upright it is 480 wide
		{"jpeg", 320, 480, 1, Options{Width: 240}, 1},
		{"png", 480, 320, 1, Options{Width: 60}, 1},
		{"webp", 480, 320, 1, Options{Width: 60}, 1},
	}
	for _, tt := range tests {
		pctx := &pipelineContext{options: tt.o, format: sniff.Format{Name: tt.format},
			header: header{Width: tt.w, Height: tt.h, Orientation: tt.orient}}
		if got := pctx.jpegShrink(); got != tt.want {
			t.Errorf("%s %dx%d orientation %d, box %dx%d: shrink %d, want %d", tt.format, tt.w, tt.h, tt.orient, tt.o.Width, tt.o.Height, got, tt.want)
		}
	}
}

func TestDecodeFailures(t *testing.T) {
	p := newProcessor(t, Config{})
	jpg, png := fixture(t, "photo.jpg"), fixture(t, "alpha.png")
	corrupt := func(b []byte, from int) []byte {
		c := append([]byte(nil), b...)
		for i := from; i < len(c)-16; i += 7 {
			c[i] ^= 0x5a
		}
		return c
	}
	tests := []struct {
		name string
		src  []byte
		file string
	}{
		{"truncated jpeg", jpg[:len(jpg)/2], "a.jpg"},
		{"truncated jpeg, few bytes", jpg[:700], "a.jpg"},
		{"jpeg magic then garbage", append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte("garbage!"), 64)...), "a.jpg"},
		{"corrupt png data", corrupt(png, 100), "a.png"},
		{"truncated png", png[:len(png)/2], "a.png"},
		{"truncated gif", fixture(t, "anim.gif")[:4000], "a.gif"},
		{"truncated webp", fixture(t, "anim.webp")[:800], "a.webp"},
		{"truncated heic", fixture(t, "photo.heic")[:5000], "a.heic"},
	}
	for _, tt := range tests {
		// 60 px wide: a JPEG is decoded at an eighth (jpegShrink).
		for _, o := range []Options{{}, {Width: 60}} {
			t.Run(fmt.Sprintf("%s, width %d", tt.name, o.Width), func(t *testing.T) {
				out, err := p.Process(context.Background(), tt.src, tt.file, o)
				if got := picpipe.ErrorCode(err); got != picpipe.ECodeDecodeFailed {
					t.Errorf("Process code = %q (err %v, output %v), want %q", got, err, out != nil, picpipe.ECodeDecodeFailed)
				}
			})
		}
	}
}

func TestTooManyPixels(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		src  []byte
		file string
	}{
		{"50000x50000 png header", Config{}, hugePNG(t, 50000, 50000), "huge.png"},
		{"9000x10 png over default edge", Config{}, hugePNG(t, 9000, 10), "wide.png"},
		{"edge over MaxEdge", Config{MaxEdge: 400}, fixture(t, "photo.jpg"), "photo.jpg"},
		{"pixels over MaxPixels", Config{MaxPixels: 480*320 - 1}, fixture(t, "photo.jpg"), "photo.jpg"},
		{"frames count", Config{MaxPixels: 64 * 48 * 2}, fixture(t, "anim.gif"), "anim.gif"},
		{"webp frames count", Config{MaxPixels: 64 * 48 * 2}, fixture(t, "anim.webp"), "anim.webp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProcessor(t, tt.cfg)
			_, err := p.Process(context.Background(), tt.src, tt.file, Options{})
			if got := picpipe.ErrorCode(err); got != picpipe.ECodeTooManyPixels {
				t.Errorf("Process code = %q (err %v), want %q", got, err, picpipe.ECodeTooManyPixels)
			}
			_, err = p.AVIF(context.Background(), tt.src, tt.file, Options{})
			if got := picpipe.ErrorCode(err); got != picpipe.ECodeTooManyPixels && got != picpipe.ECodeUnsupportedFormat {
				t.Errorf("AVIF code = %q (err %v), want %q", got, err, picpipe.ECodeTooManyPixels)
			}
		})
	}
	// Within budget, the same animation passes.
	p := newProcessor(t, Config{MaxPixels: 64 * 48 * 3})
	process(t, p, fixture(t, "anim.gif"), "anim.gif", Options{})
}

func TestUnsupported(t *testing.T) {
	p := newProcessor(t, Config{})
	tests := []struct {
		name string
		src  []byte
		file string
	}{
		{"php behind png extension", []byte("<?php system($_GET['c']); ?>"), "shell.png"},
		{"html behind jpg extension", []byte("<html><script>alert(1)</script></html>"), "x.jpg"},
		{"elf renamed jpg", append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 120)...), "x.jpg"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "x.svg"},
		{"jpeg named png", fixture(t, "photo.jpg"), "photo.png"},
		{"png named gif", fixture(t, "alpha.png"), "alpha.gif"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Process(context.Background(), tt.src, tt.file, Options{})
			if got := picpipe.ErrorCode(err); got != picpipe.ECodeUnsupportedFormat {
				t.Errorf("Process code = %q (err %v), want %q", got, err, picpipe.ECodeUnsupportedFormat)
			}
		})
	}
}

// TestPolyglot feeds a complete PNG with a PHP/HTML payload appended: it
// decodes as an image, so it is accepted, and the re-encoded WebP keeps
// none of the payload.
func TestPolyglot(t *testing.T) {
	p := newProcessor(t, Config{})
	src := fixture(t, "polyglot.png")
	if !bytes.Contains(src, []byte("<?php")) {
		t.Fatal("fixture lacks its payload")
	}
	out := process(t, p, src, "polyglot.png", Options{})
	for _, s := range []string{"<?php", "<html", "<script", "system("} {
		if bytes.Contains(out.Data, []byte(s)) {
			t.Errorf("output contains %q", s)
		}
	}
	if err := checkWebPClean(out.Data); err != nil {
		t.Errorf("output is not a clean WebP: %v", err)
	}
}

// TestWideGamut checks that a Display P3 image is converted to sRGB through
// its profile before the profile is dropped: the output matches the vips
// CLI's own icc_transform, not the naive numbers.
func TestWideGamut(t *testing.T) {
	p := newProcessor(t, Config{})
	src := fixture(t, "p3.png")
	out := process(t, p, src, "p3.png", Options{Lossless: true})
	vips := tool(t, "vips", "libvips-tools")
	ref := writeTemp(t, nil, "png")
	run(t, vips, "icc_transform", writeTemp(t, src, "png"), ref, "srgb")
	for _, pt := range [][2]int{{16, 8}, {48, 8}, {16, 24}, {48, 24}} {
		naive := pixel(t, src, "png", pt[0], pt[1])
		want := pixelOf(t, ref, pt[0], pt[1])
		got := pixel(t, out.Data, "webp", pt[0], pt[1])
		if !near(got, want, 2) {
			t.Errorf("pixel %v = %v, want %v (vips icc_transform to sRGB)", pt, got, want)
		}
		if near(got, naive, 6) {
			t.Errorf("pixel %v = %v, barely different from the unconverted %v", pt, got, naive)
		}
	}
}

func TestAVIF(t *testing.T) {
	p := newProcessor(t, Config{})
	for _, tt := range []struct {
		fixture      string
		o            Options
		wantW, wantH int
	}{
		{"photo.jpg", Options{}, 480, 320},
		{"photo.heic", Options{Width: 240}, 240, 160},
		{"orient-6.jpg", Options{}, 64, 32},
		{"alpha.png", Options{}, 96, 64},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			src := fixture(t, tt.fixture)
			out, err := p.AVIF(context.Background(), src, tt.fixture, tt.o)
			if err != nil {
				t.Fatalf("AVIF error = %v", err)
			}
			if f, err := sniff.Image(out.Data, "x.avif"); err != nil || f != sniff.AVIF {
				t.Errorf("sniff(output) = %v, %v; want avif", f, err)
			}
			if out.Format != "avif" || out.MIME != "image/avif" || out.Width != tt.wantW || out.Height != tt.wantH {
				t.Errorf("output = %s %s %dx%d, want avif %dx%d", out.Format, out.MIME, out.Width, out.Height, tt.wantW, tt.wantH)
			}
			if got, want := vipsSize(t, out.Data, "avif"), fmt.Sprintf("%dx%d 1", tt.wantW, tt.wantH); got != want {
				t.Errorf("vipsheader size, frames = %s, want %s", got, want)
			}
			webp := process(t, p, src, tt.fixture, tt.o)
			t.Logf("%s: AVIF %d B, WebP %d B", tt.fixture, len(out.Data), len(webp.Data))
		})
	}
	if got := vipsHeader(t, mustAVIF(t, p, "alpha.png"), "avif", "bands"); got != "4" {
		t.Errorf("AVIF of alpha.png has %s bands, want 4", got)
	}
}

func mustAVIF(t *testing.T, p *Processor, name string) []byte {
	t.Helper()
	out, err := p.AVIF(context.Background(), fixture(t, name), name, Options{})
	if err != nil {
		t.Fatalf("AVIF(%s) error = %v", name, err)
	}
	return out.Data
}

func TestAVIFRefusesAnimation(t *testing.T) {
	p := newProcessor(t, Config{})
	for _, name := range []string{"anim.gif", "still.gif", "anim.webp"} {
		_, err := p.AVIF(context.Background(), fixture(t, name), name, Options{})
		if got := picpipe.ErrorCode(err); got != picpipe.ECodeUnsupportedFormat {
			t.Errorf("AVIF(%s) code = %q (err %v), want %q", name, got, err, picpipe.ECodeUnsupportedFormat)
		}
	}
}

func TestContextChecked(t *testing.T) {
	p := newProcessor(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.Process(ctx, fixture(t, "photo.jpg"), "photo.jpg", Options{})
	if !errors.Is(err, context.Canceled) || picpipe.ErrorCode(err) != picpipe.ECodeInternal {
		t.Errorf("Process(cancelled) error = %v, want context.Canceled (internal)", err)
	}
}

func TestInvalidOptions(t *testing.T) {
	p := newProcessor(t, Config{})
	for _, o := range []Options{{Quality: -1}, {Quality: 101}, {Width: -5}, {Height: -1}, {Width: maxCoord + 1}} {
		_, err := p.Process(context.Background(), fixture(t, "photo.jpg"), "photo.jpg", o)
		if got := picpipe.ErrorCode(err); got != picpipe.ECodeInvalidRequest {
			t.Errorf("Process(%+v) code = %q, want %q", o, got, picpipe.ECodeInvalidRequest)
		}
	}
}

// TestConcurrent runs several pipelines at once, as a worker pool does.
func TestConcurrent(t *testing.T) {
	p := newProcessor(t, Config{})
	names := []string{"photo.jpg", "anim.gif", "photo.heic", "alpha.png", "orient-5.jpg", "anim.webp"}
	errs := make(chan error, len(names)*2)
	for _, name := range names {
		src := fixture(t, name)
		go func() {
			_, err := p.Process(context.Background(), src, name, Options{Width: 50})
			errs <- err
		}()
		go func() {
			_, err := p.Process(context.Background(), src[:len(src)/3], name, Options{})
			if picpipe.ErrorCode(err) != picpipe.ECodeDecodeFailed {
				err = fmt.Errorf("truncated %s: %v, want decode_failed", name, err)
			} else {
				err = nil
			}
			errs <- err
		}()
	}
	for range 2 * len(names) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestScaledJPEGDecode: picpipe's own decoding of a baseline JPEG at a
// DCT scale (jpegLoadScaled) gives the very pixels libvips's loader gives
// at that scale, refuses damage, and declines what it does not take.
func TestScaledJPEGDecode(t *testing.T) {
	newProcessor(t, Config{})                // libvips started
	lossless := func(im *vipsImage) []byte { // the pixels alone
		t.Helper()
		bare, err := im.strip()
		if err != nil {
			t.Fatal(err)
		}
		defer bare.Close()
		b, err := bare.saveWebP(100, true)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	src := fixture(t, "photo.jpg")
	for _, shrink := range []int{2, 4, 8} {
		own, err := jpegLoadScaled(src, shrink, 1)
		if err != nil || own == nil {
			t.Fatalf("shrink %d: %v, %v", shrink, own, err)
		}
		ref, err := thumbnail(src, maxCoord, maxCoord, false, false, failOnWarning, shrink)
		if err != nil {
			t.Fatal(err)
		}
		if own.Width() != ref.Width() || own.Height() != ref.Height() || !bytes.Equal(lossless(own), lossless(ref)) {
			t.Errorf("shrink %d: own decoding %dx%d differs from libvips's %dx%d", shrink, own.Width(), own.Height(), ref.Width(), ref.Height())
		}
		own.Close()
		ref.Close()
	}
	for _, name := range []string{"progressive.jpg", "cmyk.jpg"} {
		if im, err := jpegLoadScaled(fixture(t, name), 2, 1); im != nil || err != nil {
			t.Errorf("%s: %v, %v; want it declined (nil, nil)", name, im, err)
		}
	}
	if im, err := jpegLoadScaled(src[:len(src)/2], 2, 1); im != nil || err == nil {
		t.Errorf("a truncated JPEG: %v, %v; want an error", im, err)
	}
}
