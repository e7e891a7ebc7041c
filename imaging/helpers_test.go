package imaging

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The tests run against the real libvips and two independent readers: the
// vips CLI (libvips-tools) for pixels and exiftool (libimage-exiftool-perl)
// for metadata. A missing tool fails the test: a metadata check that
// silently skips would prove nothing.

// secrets are the metadata values the fixtures carry (see gen.sh); none may
// survive into an output, as metadata or as stray bytes.
var secrets = []string{"PicpipeCam", "Leaky-1", "SN-31337", "SecretCreator",
	"SecretDescription", "SecretKeyword", "SecretCity", "SecretComment"}

// metadataGroups are exiftool family-0 groups that must not appear.
var metadataGroups = []string{"EXIF", "XMP", "IPTC", "ICC_Profile", "Photoshop", "MakerNotes", "GPS"}

// metadataTags are tag names that must not appear in any group.
var metadataTags = []string{"Make", "Model", "SerialNumber", "Comment", "Creator", "Orientation"}

func newProcessor(t *testing.T, cfg Config) *Processor {
	t.Helper()
	p, err := NewProcessor(cfg)
	if err != nil {
		t.Fatalf("NewProcessor(%+v) error = %v", cfg, err)
	}
	return p
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// tool returns the path of a required command-line tool or fails the test.
func tool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required (Debian package %s): %v", name, debianPackage, err)
	}
	return p
}

// writeTemp writes data to a temporary file with the given extension.
func writeTemp(t *testing.T, data []byte, ext string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "out."+ext)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs a command and returns its standard output; libvips warnings on
// standard error are only shown on failure.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out)
}

// exiftoolTags returns every tag exiftool finds in data, keyed "Group:Tag".
func exiftoolTags(t *testing.T, data []byte, ext string) map[string]any {
	t.Helper()
	exiftool := tool(t, "exiftool", "libimage-exiftool-perl")
	out := run(t, exiftool, "-j", "-G", "-a", "-u", writeTemp(t, data, ext))
	var tags []map[string]any
	if err := json.Unmarshal([]byte(out), &tags); err != nil || len(tags) != 1 {
		t.Fatalf("exiftool output %q: %v", out, err)
	}
	return tags[0]
}

// assertNoMetadata fails if exiftool finds any metadata in data, or if a
// fixture secret is anywhere in its bytes.
func assertNoMetadata(t *testing.T, data []byte, ext string) {
	t.Helper()
	for key, value := range exiftoolTags(t, data, ext) {
		group, tag, _ := strings.Cut(key, ":")
		for _, g := range metadataGroups {
			if group == g {
				t.Errorf("output has metadata %s = %v", key, value)
			}
		}
		for _, name := range metadataTags {
			if tag == name || strings.HasPrefix(tag, "GPS") {
				t.Errorf("output has tag %s = %v", key, value)
			}
		}
	}
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("output bytes contain %q", s)
		}
	}
}

// vipsHeader returns a header field of an image file as read by vipsheader.
func vipsHeader(t *testing.T, data []byte, ext, field string) string {
	t.Helper()
	vipsheader := tool(t, "vipsheader", "libvips-tools")
	return strings.TrimSpace(run(t, vipsheader, "-f", field, writeTemp(t, data, ext)))
}

// vipsSize returns "WIDTHxHEIGHT FRAMES" of an image file as read by
// vipsheader, which opens the first frame only.
func vipsSize(t *testing.T, data []byte, ext string) string {
	t.Helper()
	vipsheader := tool(t, "vipsheader", "libvips-tools")
	path := writeTemp(t, data, ext)
	w := strings.TrimSpace(run(t, vipsheader, "-f", "width", path))
	h := strings.TrimSpace(run(t, vipsheader, "-f", "height", path))
	pages := "1"
	if out, err := exec.Command(vipsheader, "-f", "n-pages", path).Output(); err == nil {
		pages = strings.TrimSpace(string(out))
	}
	return w + "x" + h + " " + pages
}

// pixel returns the band values at x, y of an image file, read by vips.
func pixel(t *testing.T, data []byte, ext string, x, y int) []int {
	t.Helper()
	return pixelOf(t, writeTemp(t, data, ext), x, y)
}

func pixelOf(t *testing.T, path string, x, y int) []int {
	t.Helper()
	vips := tool(t, "vips", "libvips-tools")
	var px []int
	for _, f := range strings.Fields(run(t, vips, "getpoint", path, strconv.Itoa(x), strconv.Itoa(y))) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("getpoint value %q: %v", f, err)
		}
		px = append(px, int(v+0.5))
	}
	return px
}

// near reports whether two pixels differ by at most tol in every band.
func near(got, want []int, tol int) bool {
	if len(got) < len(want) {
		return false
	}
	for i := range want {
		if d := got[i] - want[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

// process runs Process and fails the test on error.
func process(t *testing.T, p *Processor, src []byte, name string, o Options) *Output {
	t.Helper()
	out, err := p.Process(context.Background(), src, name, o)
	if err != nil {
		t.Fatalf("Process(%s, %+v) error = %v", name, o, err)
	}
	return out
}
