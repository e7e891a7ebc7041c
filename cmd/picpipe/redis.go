package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// privateRedis starts a redis-server for a single-machine picpipe serve:
// AOF on, data under dataDir/redis, listening only on a unix socket in
// that directory (mode 0700), or, when the socket's path would be too
// long, on a loopback port behind a password made for this start. It
// returns the server's URL (with the password) and a stop func that shuts
// it down cleanly.
func privateRedis(ctx context.Context, bin, dataDir string) (string, func(), error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "redis"))
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("redis: %w", err)
	}
	args := []string{"-", "--dir", dir, "--appendonly", "yes", "--save", "",
		"--maxmemory-policy", "noeviction", "--bind", "127.0.0.1", "--loglevel", "warning"}
	listen, url, conf, err := privateListener(dir)
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, append(args, listen...)...)
	// The password goes in on stdin, as configuration: never in the
	// command line, which every local user can read.
	cmd.Stdin = strings.NewReader(conf)
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
	slog.Info("private redis-server started", "listen", strings.Join(listen, " "), "dir", dir)
	return url, stop, nil
}

// privateListener is where the private redis-server listens: its
// arguments, its URL and the configuration it reads on stdin. A unix
// socket in dir when its path is short enough (the directory's mode keeps
// other users out); otherwise a free loopback port, which any local user
// could reach, so behind a random password.
func privateListener(dir string) (args []string, url, conf string, err error) {
	if sock := privateSocket(dir); len(sock) < 100 {
		return []string{"--port", "0", "--unixsocket", sock, "--unixsocketperm", "700"}, "unix://" + sock, "", nil
	}
	port, err := freePort()
	if err != nil {
		return nil, "", "", err
	}
	var pw [24]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return nil, "", "", err
	}
	secret := hex.EncodeToString(pw[:])
	return []string{"--port", fmt.Sprint(port)}, fmt.Sprintf("redis://:%s@127.0.0.1:%d/0", secret, port),
		"requirepass " + secret + "\n", nil
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
