package imaging

import (
	"bytes"
	"image/gif"
	"slices"
	"testing"
)

func TestStripGIF(t *testing.T) {
	src := fixture(t, "anim.gif")
	for _, s := range []string{"SecretComment", "XMP DataXMP"} {
		if !bytes.Contains(src, []byte(s)) {
			t.Fatalf("fixture lacks %q", s)
		}
	}
	src = append(src, "<?php echo 1; ?>"...) // trailing payload after the trailer
	out, info, err := stripGIF(src)
	if err != nil {
		t.Fatalf("stripGIF error = %v", err)
	}
	if info != (gifInfo{Width: 64, Height: 48, Frames: 3}) {
		t.Errorf("info = %+v, want 64x48, 3 frames", info)
	}
	for _, s := range []string{"SecretComment", "XMP DataXMP", "<?php"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output still contains %q", s)
		}
	}
	if !bytes.Contains(out, []byte("NETSCAPE2.0")) {
		t.Error("output lost the loop extension")
	}
	g, err := gif.DecodeAll(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode output: %v", err)
	}
	orig, _ := gif.DecodeAll(bytes.NewReader(fixture(t, "anim.gif")))
	if len(g.Image) != 3 || g.LoopCount != orig.LoopCount || !slices.Equal(g.Delay, orig.Delay) {
		t.Errorf("frames %d loop %d delays %v, want 3 frames loop %d delays %v",
			len(g.Image), g.LoopCount, g.Delay, orig.LoopCount, orig.Delay)
	}
	for i := range g.Image {
		if !bytes.Equal(g.Image[i].Pix, orig.Image[i].Pix) {
			t.Errorf("frame %d pixels changed", i)
		}
	}
	if err := checkGIFClean(out); err != nil {
		t.Errorf("checkGIFClean(output) = %v", err)
	}
	if err := checkGIFClean(fixture(t, "anim.gif")); err == nil {
		t.Error("checkGIFClean(fixture) = nil, want an error")
	}
}

func TestStripGIFRejectsMalformed(t *testing.T) {
	src := fixture(t, "anim.gif")
	tests := map[string][]byte{
		"empty":        nil,
		"not gif":      []byte("GIF90a\x01\x00\x01\x00\x00\x00\x00;"),
		"no trailer":   src[:len(src)-1],
		"cut in frame": src[:len(src)/2],
		"bad block":    append(append([]byte{}, src[:13]...), 0x99),
	}
	for name, data := range tests {
		if _, _, err := stripGIF(data); err == nil {
			t.Errorf("%s: stripGIF = nil error, want one", name)
		}
	}
}
