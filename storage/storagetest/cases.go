package storagetest

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"picpipe"
	"picpipe/storage"
)

func testPutOpen(t *testing.T, e Env) {
	from := time.Now()
	if n := put(t, e.Store, "a/b/c.webp", strings.NewReader("hello")); n != 5 {
		t.Fatalf("Put = %d; want 5", n)
	}
	to := time.Now()
	b, err := e.Store.Open(context.Background(), "a/b/c.webp")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Size() != 5 || !recent(b.ModTime(), from, to) {
		t.Fatalf("Size, ModTime = %d, %v; want 5, between %v and %v", b.Size(), b.ModTime(), from, to)
	}
	if got, err := io.ReadAll(b); err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v; want hello", got, err)
	}
	if n := put(t, e.Store, "empty", strings.NewReader("")); n != 0 {
		t.Fatalf("Put of nothing = %d; want 0", n)
	}
	if got := read(t, e.Store, "empty"); len(got) != 0 {
		t.Fatalf("read %d bytes of an empty blob", len(got))
	}
}

func testOverwrite(t *testing.T, e Env) {
	put(t, e.Store, "k", strings.NewReader("old"))
	put(t, e.Store, "k", strings.NewReader("new content"))
	if got := read(t, e.Store, "k"); string(got) != "new content" {
		t.Fatalf("after overwrite read %q; want new content", got)
	}
	wantKeys(t, e.Store, "", "k")
}

func testCheckedPut(t *testing.T, e Env) {
	ctx, st := context.Background(), e.Store
	accept := func([]byte) error { return nil }
	n, sum, err := storage.PutChecked(ctx, st, "c/ok", pattern(1, big), 2*big, 512, accept)
	if want := patternSum(1, big); err != nil || n != big || sum != hex.EncodeToString(want[:]) {
		t.Fatalf("PutChecked = %d, %s, %v; want %d bytes and their SHA-256", n, sum, err, big)
	}
	_, _, err = storage.PutChecked(ctx, st, "c/big", pattern(1, big), partway, 512, accept)
	if picpipe.ErrorCode(err) != picpipe.ECodeFileTooLarge {
		t.Fatalf("PutChecked over the limit = %v; want file_too_large", err)
	}
	refuse := errors.New("refused")
	_, _, err = storage.PutChecked(ctx, st, "c/refused", strings.NewReader("MZ......"), 100, 4,
		func([]byte) error { return refuse })
	if !errors.Is(err, refuse) {
		t.Fatalf("PutChecked refused by check = %v; want check's error", err)
	}
	wantMissing(t, st, "c/big")
	wantMissing(t, st, "c/refused")
	wantKeys(t, st, "c", "c/ok")
}

func testLargePut(t *testing.T, e Env) {
	for _, size := range []int64{twoParts, big} {
		key := fmt.Sprintf("large/%d", size)
		// struct{io.Reader} hides any WriterTo: a stream of unknown length.
		if n := put(t, e.Store, key, struct{ io.Reader }{pattern(2, size)}); n != size {
			t.Fatalf("Put(%d bytes) = %d", size, n)
		}
		if got, n := sum(t, e.Store, key); n != size || got != patternSum(2, size) {
			t.Fatalf("read back %d bytes of %d, or other bytes", n, size)
		}
	}
}

func testRange(t *testing.T, e Env) {
	put(t, e.Store, "r", pattern(3, big))
	b, err := e.Store.Open(context.Background(), "r")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	readAt := func(off int64, whence int, n int, want []byte) {
		t.Helper()
		if _, err := b.Seek(off, whence); err != nil {
			t.Fatalf("Seek(%d, %d) = %v", off, whence, err)
		}
		got := make([]byte, n)
		if m, err := io.ReadFull(b, got); err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && m == len(want)) {
			t.Fatalf("read after Seek(%d, %d) = %d, %v", off, whence, m, err)
		}
		if !bytes.Equal(got[:len(want)], want) {
			t.Fatalf("read after Seek(%d, %d): other bytes than the blob's", off, whence)
		}
	}
	readAt(5<<20+3, io.SeekStart, 100, patternBytes(3, 5<<20+3, 100))
	if pos, _ := b.Seek(0, io.SeekCurrent); pos != 5<<20+103 {
		t.Fatalf("position after reading 100 bytes = %d; want %d", pos, 5<<20+103)
	}
	readAt(-10, io.SeekEnd, 20, patternBytes(3, big-10, 10))
	readAt(0, io.SeekStart, 10, patternBytes(3, 0, 10))
	if ra, ok := b.(io.ReaderAt); ok {
		p := make([]byte, 100)
		if n, err := ra.ReadAt(p, big-40); n != 40 || err != io.EOF || !bytes.Equal(p[:40], patternBytes(3, big-40, 40)) {
			t.Fatalf("ReadAt across the end = %d, %v; want 40, EOF and the last 40 bytes", n, err)
		}
	}
	testServeRange(t, b)
}

// testServeRange serves b with a Range request, as the API does.
func testServeRange(t *testing.T, b storage.Blob) {
	req := httptest.NewRequest(http.MethodGet, "/r", nil)
	const from = 7 << 20
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, from+1023))
	rec := httptest.NewRecorder()
	http.ServeContent(rec, req, "r", b.ModTime(), b)
	want := patternBytes(3, from, 1024)
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("ServeContent with Range = %d, %d bytes; want 206 and the 1024 bytes asked for", rec.Code, rec.Body.Len())
	}
}

func testDelete(t *testing.T, e Env) {
	ctx := context.Background()
	put(t, e.Store, "d/k", strings.NewReader("x"))
	for i, key := range []string{"d/k", "d/k", "never/was"} {
		if err := e.Store.Delete(ctx, key); err != nil {
			t.Fatalf("Delete #%d (%s) = %v; want nil", i+1, key, err)
		}
	}
	wantMissing(t, e.Store, "d/k")
	wantKeys(t, e.Store, "")
}

