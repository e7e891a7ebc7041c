package storagetest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"picpipe"
	"picpipe/storage"
)

// wantUnavailable checks that err is the store's own failure, coded
// unavailable, and that its client-facing message shows nothing of the
// server.
func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, storage.ErrUnavailable) || picpipe.ErrorCode(err) != picpipe.ECodeUnavailable {
		t.Fatalf("%s with the server down = %v (code %s); want ErrUnavailable", what, err, picpipe.ErrorCode(err))
	}
	if msg := picpipe.ErrorMessage(err); strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "connection") {
		t.Fatalf("%s: the client-facing message %q shows the server", what, msg)
	}
}

// testOutagePut kills the server while a large Put is part way: the Put
// fails unavailable, so does every operation until the server is back,
// and then the key holds its old blob, whole.
func testOutagePut(t *testing.T, e Env) {
	if e.Stop == nil {
		t.Skip("no server behind this store")
	}
	ctx, st := context.Background(), e.Store
	put(t, st, "o/k", strings.NewReader("old"))
	_, err := st.Put(ctx, "o/k", &after{r: pattern(7, big), n: partway, fn: func() { e.Stop(t) }})
	wantUnavailable(t, "a Put cut by the crash", err)
	_, err = st.Put(ctx, "o/new", strings.NewReader("x"))
	wantUnavailable(t, "Put", err)
	_, err = st.Open(ctx, "o/k")
	wantUnavailable(t, "Open", err)
	wantUnavailable(t, "Delete", st.Delete(ctx, "o/k"))
	wantUnavailable(t, "List", st.List(ctx, "", func(string, time.Time) error { return nil }))

	e.Start(t)
	if got := read(t, st, "o/k"); string(got) != "old" {
		t.Fatalf("o/k after the crash = %d bytes; want old", len(got))
	}
	wantMissing(t, st, "o/new")
	wantKeys(t, st, "", "o/k")
	if lc, ok := st.(storage.LeftoverCollector); ok {
		n, err := lc.RemoveLeftovers(ctx, time.Now().Add(time.Minute))
		t.Logf("RemoveLeftovers after the crash: %d, %v", n, err)
		if n, err := lc.RemoveLeftovers(ctx, time.Now().Add(time.Minute)); err != nil || n != 0 {
			t.Fatalf("RemoveLeftovers again = %d, %v; want 0, nil", n, err)
		}
	}
}

// testOutageRead kills the server while a blob is read: the read fails
// unavailable, and the blob is whole once the server is back.
func testOutageRead(t *testing.T, e Env) {
	if e.Stop == nil {
		t.Skip("no server behind this store")
	}
	ctx, st := context.Background(), e.Store
	put(t, st, "r/huge", pattern(8, huge))
	b, err := st.Open(ctx, "r/huge")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := io.ReadFull(b, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	e.Stop(t)
	// More than the sockets' buffers can hold is left to read.
	_, err = io.Copy(io.Discard, b)
	wantUnavailable(t, "reading on", err)
	if _, err := b.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	_, err = b.Read(make([]byte, 10))
	wantUnavailable(t, "a read after Seek", err)
	if ra, ok := b.(io.ReaderAt); ok {
		_, err = ra.ReadAt(make([]byte, 10), 100)
		wantUnavailable(t, "ReadAt", err)
	}

	e.Start(t)
	if got, n := sum(t, st, "r/huge"); n != huge || got != patternSum(8, huge) {
		t.Fatalf("r/huge after the crash: %d bytes of %d, or other bytes", n, huge)
	}
}
