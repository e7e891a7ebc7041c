package chaos

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The suite's good images are imaging/testdata/photo.jpg (480×320) scaled
// up by the vips CLI to 8.6, 11.8 and 15.4 megapixels: each takes a worker
// a second or more, long enough to be interrupted mid-encode.
const testPhoto = "../imaging/testdata/photo.jpg"

var bigScales = []string{"7.5", "8.75", "10"}

var corpus struct {
	once sync.Once
	big  []string
	err  error
}

// bigJPEGs makes the big JPEGs once per test binary and returns their
// paths.
func bigJPEGs(t testing.TB) []string {
	t.Helper()
	dir := sharedDir(t)
	vips := tool(t, "vips")
	corpus.once.Do(func() {
		for _, scale := range bigScales {
			out := filepath.Join(dir, "big-"+scale+".jpg")
			cmd := exec.Command(vips, "resize", testPhoto, out+"[Q=92,strip]", scale)
			if b, err := cmd.CombinedOutput(); err != nil {
				corpus.err = fmt.Errorf("vips resize ×%s: %v\n%s", scale, err, b)
				return
			}
			corpus.big = append(corpus.big, out)
		}
	})
	if corpus.err != nil {
		t.Fatal(corpus.err)
	}
	return corpus.big
}

// distinct returns upload options that differ for every n, so that no
// upload of the same file by the same account is a dedup hit; the resize
// box is wider than any image of the corpus, so the work stays the same.
func distinct(n int) map[string]string {
	return map[string]string{"quality": fmt.Sprint(70 + n%25), "resize": fmt.Sprintf("%dx", 7999-n%2000)}
}

// poisonKinds are the corrupt files sent beside good ones, each made from
// a real test image; every file is different, so none is a dedup hit.
var poisonKinds = []struct {
	name string
	ext  string
	make func(r *rand.Rand) ([]byte, error)
}{
	{"garbage-scan", "jpg", garbageScan},   // scan data replaced by noise, EOI kept
	{"truncated-eoi", "jpg", truncatedEOI}, // cut in the scan, an EOI marker added
	{"truncated", "jpg", truncated},        // cut in the scan
	{"not-an-image", "jpg", noise},         // random bytes named .jpg
	{"png-bad-crc", "png", pngBadCRC},      // a PNG whose pixel data is damaged
}

// poisonFiles writes n corrupt files into dir, the kinds in turn, and
// returns their paths.
func poisonFiles(t testing.TB, dir string, n int) []string {
	t.Helper()
	var paths []string
	for i := range n {
		k := poisonKinds[i%len(poisonKinds)]
		b, err := k.make(rand.New(rand.NewPCG(uint64(i), 9)))
		if err != nil {
			t.Fatalf("poison %s: %v", k.name, err)
		}
		p := filepath.Join(dir, fmt.Sprintf("poison-%03d-%s.%s", i, k.name, k.ext))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// scanStart returns the offset of the first byte of a JPEG's entropy-
// coded data, after the first SOS segment.
func scanStart(b []byte) (int, error) {
	i := bytes.Index(b, []byte{0xff, 0xda})
	if i < 0 || i+4 > len(b) {
		return 0, fmt.Errorf("no SOS marker")
	}
	return i + 2 + (int(b[i+2])<<8 | int(b[i+3])), nil
}

func garbageScan(r *rand.Rand) ([]byte, error) {
	b, err := os.ReadFile(testPhoto)
	if err != nil {
		return nil, err
	}
	start, err := scanStart(b)
	if err != nil {
		return nil, err
	}
	from := start + r.IntN((len(b)-start)/4)
	for i := from; i < len(b)-2; i++ {
		b[i] = byte(r.IntN(0xff)) // never 0xFF: no stray markers
	}
	return b, nil
}

func truncatedEOI(r *rand.Rand) ([]byte, error) {
	b, err := truncated(r)
	return append(b, 0xff, 0xd9), err
}

func truncated(r *rand.Rand) ([]byte, error) {
	b, err := os.ReadFile(testPhoto)
	if err != nil {
		return nil, err
	}
	start, err := scanStart(b)
	if err != nil {
		return nil, err
	}
	return b[:start+(len(b)-start)*(30+r.IntN(40))/100], nil
}

func noise(r *rand.Rand) ([]byte, error) {
	b := make([]byte, 20000+r.IntN(20000))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b, nil
}

func pngBadCRC(r *rand.Rand) ([]byte, error) {
	b, err := os.ReadFile("../imaging/testdata/alpha.png")
	if err != nil {
		return nil, err
	}
	i := bytes.Index(b, []byte("IDAT"))
	if i < 4 {
		return nil, fmt.Errorf("no IDAT chunk")
	}
	n := int(b[i-4])<<24 | int(b[i-3])<<16 | int(b[i-2])<<8 | int(b[i-1])
	for k := 0; k < 16; k++ {
		b[i+4+r.IntN(n)] ^= byte(1 + r.IntN(255))
	}
	return b, nil
}