func testList(t *testing.T, e Env) {
	from := time.Now()
	for _, k := range []string{"a/1", "a/2", "a/b/3", "ab/4", "c"} {
		put(t, e.Store, k, strings.NewReader(k))
	}
	to := time.Now()
	wantKeys(t, e.Store, "a", "a/1", "a/2", "a/b/3")
	wantKeys(t, e.Store, "a/", "a/1", "a/2", "a/b/3")
	wantKeys(t, e.Store, "a/b", "a/b/3")
	wantKeys(t, e.Store, "nothing")
	wantKeys(t, e.Store, "", "a/1", "a/2", "a/b/3", "ab/4", "c")
	stop, calls := errors.New("stop"), 0
	err := e.Store.List(context.Background(), "", func(k string, mod time.Time) error {
		calls++
		if !recent(mod, from, to) {
			t.Errorf("List gave %s modified %v; want between %v and %v", k, mod, from, to)
		}
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("List with fn failing = %v after %d calls; want fn's error after 1", err, calls)
	}
}

func testMissing(t *testing.T, e Env) {
	wantMissing(t, e.Store, "no/such/key")
	put(t, e.Store, "no/such/other", strings.NewReader("x"))
	wantMissing(t, e.Store, "no/such/key")
}

func testInvalidKey(t *testing.T, e Env) {
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "../x", "a/../../x", "a//b", "a/./b", "a\\b"} {
		_, perr := e.Store.Put(ctx, key, strings.NewReader("x"))
		_, oerr := e.Store.Open(ctx, key)
		derr := e.Store.Delete(ctx, key)
		for _, err := range []error{perr, oerr, derr} {
			if !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("key %q: Put, Open, Delete = %v, %v, %v; want ErrInvalidKey", key, perr, oerr, derr)
				break
			}
		}
	}
	wantKeys(t, e.Store, "")
}

// errBroken is the error of a broken upload stream.
var errBroken = errors.New("connection reset by client")

// after reads r, and once it has read n bytes calls fn and then fails
// with err when err is set.
type after struct {
	r    io.Reader
	n    int64
	fn   func()
	err  error
	read int64
	once sync.Once
}

func (a *after) Read(p []byte) (int, error) {
	if a.read >= a.n {
		a.once.Do(func() {
			if a.fn != nil {
				a.fn()
			}
		})
		if a.err != nil {
			return 0, a.err
		}
	}
	if a.read < a.n {
		p = p[:min(int64(len(p)), a.n-a.read)]
	}
	n, err := a.r.Read(p)
	a.read += int64(n)
	return n, err
}

func testFailedPut(t *testing.T, e Env) {
	ctx := context.Background()
	put(t, e.Store, "k/old", strings.NewReader("old"))
	for _, cut := range []int64{4, partway} {
		for _, key := range []string{"k/old", "k/new"} {
			_, err := e.Store.Put(ctx, key, &after{r: pattern(4, big), n: cut, err: errBroken})
			if !errors.Is(err, errBroken) || errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("Put(%s) of a stream broken after %d bytes = %v; want the stream's error, uncoded", key, cut, err)
			}
		}
	}
	if got := read(t, e.Store, "k/old"); string(got) != "old" {
		t.Fatalf("k/old after failed overwrites = %q; want old", got)
	}
	wantMissing(t, e.Store, "k/new")
	wantKeys(t, e.Store, "", "k/old")
}

func testCancelledPut(t *testing.T, e Env) {
	ctx, cancel := context.WithCancel(context.Background())
	_, err := e.Store.Put(ctx, "x/mid", &after{r: pattern(5, big), n: partway, fn: cancel})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put cancelled after %d bytes = %v; want context.Canceled", partway, err)
	}
	if _, err := e.Store.Put(ctx, "x/before", strings.NewReader("data")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context = %v; want context.Canceled", err)
	}
	wantMissing(t, e.Store, "x/mid")
	wantMissing(t, e.Store, "x/before")
	wantKeys(t, e.Store, "")
}

// testPutInProgress checks that readers see the old blob, whole, while
// a Put of a new one to the same key is part way.
func testPutInProgress(t *testing.T, e Env) {
	put(t, e.Store, "p/k", strings.NewReader("old"))
	reached, release := make(chan struct{}), make(chan struct{})
	r := &after{r: pattern(6, big), n: partway, fn: func() { close(reached); <-release }}
	done := make(chan error, 1)
	go func() { _, err := e.Store.Put(context.Background(), "p/k", r); done <- err }()
	<-reached
	time.Sleep(200 * time.Millisecond) // let a first part land
	if got := read(t, e.Store, "p/k"); string(got) != "old" {
		t.Errorf("p/k during a Put = %d bytes; want old", len(got))
	}
	if got := keys(t, e.Store, ""); len(got) != 1 || got[0] != "p/k" {
		t.Errorf("List during a Put = %q; want [p/k]", got)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, n := sum(t, e.Store, "p/k"); n != big || got != patternSum(6, big) {
		t.Fatalf("p/k after the Put = %d bytes; want the new %d", n, big)
	}
}

func testConcurrentPuts(t *testing.T, e Env) {
	sizes := [2]int64{partway, big}
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { _, errs[i] = e.Store.Put(context.Background(), "same", pattern(byte(10+i), sizes[i])) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got, n := sum(t, e.Store, "same")
		if got != patternSum(10, sizes[0]) && got != patternSum(11, sizes[1]) {
			t.Fatalf("round %d: after two concurrent Puts the blob (%d bytes) is neither one", round, n)
		}
	}
	wantKeys(t, e.Store, "", "same")
}
