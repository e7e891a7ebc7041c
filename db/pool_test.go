package db

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestPoolSize: pool_max_conns leaves the URL (PostgreSQL refuses it as a
// setting) and bounds the pool; a bad value is refused naming it, never
// the URL's password.
func TestPoolSize(t *testing.T) {
	for _, c := range []struct {
		dsn, want string
		max       int
	}{
		{"postgres://u:pw@h:5432/d?sslmode=disable", "postgres://u:pw@h:5432/d?sslmode=disable", DefaultMaxConns},
		{"postgres://u:pw@h:5432/d?pool_max_conns=3&sslmode=disable", "postgres://u:pw@h:5432/d?sslmode=disable", 3},
		{"postgresql://h/d?pool_max_conns=40", "postgresql://h/d", 40},
	} {
		got, max, err := poolSize(c.dsn)
		if err != nil || got != c.want || max != c.max {
			t.Errorf("poolSize(%q) = %q, %d, %v; want %q, %d", c.dsn, got, max, err, c.want, c.max)
		}
	}
	for _, dsn := range []string{"postgres://u:secret@h/d?pool_max_conns=0", "postgres://u:secret@h/d?pool_max_conns=many",
		"postgres://u:secret@h/d?pool_max_conns=", "postgres://u:secret@h:port/d"} {
		_, _, err := poolSize(dsn)
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("poolSize(%q): %v; want an error without the password", dsn, err)
		}
	}
}

// TestPoolMaxConns: the pool of a PostgreSQL database keeps to its URL's
// pool_max_conns, and the server accepts the URL without it.
func TestPoolMaxConns(t *testing.T) {
	admin := os.Getenv("PICPIPE_TEST_POSTGRES_URL")
	if admin == "" {
		t.Skip("PICPIPE_TEST_POSTGRES_URL not set (make test sets it)")
	}
	sep := "?"
	if strings.Contains(admin, "?") {
		sep = "&"
	}
	for dsn, want := range map[string]int{admin: DefaultMaxConns, admin + sep + "pool_max_conns=3": 3} {
		d, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got := d.bun.DB.Stats().MaxOpenConnections; got != want {
			t.Errorf("MaxOpenConnections = %d; want %d", got, want)
		}
		d.Close()
	}
}
