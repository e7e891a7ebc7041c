package worker

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"picpipe"
	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/storage"
)

// storeFile records a processing file holding data, as POST /v1/files
// leaves an image stored as it is.
func (f *fixture) storeFile(t *testing.T, name string, data []byte) *db.File {
	t.Helper()
	ctx := context.Background()
	file := &db.File{ID: db.NewID(db.PrefixFile), UserID: f.user.ID, Status: db.StatusProcessing,
		Name: name, MIME: "image/jpeg", Ext: ".jpg", Size: int64(len(data)), CreatedAt: 1, UpdatedAt: 1}
	file.StorageKey = "files/" + f.user.ID + "/" + file.ID
	if _, err := f.st.Put(ctx, file.StorageKey, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.InsertFile(ctx, file, db.Quota{}); err != nil {
		t.Fatal(err)
	}
	return file
}

func (f *fixture) clean(t *testing.T, id string) error {
	t.Helper()
	task, _ := jobs.NewFileCleanTask(id, false)
	return f.w.cleanFile(context.Background(), task)
}

// TestCleanFile: an image stored as it is loses its metadata (GPS, make,
// model, XMP, IPTC) losslessly before its link answers; its new size is
// what counts against the quota; the original goes.
func TestCleanFile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	photo, err := os.ReadFile("../imaging/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	file := f.storeFile(t, "photo.jpg", photo)
	if err := f.clean(t, file.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.d.FileForWork(ctx, file.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != db.StatusReady || got.StorageKey == file.StorageKey || got.Size >= file.Size || len(got.SHA256) != 64 {
		t.Fatalf("after clean: %+v; want ready under a new key, smaller, hashed", got)
	}
	if _, err := f.st.Open(ctx, file.StorageKey); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("original after clean: %v; want removed", err)
	}
	u, _ := f.d.UserByID(ctx, f.user.ID)
	if u.StorageBytes != got.Size {
		t.Fatalf("storage counted %d; want the clean size %d", u.StorageBytes, got.Size)
	}
	out := filepath.Join(t.TempDir(), "clean.jpg")
	b, _ := f.st.Open(ctx, got.StorageKey)
	w, _ := os.Create(out)
	w.ReadFrom(b)
	w.Close()
	b.Close()
	meta, err := exec.Command(testenv.Tool(t, "exiftool"), "-s", "-GPS:all", "-XMP:all", "-IPTC:all", "-Make", "-Model", out).CombinedOutput()
	if err != nil || strings.TrimSpace(string(meta)) != "" {
		t.Fatalf("clean copy carries metadata (err %v):\n%s", err, meta)
	}
	if err := f.clean(t, file.ID); err != nil {
		t.Fatalf("second delivery: %v", err)
	}
	if again, _ := f.d.FileForWork(ctx, file.ID); again.StorageKey != got.StorageKey {
		t.Fatalf("second delivery cleaned again: %s; want %s kept", again.StorageKey, got.StorageKey)
	}
}

// TestCleanBrokenImageFails: a file that claimed to be an image but is
// not a sound one ends failed, its task done, its bytes and quota given
// back.
func TestCleanBrokenImageFails(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	photo, err := os.ReadFile("../imaging/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	file := f.storeFile(t, "cut.jpg", photo[:len(photo)/3])
	if err := f.clean(t, file.ID); err != nil {
		t.Fatalf("task result %v; want nil: the client's bad file completes its task", err)
	}
	got, _ := f.d.FileForWork(ctx, file.ID)
	if got.Status != db.StatusFailed || got.ErrorCode != picpipe.ECodeDecodeFailed || got.Size != 0 {
		t.Fatalf("after clean: %s %q size %d; want failed decode_failed, nothing counted", got.Status, got.ErrorCode, got.Size)
	}
	u, _ := f.d.UserByID(ctx, f.user.ID)
	if u.StorageBytes != 0 {
		t.Fatalf("storage counted %d after the failure; want 0", u.StorageBytes)
	}
	if _, err := f.st.Open(ctx, file.StorageKey); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("bytes of the failed file: %v; want removed", err)
	}
}
