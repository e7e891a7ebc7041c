// Package testenv starts the real servers integration tests run against: a
// private redis-server per test, and a fresh database per test on SQLite
// and, when PICPIPE_TEST_POSTGRES_URL names a server, on PostgreSQL.
//
//	func TestX(t *testing.T) {
//		testenv.ForEachDB(t, func(t *testing.T, d *db.DB) { … })
//	}
package testenv

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"picpipe/db"
)

// Redis starts a redis-server listening on a unix socket in a temporary
// directory, stops it when the test ends, and returns its address as a
// redis URL ("unix:///…/redis.sock"). It fails the test when redis-server is
// not installed.
func Redis(t testing.TB) string {
	t.Helper()
	return StartRedis(t).URL
}

// SQLite opens a migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "picpipe.db"))
}

// Postgres creates a fresh database on the server named by
// PICPIPE_TEST_POSTGRES_URL, migrates it and drops it when the test ends.
// Without that variable it skips the test.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	return open(t, PostgresURL(t))
}

func open(t testing.TB, dsn string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// ForEachDB runs fn as a subtest on SQLite and on PostgreSQL.
func ForEachDB(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// Tool returns the path of the named program, failing the test when it is
// not installed.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not installed (make test installs it): %v", name, err)
	}
	return p
}
