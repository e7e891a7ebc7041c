package strip

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tests check Strip's output with two independent readers: exiftool
// (libimage-exiftool-perl) for metadata and the vips CLI (libvips-tools)
// for pixels. A missing tool fails the test: a metadata check that
// silently skips would prove nothing.

// secrets are the metadata values the fixtures carry (see testdata/gen.sh);
// none may survive, as metadata or as stray bytes.
var secrets = []string{"PicpipeCam", "Leaky-1", "SN-31337", "SecretCreator", "SecretDescription",
	"SecretKeyword", "SecretCity", "SecretComment", "SecretTitle", "SecretTrailer"}

// forbiddenTags are tag names that must not appear in any group; GPS tags
// are refused by prefix.
var forbiddenTags = []string{"Make", "Model", "SerialNumber", "Comment", "Title", "ModifyDate",
	"Creator", "Description", "Keywords", "City", "XMPToolkit", "ThumbnailImage"}

// ignoredGroups are exiftool family-1 groups that describe the file, not
// its metadata: they are always there.
var ignoredGroups = map[string]bool{"SourceFile": true, "System": true, "ExifTool": true, "File": true, "Composite": true}

// tool returns the path of a required command-line tool or fails the test.
func tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required (Debian package %s): %v", name, debianPackage, err)
	}
	return p
}

// run runs a command and returns its standard output.
func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// fixture reads a file of testdata.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// writeTemp writes data to a temporary file named name.
func writeTemp(t testing.TB, data []byte, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// strip runs Strip on data and fails the test on an error.
func strip(t testing.TB, data []byte, format string) ([]byte, Result) {
	t.Helper()
	var out bytes.Buffer
	res, err := Strip(&out, bytes.NewReader(data), format)
	if err != nil {
		t.Fatalf("Strip(%s) error = %v", format, err)
	}
	return out.Bytes(), res
}

// exiftoolTags returns the tags exiftool finds in the file at path, keyed
// "Group:Tag" with family-1 groups and numeric values.
func exiftoolTags(t testing.TB, path string) map[string]any {
	t.Helper()
	exiftool := tool(t, "exiftool", "libimage-exiftool-perl")
	out := run(t, exiftool, "-j", "-a", "-G1", "-n", path)
	var tags []map[string]any
	if err := json.Unmarshal(out, &tags); err != nil || len(tags) != 1 {
		t.Fatalf("exiftool output %q: %v", out, err)
	}
	return tags[0]
}

// metadataGroups returns the family-1 groups of tags, but ignoredGroups.
func metadataGroups(tags map[string]any) []string {
	seen := map[string]bool{}
	for key := range tags {
		group, _, _ := strings.Cut(key, ":")
		if !ignoredGroups[group] {
			seen[group] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// vipsPixels decodes the image at path (every frame of an animation) and
// returns its header line, without the file name, and its raw pixels.
func vipsPixels(t testing.TB, path string, animated bool) (header string, pixels []byte) {
	t.Helper()
	vips := tool(t, "vips", "libvips-tools")
	vipsheader := tool(t, "vipsheader", "libvips-tools")
	in := path
	if animated {
		in += "[n=-1]"
	}
	raw := filepath.Join(t.TempDir(), "pixels.raw")
	run(t, vips, "rawsave", in, raw)
	pixels, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, header, _ = strings.Cut(string(run(t, vipsheader, in)), ": ")
	return strings.TrimSpace(header), pixels
}
