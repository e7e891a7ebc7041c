package api

import (
	"testing"

	"picpipe/db"
)

func TestChooseVariant(t *testing.T) {
	webp := &db.Image{Format: "webp", OutputKey: "o.webp", OutputSize: 1000}
	ready := &db.Variant{Kind: db.VariantAVIF, Status: db.StatusReady, StorageKey: "o.avif", Size: 600}
	queued := &db.Variant{Kind: db.VariantAVIF, Status: db.StatusQueued}
	failed := &db.Variant{Kind: db.VariantAVIF, Status: db.StatusFailed}
	skipped := &db.Variant{Kind: db.VariantAVIF, Status: db.StatusSkipped, Size: 1200}
	// made before workers skipped AVIFs no smaller than the WebP
	bigger := &db.Variant{Kind: db.VariantAVIF, Status: db.StatusReady, StorageKey: "b.avif", Size: 1000}
	gif := &db.Image{Format: "gif", OutputKey: "o.gif"}
	tests := []struct {
		name   string
		img    *db.Image
		avif   *db.Variant
		accept string
		want   string
	}{
		{"browser, avif ready", webp, ready, "image/avif,image/webp,image/apng,image/*,*/*;q=0.8", "avif"},
		{"browser, avif not yet made", webp, queued, "image/avif,image/webp,*/*", "webp"},
		{"browser, avif failed", webp, failed, "image/avif,image/webp,*/*", "webp"},
		{"browser, avif skipped", webp, skipped, "image/avif,image/webp,*/*", "webp"},
		{"browser, avif no smaller", webp, bigger, "image/avif,image/webp,*/*", "webp"},
		{"webp only", webp, ready, "image/webp", "webp"},
		{"avif lower q", webp, ready, "image/avif;q=0.4,image/webp;q=0.9", "webp"},
		{"avif refused", webp, ready, "image/avif;q=0,*/*", "webp"},
		{"avif equal q", webp, ready, "image/avif;q=0.8,image/webp;q=0.8", "avif"},
		{"wildcard", webp, ready, "*/*", "webp"},
		{"image wildcard", webp, ready, "image/*", "webp"},
		{"no accept", webp, ready, "", "webp"},
		{"avif listed beside wildcards", webp, ready, "image/avif,*/*;q=0.8", "avif"},
		{"avif listed below the wildcard", webp, ready, "image/avif;q=0.5,*/*", "webp"},
		{"avif listed, webp only by wildcard", webp, ready, "image/avif;q=0.9,image/*;q=0.9", "avif"},
		{"case and spaces", webp, ready, " IMAGE/AVIF ; Q=1 , image/webp", "avif"},
		{"specific beats wildcard", webp, ready, "image/*;q=1,image/avif;q=0.1", "webp"},
		{"gif stays gif", gif, nil, "image/avif,*/*", "gif"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chooseVariant(tt.img, tt.avif, tt.accept).format; got != tt.want {
				t.Fatalf("chooseVariant(%q) = %s; want %s", tt.accept, got, tt.want)
			}
		})
	}
}

func TestPreferredWait(t *testing.T) {
	const def, max = 10, 60
	tests := []struct {
		header      string
		wantSeconds int
		wantApplied string
	}{
		{"", def, ""},
		{"respond-async", 0, "respond-async"},
		{"wait=5", 5, "wait=5"},
		{"wait=600", max, "wait=60"},
		{"respond-async, wait=5", 0, "respond-async"},
		{"wait=-1", def, ""},
		{"wait=abc", def, ""},
		{"handling=lenient", def, ""},
	}
	for _, tt := range tests {
		got, applied := preferredWait(tt.header, def*1e9, max*1e9)
		if int(got.Seconds()) != tt.wantSeconds || applied != tt.wantApplied {
			t.Errorf("preferredWait(%q) = %v, %q; want %ds, %q", tt.header, got, applied, tt.wantSeconds, tt.wantApplied)
		}
	}
}
