package imaging

import (
	"context"
	"os"
	"testing"
)

func TestSmoke(t *testing.T) {
	p, err := NewProcessor(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"photo.jpg", "orient-6.jpg", "alpha.png", "anim.gif", "still.gif", "anim.webp", "photo.heic", "photo.avif", "p3.png", "polyglot.png", "progressive.jpg"} {
		src, _ := os.ReadFile("testdata/" + name)
		out, err := p.Process(context.Background(), src, name, Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Logf("%s -> %s %dx%d %d bytes", name, out.Format, out.Width, out.Height, len(out.Data))
		os.WriteFile("/tmp/exp/out-"+name+"."+out.Format, out.Data, 0o644)
		a, err := p.AVIF(context.Background(), src, name, Options{})
		if err != nil {
			t.Logf("%s avif: %v", name, err)
			continue
		}
		t.Logf("%s -> %s %dx%d %d bytes", name, a.Format, a.Width, a.Height, len(a.Data))
	}
	src, _ := os.ReadFile("testdata/photo.jpg")
	_, err = p.Process(context.Background(), src[:len(src)/2], "x.jpg", Options{})
	t.Logf("truncated: %v", err)
}
