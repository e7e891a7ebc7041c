package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picpipe"
	"picpipe/internal/testenv"
)

// TestLocalPutCodesItsOwnFailures runs Put on a real file system that
// runs out of space (a 1 MiB tmpfs) and then turns read-only: the store's
// failures carry their code (storage_full, unavailable), a failing reader's
// error comes back as it is and uncoded, and nothing is left behind.
func TestLocalPutCodesItsOwnFailures(t *testing.T) {
	dir := testenv.Tmpfs(t, "1m")
	root := filepath.Join(dir, "blobs")
	st, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	big := strings.NewReader(strings.Repeat("x", 2<<20))
	_, err = st.Put(ctx, "a/big", big)
	if !errors.Is(err, ErrFull) || picpipe.ErrorCode(err) != picpipe.ECodeStorageFull {
		t.Fatalf("Put past the disk's size = %v (code %s); want ErrFull", err, picpipe.ErrorCode(err))
	}
	_, err = st.Put(ctx, "a/cut", io.MultiReader(strings.NewReader("data"), &failingReader{}))
	if !strings.Contains(fmt.Sprint(err), "connection reset") || picpipe.ErrorCode(err) != picpipe.ECodeInternal {
		t.Fatalf("Put from a failing reader = %v (code %s); want the reader's error, uncoded", err, picpipe.ErrorCode(err))
	}
	if n := filesUnder(t, root); n != 0 {
		t.Fatalf("%d files left after failed Puts; want none", n)
	}

	testenv.Remount(t, dir, "ro")
	_, err = st.Put(ctx, "b/small", strings.NewReader("hello"))
	if !errors.Is(err, ErrUnavailable) || picpipe.ErrorCode(err) != picpipe.ECodeUnavailable {
		t.Fatalf("Put on a read-only file system = %v (code %s); want ErrUnavailable", err, picpipe.ErrorCode(err))
	}
	if msg := picpipe.ErrorMessage(err); strings.Contains(msg, dir) || strings.Contains(msg, "read-only") {
		t.Fatalf("the client-facing message %q shows the server's path or errno", msg)
	}
}

// TestPutCheckedOnAFullDisk checks that PutChecked separates
// the two sides on a full disk: the store's failure comes back coded, a
// refused header still comes back as check's error.
func TestPutCheckedOnAFullDisk(t *testing.T) {
	dir := testenv.Tmpfs(t, "1m")
	st, err := NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Fill(t, dir, "filler")
	ctx := context.Background()
	_, _, err = PutChecked(ctx, st, "k", strings.NewReader("hello world"), 100, 4, func([]byte) error { return nil })
	if picpipe.ErrorCode(err) != picpipe.ECodeStorageFull {
		t.Fatalf("PutChecked on a full disk = %v; want storage_full", err)
	}
	refuse := picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "no")
	_, _, err = PutChecked(ctx, st, "k", strings.NewReader("hello world"), 100, 4, func([]byte) error { return refuse })
	if !errors.Is(err, refuse) {
		t.Fatalf("PutChecked refused by check on a full disk = %v; want check's error", err)
	}
}

func filesUnder(t *testing.T, root string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}
