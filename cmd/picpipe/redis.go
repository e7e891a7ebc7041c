package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// privateRedis starts a redis-server for a single-machine picpipe serve:
// AOF on, data under dataDir/redis, listening only on a unix socket (or a
// loopback port when the socket path would be too long). It returns the
// server's URL and a stop func that shuts it down cleanly.
func privateRedis(ctx context.Context, bin, dataDir string) (string, func(), error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "redis"))
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("redis: %w", err)
	}
	args := []string{"--dir", dir, "--appendonly", "yes", "--save", "",
		"--maxmemory-policy", "noeviction", "--bind", "127.0.0.1", "--loglevel", "warning"}
	var url string
	if sock := privateSocket(dir); len(sock) < 100 {
		args = append(args, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700")
		url = "unix://" + sock
	} else {
		port, err := freePort()
		if err != nil {
			return "", nil, err
		}
		args = append(args, "--port", fmt.Sprint(port))
		url = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("redis: start %s (install redis-server, or set PICPIPE_REDIS_URL): %w", bin, err)
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	if err := waitRedis(ctx, url); err != nil {
		stop()
		return "", nil, err
	}
	slog.Info("private redis-server started", "url", url, "dir", dir)
	return url, stop, nil
}

func waitRedis(ctx context.Context, url string) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis: private server did not answer: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// privateSocket is where the private redis-server of serve listens, in
// its directory dir, when that path is short enough for a socket.
func privateSocket(dir string) string { return filepath.Join(dir, "redis.sock") }

// redisURLForTools is the Redis an operator command talks to:
// PICPIPE_REDIS_URL, or else the private redis-server of a picpipe serve
// running on the same data directory; "" when there is neither.
func (c config) redisURLForTools() string {
	if c.RedisURL != "" {
		return c.RedisURL
	}
	dir, err := filepath.Abs(filepath.Join(c.DataDir, "redis"))
	if err != nil {
		return ""
	}
	if sock := privateSocket(dir); len(sock) < 100 {
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix://" + sock
		}
	}
	return ""
}
