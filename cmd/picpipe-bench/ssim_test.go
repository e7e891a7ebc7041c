package main

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// fixture reads a file of imaging's test fixtures (imaging/testdata/gen.sh).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "imaging", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pattern is a photo-like w×h test picture, RGB: gradients and a texture.
func pattern(w, h int) []byte {
	rgb := make([]byte, 0, 3*w*h)
	for y := range h {
		for x := range w {
			v := 128 + 60*math.Sin(float64(x)/7)*math.Cos(float64(y)/11)
			rgb = append(rgb, uint8(v), uint8(x*255/w), uint8(y*255/h))
		}
	}
	return rgb
}

// noisy returns a copy of rgb with Gaussian noise of sigma added to each
// sample, the same noise every run.
func noisy(rgb []byte, sigma float64) []byte {
	out := make([]byte, len(rgb))
	rng := rand.New(rand.NewPCG(1, 2))
	for i, v := range rgb {
		out[i] = uint8(min(255, max(0, math.Round(float64(v)+sigma*rng.NormFloat64()))))
	}
	return out
}

func mustSSIM(t *testing.T, a, b *luma) float64 {
	t.Helper()
	s, err := ssim(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSSIMIdentical(t *testing.T) {
	im := lumaRGB(97, 64, pattern(97, 64))
	if s := mustSSIM(t, im, lumaRGB(97, 64, pattern(97, 64))); math.Abs(s-1) > 1e-9 {
		t.Errorf("ssim(pattern, pattern) = %.12f, want 1", s)
	}
	photo, err := decodeLuma(fixture(t, "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if s := mustSSIM(t, photo, photo); math.Abs(s-1) > 1e-9 {
		t.Errorf("ssim(photo, photo) = %.12f, want 1", s)
	}
}

// TestSSIMNoise: more noise, lower SSIM, and clearly below 1 already at
// the least.
func TestSSIMNoise(t *testing.T) {
	im := pattern(200, 120)
	ref := lumaRGB(200, 120, im)
	prev := 1.0
	for _, sigma := range []float64{4, 12, 40} {
		s := mustSSIM(t, ref, lumaRGB(200, 120, noisy(im, sigma)))
		t.Logf("sigma %.0f: SSIM %.4f", sigma, s)
		if s >= prev || s > 0.99 {
			t.Errorf("sigma %.0f: SSIM %.4f, want below %.4f and 0.99", sigma, s, prev)
		}
		prev = s
	}
	if prev > 0.5 {
		t.Errorf("sigma 40: SSIM %.4f, want below 0.5", prev)
	}
}

func TestSSIMSizes(t *testing.T) {
	l := func(w, h int) *luma { return lumaRGB(w, h, pattern(w, h)) }
	for _, tt := range []struct{ a, b *luma }{
		{l(64, 32), l(32, 64)},
		{l(64, 32), l(64, 33)},
		{l(7, 7), l(7, 7)}, // smaller than a window
	} {
		if s, err := ssim(tt.a, tt.b); err == nil {
			t.Errorf("ssim(%dx%d, %dx%d) = %v, want an error", tt.a.w, tt.a.h, tt.b.w, tt.b.h, s)
		}
	}
}

// TestDecodeLumaMatchesGo: libvips's pixels, read from its TIFF, are the
// picture Go's own JPEG decoder sees (the decoders differ by rounding).
func TestDecodeLumaMatchesGo(t *testing.T) {
	src := fixture(t, "photo.jpg")
	got, err := decodeLuma(src)
	if err != nil {
		t.Fatal(err)
	}
	im, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	b := im.Bounds()
	rgb := make([]byte, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := im.At(x, y).RGBA()
			rgb = append(rgb, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
	if s := mustSSIM(t, lumaRGB(b.Dx(), b.Dy(), rgb), got); s < 0.99 {
		t.Errorf("ssim(Go's decode, libvips's) = %.4f, want ≥ 0.99", s)
	}
}

// TestDecodeLumaUpright: an EXIF-oriented JPEG decodes upright, as picpipe
// serves it. orient-N.jpg stores pixels that display as orient-1.jpg under
// orientation N (32×64 of them for N ≥ 5).
func TestDecodeLumaUpright(t *testing.T) {
	upright, err := decodeLuma(fixture(t, "orient-1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 2; n <= 8; n++ {
		name := fmt.Sprintf("orient-%d.jpg", n)
		turned, err := decodeLuma(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if s := mustSSIM(t, upright, turned); s < 0.9 {
			t.Errorf("ssim(orient-1, %s) = %.4f, want the same picture (≥ 0.9)", name, s)
		}
	}
}

// TestDecodeLumaAlpha: translucent pixels are flattened onto white.
func TestDecodeLumaAlpha(t *testing.T) {
	im, err := decodeLuma(fixture(t, "alpha.png")) // left half fully transparent
	if err != nil {
		t.Fatal(err)
	}
	if y := im.y[10*im.w+5]; y < 254.5 {
		t.Errorf("luma of a transparent pixel = %.1f, want 255 (white)", y)
	}
}

func BenchmarkSSIM(b *testing.B) {
	im := pattern(1000, 1000)
	ref, got := lumaRGB(1000, 1000, im), lumaRGB(1000, 1000, noisy(im, 8))
	for b.Loop() {
		if _, err := ssim(ref, got); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "MP/s")
}
