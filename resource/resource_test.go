package resource_test

import (
	"encoding/json"
	"testing"

	"picpipe/db"
	"picpipe/resource"
)

func TestNewImage(t *testing.T) {
	img := &db.Image{ID: "img_1", UserID: "usr_1", Status: db.StatusQueued, SourceName: "a.jpg", SourceSize: 100,
		Quality: 82, ResizeWidth: 800, Link: "abc", Format: "webp", OutputSize: 40, Width: 2, Height: 3}
	b, _ := json.Marshal(resource.NewImage("https://x", img, nil))
	if want := `{"id":"img_1","object":"image","status":"queued","url":null,"format":null,"filename":"a.jpg","size_original":100,"size_optimized":null,"compression_ratio":null,`; string(b[:len(want)]) != want {
		t.Fatalf("queued image %s", b)
	}
	img.Status = db.StatusReady
	v := resource.NewImage("https://x", img, []db.Variant{{Kind: "avif", Status: db.StatusQueued}})
	if *v.URL != "https://x/u/usr_1/abc.webp" || *v.CompressionRatio != 0.6 || *v.Resize != "800x" || v.Variants["avif"].Status != "queued" || v.Error != nil {
		t.Fatalf("ready image %+v", v)
	}
	img.Status, img.ErrorCode, img.ErrorMessage = db.StatusFailed, "decode_failed", "corrupt"
	if v := resource.NewImage("https://x", img, nil); v.URL != nil || v.Error == nil || v.Error.Code != "decode_failed" {
		t.Fatalf("failed image %+v", v)
	}
}

func TestNewFile(t *testing.T) {
	f := &db.File{ID: "file_1", UserID: "usr_1", Status: db.StatusReady, Name: "r.pdf", MIME: "application/pdf", Ext: ".pdf", Size: 9}
	if v := resource.NewFile("https://x", f); *v.URL != "https://x/f/usr_1/file_1.pdf" || v.IsImage {
		t.Fatalf("file %+v", v)
	}
	f.MIME, f.Ext = "image/png", ".png"
	if v := resource.NewFile("https://x", f); !v.IsImage {
		t.Fatal("a PNG is not an image")
	}
	if got := resource.FallbackBase(":9090"); got != "http://localhost:9090" {
		t.Fatalf("FallbackBase = %s", got)
	}
	if got := resource.FallbackBase(""); got != "http://localhost:8080" {
		t.Fatalf("FallbackBase(\"\") = %s", got)
	}
}
