package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server on a free loopback port with its
// append-only file on: a restart finds what it had.
type redisServer struct {
	*proc
	url    string // redis://127.0.0.1:PORT/0
	client *redis.Client
}

// startRedis starts redis-server with its data and log in dir and stops
// it when the test ends.
func startRedis(t testing.TB, dir string) *redisServer {
	t.Helper()
	data := filepath.Join(dir, "redis")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	r := &redisServer{proc: &proc{
		name: "redis", path: tool(t, "redis-server"), log: filepath.Join(dir, "redis.log"),
		args: []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", data,
			"--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
			"--maxmemory-policy", "noeviction"},
	}}
	r.url = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	r.client = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	t.Cleanup(func() {
		r.client.Close()
		r.kill() // SIGKILL ends a stopped (SIGSTOP) process too
	})
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	if err := r.waitUp(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	return r
}

// waitUp waits until the server answers PING.
func (r *redisServer) waitUp(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := r.client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not answer within %v: %w", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// restart kills the server (SIGKILL: what the AOF is for), leaves it down
// for down, starts it again on the same port and data, and returns when
// it answers.
func (r *redisServer) restart(down time.Duration) error {
	r.kill()
	time.Sleep(down)
	if err := r.start(); err != nil {
		return err
	}
	return r.waitUp(30 * time.Second)
}

// flushAll removes every key of every database.
func (r *redisServer) flushAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.client.FlushAll(ctx).Err()
}

// hang stops the server with SIGSTOP: connections stay open, nothing
// answers. resume sends SIGCONT.
func (r *redisServer) hang() error   { return r.signal(syscall.SIGSTOP) }
func (r *redisServer) resume() error { return r.signal(syscall.SIGCONT) }
