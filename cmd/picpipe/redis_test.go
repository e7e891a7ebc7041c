package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestPrivateRedisLongPath: when the data directory is too deep for a
// unix socket, the private redis-server listens on loopback behind a
// password of its own, which is in the URL it returns and in no process's
// command line.
func TestPrivateRedisLongPath(t *testing.T) {
	deep := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	url, stop, err := privateRedis(context.Background(), "redis-server", deep)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Network != "tcp" || !strings.HasPrefix(opt.Addr, "127.0.0.1:") || len(opt.Password) < 32 {
		t.Fatalf("network %s, addr %s, a %d-character password; want loopback TCP with a long password",
			opt.Network, opt.Addr, len(opt.Password))
	}
	ctx := context.Background()
	withURL := redis.NewClient(opt)
	defer withURL.Close()
	if err := withURL.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING with the URL: %v", err)
	}
	anon := redis.NewClient(&redis.Options{Addr: opt.Addr})
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("PING without the password = %v; want NOAUTH", err)
	}
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), opt.Password) {
			t.Fatalf("%s shows the password", f)
		}
	}
}

// TestPrivateRedisSocket: a data directory of ordinary depth gets a unix
// socket in it, kept from other users by the directory's mode.
func TestPrivateRedisSocket(t *testing.T) {
	dir := t.TempDir()
	url, stop, err := privateRedis(context.Background(), "redis-server", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if want := "unix://" + filepath.Join(dir, "redis", "redis.sock"); url != want {
		t.Fatalf("URL %s; want %s", url, want)
	}
	if fi, err := os.Stat(filepath.Join(dir, "redis")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the socket's directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
}
