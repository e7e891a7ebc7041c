package worker

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picpipe/db"
	"picpipe/internal/testenv"
)

// TestNeverServesABiggerFile: the link serves the smaller of an upload's
// WebP encode and the WebP upload itself (without its metadata); the AVIF
// variant is the smaller of its encode and an AVIF upload itself, and is
// skipped — not stored, not served — when it is no smaller than what the
// link serves. Whatever is served carries no metadata.
func TestNeverServesABiggerFile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tt := range []struct {
		file        string
		served      string // the image's
		avifStatus  string
		avifServed  string
		smallerThan bool // the served WebP is smaller than the upload
	}{
		// 8 KB with its tags, 4.8 KB without; its q82 WebP is 11 KB: kept.
		// Its AVIF (5.6 KB) is larger than that: skipped.
		{"small.webp", db.ServedOriginal, db.StatusSkipped, "", true},
		// 2 KB, tagged; its WebP is 8 KB, larger, but the link's own
		// format must be WebP; its AVIF encode is 5 KB: the upload
		// itself is the AVIF served.
		{"small.avif", db.ServedOptimized, db.StatusReady, db.ServedOriginal, false},
		// Its AVIF (about 900 B) is larger than its WebP (about 700 B).
		{"alpha.png", db.ServedOptimized, db.StatusSkipped, "", true},
		{"photo.jpg", db.ServedOptimized, db.StatusReady, db.ServedOptimized, true},
	} {
		t.Run(tt.file, func(t *testing.T) {
			img := f.stage(t, tt.file)
			if err := f.process(t, img.ID); err != nil {
				t.Fatal(err)
			}
			got := f.row(t, img.ID)
			if got.Status != db.StatusReady || got.Served != tt.served {
				t.Fatalf("image %s served %q (%d bytes from %d); want ready %q", got.Status, got.Served, got.OutputSize, got.SourceSize, tt.served)
			}
			upload, err := os.ReadFile("../imaging/testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if smaller := got.OutputSize < int64(len(upload)); smaller != tt.smallerThan {
				t.Errorf("served %d bytes of an upload of %d", got.OutputSize, len(upload))
			}
			assertClean(t, f, got.OutputKey, "webp")
			if err := f.avif(t, img.ID); err != nil {
				t.Fatal(err)
			}
			v := f.variant(t, img.ID)
			if v.Status != tt.avifStatus || v.Served != tt.avifServed {
				t.Fatalf("variant %s served %q (%d bytes; the WebP %d); want %s %q", v.Status, v.Served, v.Size, got.OutputSize, tt.avifStatus, tt.avifServed)
			}
			switch v.Status {
			case db.StatusReady:
				if v.Size >= got.OutputSize {
					t.Errorf("AVIF of %d bytes served beside a WebP of %d", v.Size, got.OutputSize)
				}
				assertClean(t, f, v.StorageKey, "avif")
			case db.StatusSkipped:
				if v.StorageKey != "" || v.Size < got.OutputSize {
					t.Errorf("skipped variant: key %q, %d bytes beside a WebP of %d", v.StorageKey, v.Size, got.OutputSize)
				}
				var left []string
				f.st.List(ctx, "images/"+img.UserID, func(key string, _ time.Time) error {
					if strings.HasPrefix(key, "images/"+img.UserID+"/"+img.ID+".") && strings.HasSuffix(key, ".avif") {
						left = append(left, key)
					}
					return nil
				})
				if len(left) > 0 {
					t.Errorf("a skipped variant left blobs %v", left)
				}
			}
			if after := f.row(t, img.ID); after.SourceKey != "" {
				t.Errorf("source %q kept after the last variant ended", after.SourceKey)
			}
		})
	}
}

// assertClean fails unless exiftool finds no EXIF, GPS, XMP or IPTC, no
// camera make or model and no orientation in the blob under key.
func assertClean(t *testing.T, f *fixture, key, ext string) {
	t.Helper()
	b, err := f.st.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	path := filepath.Join(t.TempDir(), "served."+ext)
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, b); err != nil {
		t.Fatal(err)
	}
	out.Close()
	meta, err := exec.Command(testenv.Tool(t, "exiftool"), "-G", "-s", "-EXIF:all", "-GPS:all", "-XMP:all", "-IPTC:all",
		"-Make", "-Model", "-Orientation", path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(meta)) != "" {
		t.Fatalf("%s carries metadata (err %v):\n%s", key, err, meta)
	}
}
