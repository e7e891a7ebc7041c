// Package storagetest is the test suite every storage.Store passes: the
// same cases run against each back end, the local directory and S3.
//
//	func TestSuite(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storagetest.Env {
//			st, _ := storage.NewLocal(t.TempDir())
//			return storagetest.Env{Store: st}
//		})
//	}
package storagetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"picpipe/storage"
)

// Env is one case's store, new and empty.
type Env struct {
	Store storage.Store
	// Stop kills the server behind Store, as a crash would, and Start
	// starts it again with its data. Both are nil for a store with no
	// server, and the outage cases are skipped.
	Stop, Start func(t testing.TB)
}

// The sizes of the large cases, in bytes. Back ends that upload in
// parts should be set to parts of 5 MiB, so that these take two full
// parts and a short one, exactly two parts, and a dozen parts.
const (
	big      = 11<<20 + 1
	twoParts = 10 << 20
	huge     = 60 << 20
	// partway is where the cases that break a write break it: after the
	// first part.
	partway = 6 << 20
)

// Run runs every case as a subtest, each on a new Env from open.
func Run(t *testing.T, open func(t *testing.T) Env) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, e Env)
}{
	{"put and open", testPutOpen},
	{"overwrite", testOverwrite},
	{"checked put", testCheckedPut},
	{"large put", testLargePut},
	{"range", testRange},
	{"delete", testDelete},
	{"list", testList},
	{"missing key", testMissing},
	{"invalid key", testInvalidKey},
	{"failed put leaves nothing", testFailedPut},
	{"cancelled put leaves nothing", testCancelledPut},
	{"put in progress is invisible", testPutInProgress},
	{"concurrent puts of one key", testConcurrentPuts},
	{"server killed during put", testOutagePut},
	{"server killed during read", testOutageRead},
}

// pattern is n bytes that differ by seed and offset, so that a range
// read from the wrong place or a blob from the wrong write shows.
func pattern(seed byte, n int64) io.Reader {
	return &patternReader{seed: seed, n: n}
}

type patternReader struct {
	seed   byte
	off, n int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		b[i] = at(p.seed, p.off+int64(i))
	}
	p.off += int64(len(b))
	return len(b), nil
}

// at is the byte of pattern(seed, …) at off.
func at(seed byte, off int64) byte { return byte(off*131+off>>11) ^ seed }

func patternBytes(seed byte, off, n int64) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = at(seed, off+int64(i))
	}
	return b
}

func patternSum(seed byte, n int64) [32]byte {
	h := sha256.New()
	io.Copy(h, pattern(seed, n))
	return [32]byte(h.Sum(nil))
}

// put stores r under key and fails the test on error.
func put(t *testing.T, st storage.Store, key string, r io.Reader) int64 {
	t.Helper()
	n, err := st.Put(context.Background(), key, r)
	if err != nil {
		t.Fatalf("Put(%s) = %v", key, err)
	}
	return n
}

// read returns the whole blob under key.
func read(t *testing.T, st storage.Store, key string) []byte {
	t.Helper()
	b, err := st.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s) = %v", key, err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if int64(len(got)) != b.Size() {
		t.Fatalf("read %d bytes of %s; Size() = %d", len(got), key, b.Size())
	}
	return got
}

// sum returns the SHA-256 of the whole blob under key and its length.
func sum(t *testing.T, st storage.Store, key string) ([32]byte, int64) {
	t.Helper()
	b, err := st.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s) = %v", key, err)
	}
	defer b.Close()
	h := sha256.New()
	n, err := io.Copy(h, b)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return [32]byte(h.Sum(nil)), n
}

// keys lists prefix, sorted.
func keys(t *testing.T, st storage.Store, prefix string) []string {
	t.Helper()
	var ks []string
	err := st.List(context.Background(), prefix, func(k string, _ time.Time) error {
		ks = append(ks, k)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q) = %v", prefix, err)
	}
	slices.Sort(ks)
	return ks
}

func wantKeys(t *testing.T, st storage.Store, prefix string, want ...string) {
	t.Helper()
	if got := keys(t, st, prefix); !slices.Equal(got, want) {
		t.Fatalf("List(%q) = %q; want %q", prefix, got, want)
	}
}

func wantMissing(t *testing.T, st storage.Store, key string) {
	t.Helper()
	b, err := st.Open(context.Background(), key)
	if err == nil {
		b.Close()
	}
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Open(%s) = %v; want ErrNotFound", key, err)
	}
}

// recent reports whether mod is the time of a write between from and
// to, allowing for stores that keep whole seconds.
func recent(mod, from, to time.Time) bool {
	return !mod.Before(from.Truncate(time.Second).Add(-time.Second)) && !mod.After(to.Add(time.Second))
}
