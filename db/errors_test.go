package db_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picpipe"
	"picpipe/db"
	"picpipe/internal/testenv"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestOutagesAreCoded checks real drivers' errors: a database out of
// reach is ErrUnavailable (code unavailable), while a bad query stays an
// internal error.
func TestOutagesAreCoded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	tests := []struct {
		name string
		err  func() error
		want *picpipe.Error // nil: not coded
	}{
		{"postgres refusing connections", func() error {
			_, err := db.Open(ctx, "postgres://picpipe@"+closedPort(t)+"/picpipe?sslmode=disable")
			return err
		}, db.ErrUnavailable},
		{"sqlite that cannot open its file", func() error {
			_, err := db.Open(ctx, filepath.Join(dir)) // a directory, not a database file
			return err
		}, db.ErrUnavailable},
		{"a query about a missing table", func() error {
			return testenv.SQLite(t).Exec(ctx, "SELECT * FROM nowhere")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("no error")
			}
			switch {
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("err = %v (code %s); want %v", err, picpipe.ErrorCode(err), tt.want)
			case tt.want == nil && picpipe.ErrorCode(err) != picpipe.ECodeInternal:
				t.Fatalf("err = %v (code %s); want an internal error", err, picpipe.ErrorCode(err))
			}
			if msg := picpipe.ErrorMessage(err); strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, dir) {
				t.Fatalf("the client-facing message %q shows the driver's words", msg)
			}
		})
	}
}

// TestPostgresCutOff cuts a live pool off from PostgreSQL (a loopback
// proxy closes every connection and refuses new ones): queries fail
// with ErrUnavailable, and work again once the network is back.
func TestPostgresCutOff(t *testing.T) {
	d, proxy := testenv.PostgresBehindProxy(t)
	ctx := context.Background()
	if err := d.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	proxy.Cut()
	if err := d.Exec(ctx, "SELECT 1"); !errors.Is(err, db.ErrUnavailable) {
		t.Fatalf("a query cut off = %v; want ErrUnavailable", err)
	}
	if err := d.Ping(ctx); !errors.Is(err, db.ErrUnavailable) {
		t.Fatalf("Ping cut off = %v; want ErrUnavailable", err)
	}
	if err := d.RunInTx(ctx, func(tx *db.DB) error { return tx.Exec(ctx, "SELECT 1") }); !errors.Is(err, db.ErrUnavailable) {
		t.Fatalf("RunInTx cut off = %v; want ErrUnavailable", err)
	}
	proxy.Restore()
	if err := d.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatalf("a query once restored = %v", err)
	}
}
