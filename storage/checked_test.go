package storage

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"picpipe"
)

func TestPutChecked(t *testing.T) {
	ctx := context.Background()
	refuse := errors.New("refused")
	tests := []struct {
		name     string
		body     string
		limit    int64
		check    func([]byte) error
		wantCode string
		wantErr  error
	}{
		{"fits", "hello world", 11, nil, "", nil},
		{"one byte over", "hello world!", 11, nil, picpipe.ECodeFileTooLarge, nil},
		{"empty", "", 10, nil, picpipe.ECodeInvalidRequest, nil},
		{"refused by check", "MZ......", 100, func([]byte) error { return refuse }, "", refuse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := NewLocal(t.TempDir())
			var seen []byte
			check := func(h []byte) error {
				seen = append([]byte(nil), h...)
				if tt.check != nil {
					return tt.check(h)
				}
				return nil
			}
			n, sum, err := PutChecked(ctx, st, "k", strings.NewReader(tt.body), tt.limit, 4, check)
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v; want %v", err, tt.wantErr)
			case tt.wantCode != "" && picpipe.ErrorCode(err) != tt.wantCode:
				t.Fatalf("err = %v; want code %s", err, tt.wantCode)
			case tt.wantCode == "" && tt.wantErr == nil && (err != nil || n != int64(len(tt.body)) || len(sum) != 64):
				t.Fatalf("= %d, %q, %v; want %d bytes and a SHA-256", n, sum, err, len(tt.body))
			}
			if err == nil && !bytes.Equal(seen, []byte(tt.body[:4])) {
				t.Fatalf("check saw %q; want the first 4 bytes", seen)
			}
			var keys []string
			st.List(ctx, "", func(k string, _ time.Time) error { keys = append(keys, k); return nil })
			if (err == nil) != (len(keys) == 1) {
				t.Fatalf("keys after %v: %v", err, keys)
			}
		})
	}
}
