package main

import (
	"path/filepath"
	"strings"
	"testing"

	"picpipe/internal/testenv"
)

// TestOperatorToolsOverSentinel: with PICPIPE_REDIS_URL naming a master
// under Redis Sentinel (a real master, replica and three sentinels),
// picpipe healthcheck --deps reaches the master through the sentinels and
// picpipe check --repair runs; the master's wrong password fails the
// health check, and a sentinel URL without the master's name is refused
// naming PICPIPE_REDIS_URL.
func TestOperatorToolsOverSentinel(t *testing.T) {
	dir := isolate(t)
	t.Setenv("PICPIPE_LOG_FORMAT", "text")
	sen := testenv.StartSentinel(t)
	t.Setenv("PICPIPE_DATABASE_URL", "sqlite://"+filepath.Join(dir, "picpipe.db"))
	t.Setenv("PICPIPE_REDIS_URL", sen.URL)
	if _, errOut, err := execute(t, "migrate"); err != nil {
		t.Fatalf("migrate: %v %s", err, errOut)
	}
	if _, errOut, err := execute(t, "healthcheck", "--deps"); err != nil {
		t.Fatalf("healthcheck --deps over Sentinel: %v %s", err, errOut)
	}
	if out, errOut, err := execute(t, "check", "--repair"); err != nil {
		t.Fatalf("check --repair over Sentinel: %v\n%s%s", err, out, errOut)
	}

	t.Setenv("PICPIPE_REDIS_URL", strings.Replace(sen.URL, "password=", "password=wrong", 1))
	if _, _, err := execute(t, "healthcheck", "--deps"); err == nil || !strings.Contains(err.Error(), "redis") {
		t.Errorf("healthcheck --deps with the master's password wrong = %v; want a redis error", err)
	}
	t.Setenv("PICPIPE_REDIS_URL", strings.Split(sen.URL, "?")[0])
	if _, _, err := execute(t, "healthcheck", "--deps"); err == nil || !strings.Contains(err.Error(), "PICPIPE_REDIS_URL") ||
		!strings.Contains(err.Error(), "master") {
		t.Errorf("healthcheck --deps without ?master= = %v; want PICPIPE_REDIS_URL and the missing master named", err)
	}
}
