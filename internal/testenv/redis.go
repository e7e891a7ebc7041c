package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisProcess is a private redis-server a test can pause and resume.
type RedisProcess struct {
	// URL is its address, "unix:///…/redis.sock".
	URL string
	cmd *exec.Cmd
}

// StartRedis starts a redis-server listening on a unix socket in a
// temporary directory, stops it when the test ends, and returns it once
// it answers. It fails the test when redis-server is not installed.
func StartRedis(t testing.TB) *RedisProcess {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not installed (make test installs it): %v", err)
	}
	// Socket paths are limited to ~100 bytes: keep the directory short.
	dir, err := os.MkdirTemp("", "rds")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--dir", dir,
		"--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill() // SIGKILL ends a paused server too
		cmd.Wait()
		os.RemoveAll(dir)
	})
	p := &RedisProcess{URL: "unix://" + sock, cmd: cmd}
	opt, _ := redis.ParseURL(p.URL)
	c := redis.NewClient(opt)
	defer c.Close()
	for i := 0; ; i++ {
		if err := c.Ping(context.Background()).Err(); err == nil {
			return p
		} else if i == 200 {
			t.Fatalf("redis-server did not answer: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Pause stops the server with SIGSTOP: its socket still accepts
// connections, but nothing is answered (a hung Redis). The server is
// resumed when the test ends.
func (p *RedisProcess) Pause(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP redis-server: %v", err)
	}
	t.Cleanup(func() { p.cmd.Process.Signal(syscall.SIGCONT) })
}

// Resume continues a paused server with SIGCONT.
func (p *RedisProcess) Resume(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("SIGCONT redis-server: %v", err)
	}
}
