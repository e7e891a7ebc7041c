package testenv

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"picpipe/db"
)

// PostgresURL creates a fresh, empty database on the server named by
// PICPIPE_TEST_POSTGRES_URL, drops it when the test ends, and returns its
// URL. Without that variable it skips the test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("PICPIPE_TEST_POSTGRES_URL")
	if admin == "" {
		t.Skip("PICPIPE_TEST_POSTGRES_URL not set (make test sets it)")
	}
	ctx := context.Background()
	adm, err := db.Open(ctx, admin)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer adm.Close()
	name := fmt.Sprintf("picpipe_test_%d", time.Now().UnixNano())
	if err := adm.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		adm, err := db.Open(ctx, admin)
		if err == nil {
			adm.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			adm.Close()
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
