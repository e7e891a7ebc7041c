package intake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"picpipe"
	"picpipe/imaging/sniff/snifftest"
	"picpipe/storage"
)

// multipartSeed builds a multipart body of files with boundary "B".
func multipartSeed(files map[string][]byte) []byte {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary("B")
	for name, content := range files {
		w, _ := mw.CreateFormFile("file", name)
		w.Write(content)
	}
	mw.WriteField("quality", "80")
	mw.Close()
	return b.Bytes()
}

// FuzzStageMultipart: any multipart body streams through the real Stager
// into a real storage.Local, each file part through the image gate or the
// file gate, and every part ends staged or refused with a client's code,
// with nothing left behind when refused. Seeded with the real images, a
// text file, an animation bomb and a cut body.
func FuzzStageMultipart(f *testing.F) {
	st, err := storage.NewLocal(memoryDir(f))
	if err != nil {
		f.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join("..", "imaging", "testdata", "*.*"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil || len(b) > 64<<10 {
			continue
		}
		f.Add(multipartSeed(map[string][]byte{filepath.Base(name): b}), true)
	}
	f.Add(multipartSeed(map[string][]byte{"a.md": []byte("# x\n<img src=x onerror=alert(1)>")}), false)
	f.Add(multipartSeed(map[string][]byte{"a.gif": snifftest.GIF(1200, 1, 1)}), true)
	cut := multipartSeed(map[string][]byte{"a.txt": []byte("hello"), "b.txt": []byte("world")})
	f.Add(cut[:len(cut)/2], false)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, body []byte, images bool) {
		mr := multipart.NewReader(bytes.NewReader(body), "B")
		for range 4 {
			p, err := mr.NextPart()
			if err != nil {
				return // the API answers a malformed body itself
			}
			if p.FileName() == "" {
				continue
			}
			var g Gate = &FileGate{}
			if images {
				g = NewImageGate(8000, 1e8)
			}
			key := fmt.Sprintf("staging/fuzz/%d", n.Add(1))
			_, err = Stager{Store: st}.Stage(context.Background(), p, key, 1<<20, g, p.FileName())
			switch code := picpipe.ErrorCode(err); {
			case code == picpipe.ECodeInternal:
				t.Fatalf("part %q: uncoded error %v", p.FileName(), err)
			case err != nil:
				if _, oerr := st.Open(context.Background(), key); !errors.Is(oerr, storage.ErrNotFound) {
					t.Fatalf("part %q refused (%v) but its key is there (%v)", p.FileName(), err, oerr)
				}
			default:
				st.Delete(context.Background(), key)
			}
			io.Copy(io.Discard, p)
		}
	})
}

// memoryDir returns a directory in memory (/dev/shm) where there is one,
// else on disk: a Local store syncs every file it writes, which costs
// milliseconds on disk and little in memory.
func memoryDir(f *testing.F) string {
	dir, err := os.MkdirTemp("/dev/shm", "picpipe-fuzz-")
	if err != nil {
		return f.TempDir()
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// FuzzCheckURL: a URL CheckURL accepts parses as http or https with a
// host and no credentials, within 2048 bytes; a refusal is
// invalid_request.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a.jpg", "http://127.1/", "ftp://x/", "https://u:p@h/",
		"http://[::1]:8080/x?y#z", "//no-scheme", "http://" + strings.Repeat("a", 2100), "https://ex\u202eample.com/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := CheckURL(raw)
		if err != nil {
			if picpipe.ErrorCode(err) != picpipe.ECodeInvalidRequest {
				t.Fatalf("CheckURL(%q) = %v; want invalid_request", raw, err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || len(raw) > 2048 {
			t.Fatalf("CheckURL accepted %q (%+v, %v)", raw, u, perr)
		}
	})
}
