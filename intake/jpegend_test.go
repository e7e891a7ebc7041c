package intake

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// ends runs b through a jpegEnd in chunks of size chunk.
func ends(b []byte, chunk int) (seen, lost bool) {
	j := &jpegEnd{r: &chunked{b, chunk}}
	io.Copy(io.Discard, j)
	return j.seen, j.lost
}

type chunked struct {
	b []byte
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

func TestJPEGEnd(t *testing.T) {
	for _, name := range []string{"photo.jpg", "progressive.jpg", "cmyk.jpg", "orient-6.jpg"} {
		b, err := os.ReadFile(filepath.Join("..", "imaging", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{1, 3, 4096} {
			if seen, lost := ends(b, chunk); !seen || lost {
				t.Errorf("%s in %d-byte reads: seen %v lost %v; want the end seen", name, chunk, seen, lost)
			}
			if seen, _ := ends(append(append([]byte{}, b...), "trailing data \xff\xd9"...), chunk); !seen {
				t.Errorf("%s with trailing data: end not seen", name)
			}
			for _, cut := range []int{len(b) - 1, len(b) - 2, len(b) * 3 / 4, len(b) / 2, 600} {
				if seen, lost := ends(b[:cut], chunk); seen || lost {
					t.Errorf("%s cut at %d of %d, %d-byte reads: seen %v lost %v; want neither", name, cut, len(b), chunk, seen, lost)
				}
			}
		}
	}
	// An end-of-image marker inside a segment (an embedded thumbnail, a
	// table) is not the image's end.
	thumb := []byte("\xff\xd8\xff\xe1\x00\x06\xff\xd8\xff\xd9\xff\xdb\x00\x04\x00\x00\xff\xda\x00\x02\x12\x34\xff\x00\x56")
	if seen, lost := ends(thumb, 1); seen || lost {
		t.Errorf("an end inside a segment counted: seen %v lost %v", seen, lost)
	}
	if seen, lost := ends(append(thumb, 0xff, 0xd9), 2); !seen || lost {
		t.Errorf("the real end after entropy data: seen %v lost %v", seen, lost)
	}
	// Not a JPEG structure it can follow: left to the decoder.
	if _, lost := ends(bytes.Repeat([]byte{0x12}, 10), 4); !lost {
		t.Error("garbage not reported lost")
	}
}

// FuzzJPEGEnd: no input panics, and the verdict does not depend on how
// the stream is cut into reads.
func FuzzJPEGEnd(f *testing.F) {
	for _, name := range []string{"photo.jpg", "progressive.jpg", "orient-6.jpg"} {
		b, err := os.ReadFile(filepath.Join("..", "imaging", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 4096)], 7)
	}
	f.Add([]byte{0xff, 0xd8, 0xff, 0xd9}, 1)
	f.Fuzz(func(t *testing.T, b []byte, chunk int) {
		chunk = 1 + abs(chunk)%64
		seen, lost := ends(b, len(b)+1)
		if s2, l2 := ends(b, chunk); s2 != seen || l2 != lost {
			t.Fatalf("in one read: seen %v lost %v; in reads of %d: %v %v", seen, lost, chunk, s2, l2)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
