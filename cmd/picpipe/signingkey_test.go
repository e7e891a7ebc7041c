package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"picpipe/storage"
	"picpipe/storage/s3store"
)

func TestSigningKey(t *testing.T) {
	local, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s3, err := s3store.New(s3store.Config{Bucket: "b", AccessKey: "a", SecretKey: "s", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	given := strings.Repeat("k", 32)
	tests := []struct {
		name, key, role string
		store           storage.Store
		want            string // "": a key made in the data directory; "-": none; "error"
	}{
		{"given", given, "api", local, given},
		{"too short", "short", "serve", local, "error"},
		{"serve makes one", "", "serve", local, ""},
		{"api on a local directory needs one", "", "api", local, "error"},
		{"api on S3 signs nothing", "", "api", s3, "-"},
	}
	for _, tt := range tests {
		c := config{DataDir: t.TempDir(), SigningKey: tt.key}
		got, err := c.signingKey(tt.role, tt.store)
		switch tt.want {
		case "error":
			if err == nil {
				t.Errorf("%s: %q; want an error", tt.name, got)
			}
		case "-":
			if err != nil || got != nil {
				t.Errorf("%s: %q, %v; want none", tt.name, got, err)
			}
		case "":
			kept, rerr := os.ReadFile(filepath.Join(c.DataDir, signingKeyFile))
			if err != nil || rerr != nil || len(got) != 64 || !bytes.Equal(bytes.TrimSpace(kept), got) {
				t.Errorf("%s: %q, %v; kept %q, %v; want a new key, kept", tt.name, got, err, kept, rerr)
			}
			fi, _ := os.Stat(filepath.Join(c.DataDir, signingKeyFile))
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: key file mode %v; want 0600", tt.name, fi.Mode().Perm())
			}
			if again, err := c.signingKey(tt.role, tt.store); err != nil || !bytes.Equal(again, got) {
				t.Errorf("%s: the next start read %q, %v; want the same key", tt.name, again, err)
			}
		default:
			if err != nil || string(got) != tt.want {
				t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
			}
		}
	}
}

// TestSigningKeyMadeOnce starts several serve processes at once on a
// fresh data directory, as a restart loop might: all end with one key.
func TestSigningKeyMadeOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", signingKeyFile)
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			var err error
			if keys[i], err = loadOrMakeKey(path); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatalf("keys differ: %q and %q", k, keys[0])
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("files in the data directory: %v; want the key alone", entries)
	}
}
