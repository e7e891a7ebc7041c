package api_test

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"picpipe/internal/testenv"
)

// TestServesNoBiggerFile: an upload whose encode would be larger is
// served as it is, without its metadata, and the answer says so
// ("served": "original", a compression_ratio of at least 0); an AVIF
// variant no smaller than the WebP is skipped and never negotiated; an
// AVIF upload smaller than its AVIF encode is itself the AVIF browsers
// get. What any client is served carries no metadata (exiftool).
func TestServesNoBiggerFile(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	c := loadContract(t, e)
	for _, tt := range []struct {
		file       string
		served     string // the link's own format
		negative   bool   // compression_ratio < 0
		avif       string // the variant's status
		avifServed any
		browser    string // what Accept: image/avif,image/webp,*/* gets
	}{
		// 8 KB (3.4 KB of tags); its q82 WebP 11 KB, its AVIF 5.6 KB.
		{"small.webp", "original", false, "skipped", nil, "webp"},
		// 2 KB; its WebP 8 KB (the .webp link must serve a WebP), its
		// AVIF encode 5 KB: the upload itself is the AVIF.
		{"small.avif", "optimized", true, "ready", "original", "avif"},
		{"photo.jpg", "optimized", false, "ready", "optimized", "avif"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			up := c.check(t, "POST", "/v1/images", e.upload(tt.file, fixture(t, tt.file), nil, nil))
			if up.status != http.StatusCreated {
				t.Fatalf("upload = %d %s", up.status, up.body)
			}
			img := up.json(t)
			ratio, _ := img["compression_ratio"].(float64)
			if img["served"] != tt.served || (ratio < 0) != tt.negative || ratio > 1 {
				t.Fatalf("served %v, compression_ratio %v; want %s, negative %t: %s", img["served"], ratio, tt.served, tt.negative, up.body)
			}
			id, link := str(img, "id"), str(img, "url")
			e.settle(id)
			got := c.check(t, "GET", "/v1/images/"+id, e.do("GET", "/v1/images/"+id, nil, nil)).json(t)
			avif, _ := got["variants"].(map[string]any)["avif"].(map[string]any)
			if avif["status"] != tt.avif || avif["served"] != tt.avifServed {
				t.Fatalf("avif variant %v; want %s served %v", avif, tt.avif, tt.avifServed)
			}
			webp := fetchServed(t, link, "")
			if webp.format != "webp" || int64(len(webp.body)) != int64(got["size_optimized"].(float64)) {
				t.Errorf("no Accept: %s of %d bytes; want the WebP of %v", webp.format, len(webp.body), got["size_optimized"])
			}
			browser := fetchServed(t, link, "image/avif,image/webp,image/apng,image/*,*/*;q=0.8")
			if browser.format != tt.browser {
				t.Errorf("a browser gets %s; want %s", browser.format, tt.browser)
			}
			if browser.format == "avif" && len(browser.body) >= len(webp.body) {
				t.Errorf("a browser gets an AVIF of %d bytes beside a WebP of %d", len(browser.body), len(webp.body))
			}
		})
	}
}

type served struct {
	format string
	body   []byte
}

// fetchServed GETs link with accept and checks with exiftool that what
// it serves carries no EXIF, GPS, XMP, IPTC, camera or orientation tag.
func fetchServed(t *testing.T, link, accept string) served {
	t.Helper()
	req, _ := http.NewRequest("GET", link, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %v", link, res.StatusCode, err)
	}
	s := served{format: res.Header.Get("X-Picpipe-Format"), body: body}
	path := filepath.Join(t.TempDir(), "served."+s.format)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	meta, err := exec.Command(testenv.Tool(t, "exiftool"), "-G", "-s", "-EXIF:all", "-GPS:all", "-XMP:all", "-IPTC:all",
		"-Make", "-Model", "-Orientation", path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(meta)) != "" {
		t.Fatalf("the served %s carries metadata (err %v):\n%s", s.format, err, meta)
	}
	return s
}
