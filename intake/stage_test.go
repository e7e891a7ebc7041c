package intake

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"picpipe"
	"picpipe/storage"
)

func newStager(t *testing.T) (Stager, *storage.Local) {
	t.Helper()
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return Stager{Store: st}, st
}

// blobs lists every key in st.
func blobs(t *testing.T, st storage.Store) []string {
	t.Helper()
	var keys []string
	st.List(context.Background(), "", func(k string, _ time.Time) error { keys = append(keys, k); return nil })
	return keys
}

func TestStage(t *testing.T) {
	png, err := os.ReadFile("../imaging/testdata/alpha.png")
	if err != nil {
		t.Fatal(err)
	}
	jpeg, err := os.ReadFile("../imaging/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		body     []byte
		filename string
		limit    int64
		readErr  error
		code     string
	}{
		{"png", png, "a.png", 1 << 20, nil, ""},
		{"jpeg", jpeg, "a.jpg", 1 << 20, nil, ""},
		{"extension disagrees", png, "a.jpg", 1 << 20, nil, picpipe.ECodeUnsupportedFormat},
		{"not an image", []byte("just some text, no image here"), "a.png", 1 << 20, nil, picpipe.ECodeUnsupportedFormat},
		{"over the limit", png, "a.png", int64(len(png) - 1), nil, picpipe.ECodeFileTooLarge},
		{"jpeg cut short", jpeg[:len(jpeg)/2], "a.jpg", 1 << 20, nil, picpipe.ECodeDecodeFailed},
		{"empty", nil, "a.png", 1 << 20, nil, picpipe.ECodeInvalidRequest},
		{"client's read fails", png, "a.png", 1 << 20, errors.New("connection reset"), picpipe.ECodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st := newStager(t)
			var r = strings.NewReader(string(tt.body))
			var body interface{ Read([]byte) (int, error) } = r
			if tt.readErr != nil {
				body = iotest.ErrReader(tt.readErr)
				if len(tt.body) > 0 {
					body = &failAfter{r: r, n: len(tt.body) / 2, err: tt.readErr}
				}
			}
			got, err := s.Stage(context.Background(), body, "staging/u/x", tt.limit, NewImageGate(8000, 1e8), tt.filename)
			if tt.code != "" {
				if picpipe.ErrorCode(err) != tt.code {
					t.Fatalf("Stage = %+v, %v; want %s", got, err, tt.code)
				}
				if keys := blobs(t, st); len(keys) != 0 {
					t.Fatalf("refused upload left %v", keys)
				}
				return
			}
			if err != nil || got.Size != int64(len(tt.body)) || len(got.SHA256) != 64 || got.MIME == "" {
				t.Fatalf("Stage = %+v, %v; want %d bytes hashed and typed", got, err, len(tt.body))
			}
		})
	}
}

type failAfter struct {
	r   *strings.Reader
	n   int
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}
