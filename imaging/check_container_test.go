package imaging

import (
	"bytes"
	"context"
	"errors"
	"image/gif"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"picpipe"
	"picpipe/imaging/sniff/snifftest"
)

// TestAnimationBombsRefused: frames count from the container, whatever
// libvips counts (it stops at 4097 GIF frames), in every animated format,
// and the bomb is refused before anything is decoded. The first two are
// the GIFs of the security review (48,000 frames of 156×156, 1.17
// gigapixels, took 10.7 s and 850 MB; 20,000 of 100×100).
func TestAnimationBombsRefused(t *testing.T) {
	p := newProcessor(t, Config{})
	tests := []struct {
		name string
		src  []byte
		file string
	}{
		{"gif 48000 frames of 156x156", snifftest.GIF(48000, 156, 156), "bomb.gif"},
		{"gif 20000 frames of 100x100", snifftest.GIF(20000, 100, 100), "bomb.gif"},
		{"gif 5000 frames of 1x1", snifftest.GIF(5000, 1, 1), "bomb.gif"},
		{"gif 900 frames of 400x400", snifftest.GIF(900, 400, 400), "bomb.gif"},
		{"webp 20000 frames of 100x100", snifftest.WebP(20000, 100, 100), "bomb.webp"},
		{"webp 30 frames of 2000x2000", snifftest.WebP(30, 2000, 2000), "bomb.webp"},
		{"apng claiming 1 frame, with 5000", snifftest.APNG(1, 5000, 100, 100), "bomb.png"},
		{"apng claiming 2^31-1 frames", snifftest.APNG(1<<31-1, 1, 100, 100), "bomb.png"},
		{"avif sequence of 100000 samples", snifftest.HEIFSequence("avis", 100000, 640, 480), "bomb.avif"},
		{"heic sequence of 400 samples of 1920x1080", snifftest.HEIFSequence("msf1", 400, 1920, 1080), "bomb.heic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, run := range []func(context.Context, []byte, string, Options) (*Output, error){p.Process, p.AVIF} {
				start := time.Now()
				_, err := run(context.Background(), tt.src, tt.file, Options{})
				if got := picpipe.ErrorCode(err); got != picpipe.ECodeTooManyPixels {
					t.Errorf("code = %q (err %v); want too_many_pixels", got, err)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("refused after %v: something was decoded first", d)
				}
			}
		})
	}
}

// TestMaxFrames: at most MaxFrames frames, however small; at the limit an
// animation passes through whole.
func TestMaxFrames(t *testing.T) {
	p := newProcessor(t, Config{MaxFrames: 50})
	_, err := p.Process(context.Background(), snifftest.GIF(51, 2, 2), "a.gif", Options{})
	if got := picpipe.ErrorCode(err); got != picpipe.ECodeTooManyPixels {
		t.Errorf("51 frames: code = %q (err %v); want too_many_pixels", got, err)
	}
	out := process(t, p, snifftest.GIF(50, 2, 2), "a.gif", Options{})
	g, err := gif.DecodeAll(bytes.NewReader(out.Data))
	if err != nil || len(g.Image) != 50 {
		t.Fatalf("output: %v, want 50 frames", err)
	}
	if n := newProcessor(t, Config{}).config.MaxFrames; n != 1000 {
		t.Errorf("default MaxFrames = %d; want 1000", n)
	}
}

// TestAnimatedGIFDecodedFrameByFrame: the pass-through check decodes one
// frame at a time. 300 frames of 400×400 hold 48 MB decoded all at once
// (gif.DecodeAll); the heap must never grow by a fraction of that.
func TestAnimatedGIFDecodedFrameByFrame(t *testing.T) {
	src := snifftest.GIF(300, 400, 400)
	p := newProcessor(t, Config{})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()
	out := process(t, p, src, "a.gif", Options{})
	close(done)
	if out.Format != "gif" {
		t.Fatalf("format = %s; want gif", out.Format)
	}
	if grew := int64(peak.Load()) - int64(before.HeapAlloc); grew > 16<<20 {
		t.Errorf("the heap grew by %d MB while 300 frames of 400x400 were checked; want one frame at a time", grew>>20)
	}
}

// TestDecodeGIFFramesRefusesBadFrame: a frame Go's decoder refuses fails
// the whole GIF, wherever it is.
func TestDecodeGIFFramesRefusesBadFrame(t *testing.T) {
	good := snifftest.GIF(5, 8, 8)
	if err := decodeGIFFrames(context.Background(), good); err != nil {
		t.Fatalf("decodeGIFFrames(good) = %v", err)
	}
	bad := append([]byte(nil), good...)
	last := bytes.LastIndexByte(bad, 0x2c)
	bad[last+5] = 200 // the last frame is 200 px wide on an 8 px screen
	if err := decodeGIFFrames(context.Background(), bad); err == nil {
		t.Error("decodeGIFFrames(frame outside the screen) = nil; want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := decodeGIFFrames(ctx, good); err == nil {
		t.Error("decodeGIFFrames(cancelled) = nil; want the context's error")
	}
}

// TestJPEGClaimsRefused: JPEGs whose data cannot fill the size they claim
// are refused before decoding. The arithmetic-coded one (125 bytes,
// 8000×8000) used to decode, warning-free, to a grey 8000×8000 image in
// seconds; the progressive one cut short (883 bytes) used to allocate its
// whole coefficient buffer before failing.
func TestJPEGClaimsRefused(t *testing.T) {
	p := newProcessor(t, Config{})
	for name, want := range map[string]string{
		"claim8000-arith.jpg": picpipe.ECodeUnsupportedFormat,
		"claim8000-cut.jpg":   picpipe.ECodeDecodeFailed,
	} {
		src := fixture(t, filepath.Join("hostile", name))
		for _, run := range []func(context.Context, []byte, string, Options) (*Output, error){p.Process, p.AVIF} {
			start := time.Now()
			_, err := run(context.Background(), src, "x.jpg", Options{})
			if got := picpipe.ErrorCode(err); got != want {
				t.Errorf("%s: code = %q (err %v); want %q", name, got, err, want)
			}
			var ve *VipsError
			if d := time.Since(start); errors.As(err, &ve) || d > 500*time.Millisecond {
				t.Errorf("%s: refused after %v by %v; want before libvips decodes", name, d, err)
			}
		}
	}
}
