package storage_test

import (
	"context"
	"strings"
	"testing"

	"picpipe/storage"
	"picpipe/storage/storagetest"
)

func TestLocalSuite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Env {
		st, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return storagetest.Env{Store: st}
	})
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		url     string
		wantErr string // "" for a Local
	}{
		{"file://" + dir, ""},
		{"file://localhost" + dir, ""},
		{"file://elsewhere" + dir, "want file:///absolute/dir"},
		{"file:relative", "want file:///absolute/dir"},
		{dir, "no back end for scheme"},
		{"", "no back end for scheme"},
		{"gs://user:hunter2@bucket", "no back end for scheme"},
		{"s3://user:hunter2@bucket%zz", "does not parse"},
	}
	for _, tt := range tests {
		st, err := storage.Open(context.Background(), tt.url)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("Open(%q) = %v; want a Local", tt.url, err)
		case tt.wantErr == "":
			if _, ok := st.(*storage.Local); !ok {
				t.Errorf("Open(%q) = %T; want *storage.Local", tt.url, st)
			}
		case err == nil || !strings.Contains(err.Error(), tt.wantErr):
			t.Errorf("Open(%q) = %v; want an error saying %q", tt.url, err, tt.wantErr)
		case strings.Contains(err.Error(), "hunter2"):
			t.Errorf("Open(%q) = %v: shows the password", tt.url, err)
		}
	}
}
