package api

import (
	"errors"
	"fmt"
	"testing"

	"picpipe"
	"picpipe/db"
)

// TestStoreErrorsCoded: each store sentinel, however wrapped, has one
// code, with a status in the one table; coded errors and the server's own
// failures pass as they are.
func TestStoreErrorsCoded(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code string
	}{
		{db.ErrImageNotFound, picpipe.ECodeNotFound},
		{fmt.Errorf("get: %w", db.ErrFileNotFound), picpipe.ECodeNotFound},
		{db.ErrAPIKeyNotFound, picpipe.ECodeNotFound},
		{db.ErrGrantNotFound, picpipe.ECodeNotFound},
		{fmt.Errorf("tx: %w", db.ErrGrantSpent), picpipe.ECodeInvalidRequest},
		{fmt.Errorf("insert: %w", db.ErrQuotaExceeded), picpipe.ECodeQuotaExceeded},
		{db.ErrTooManyKeys, picpipe.ECodeQuotaExceeded},
		{db.ErrUnavailable, picpipe.ECodeUnavailable},
		{picpipe.ErrEmptyFile, picpipe.ECodeInvalidRequest},
		{errors.New("boom"), picpipe.ECodeInternal},
	} {
		got := coded(tt.err)
		if code := picpipe.ErrorCode(got); code != tt.code {
			t.Errorf("coded(%v) has code %s; want %s", tt.err, code, tt.code)
		}
		if _, ok := statusOf[picpipe.ErrorCode(got)]; !ok {
			t.Errorf("code %s has no status", picpipe.ErrorCode(got))
		}
	}
	for _, s := range storeErrors {
		if s.coded.Message == "" {
			t.Errorf("%v has no message", s.sentinel)
		}
	}
}
