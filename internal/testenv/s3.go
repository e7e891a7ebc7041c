package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Server is an S3-compatible server (versitygw on a directory) that
// listens on 127.0.0.1 for one test. A test can kill it and start it
// again on the same address with the same data.
type S3Server struct {
	// Endpoint is its base URL, "http://127.0.0.1:PORT".
	Endpoint string
	// AccessKey and SecretKey are its root credentials.
	AccessKey, SecretKey string

	bin, data, meta, log string
	addr                 string
	cmd                  *exec.Cmd
	exited               chan struct{}
	buckets              int
}

// S3 starts an S3 server for the test and returns the store URL of a
// fresh bucket on it, "s3://KEY:SECRET@bucket?endpoint=http://127.0.0.1:PORT&region=us-east-1".
func S3(t testing.TB) string {
	t.Helper()
	return StartS3(t).Bucket(t)
}

// StartS3 starts an S3 server for the test, on a free port of
// 127.0.0.1 and a temporary directory, and stops it when the test ends.
// It fails the test when the server cannot be built or does not answer.
func StartS3(t testing.TB) *S3Server {
	t.Helper()
	s := &S3Server{bin: versitygw(t), AccessKey: "picpipe-test", SecretKey: "picpipe-test-secret"}
	dir := t.TempDir()
	s.data, s.log = filepath.Join(dir, "data"), filepath.Join(dir, "versitygw.log")
	if err := os.Mkdir(s.data, 0o755); err != nil {
		t.Fatal(err)
	}
	// The POSIX back end keeps metadata in xattrs; where the file system
	// has none (tmpfs before Linux 6.6), in a side directory.
	if err := syscall.Setxattr(s.data, "user.picpipe-test", []byte("1"), 0); err != nil {
		s.meta = filepath.Join(dir, "meta")
		if err := os.Mkdir(s.meta, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s.addr = freeAddr(t)
	s.Endpoint = "http://" + s.addr
	t.Cleanup(s.stop)
	s.start(t)
	return s
}

// Bucket creates a new bucket and returns its store URL.
func (s *S3Server) Bucket(t testing.TB) string {
	t.Helper()
	s.buckets++
	name := fmt.Sprintf("picpipe-test-%d", s.buckets)
	c, err := minio.New(s.addr, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MakeBucket(context.Background(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	u := url.URL{Scheme: "s3", User: url.UserPassword(s.AccessKey, s.SecretKey), Host: name,
		RawQuery: url.Values{"endpoint": {s.Endpoint}, "region": {"us-east-1"}}.Encode()}
	return u.String()
}

// LogPath is the file the server's output goes to, across restarts.
func (s *S3Server) LogPath() string { return s.log }

// Kill stops the server with SIGKILL, as a crash would, and waits until
// it is gone.
func (s *S3Server) Kill(t testing.TB) {
	t.Helper()
	if s.cmd == nil {
		t.Fatal("Kill: the S3 server is not running")
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Restart starts a killed server again on the same address and data.
func (s *S3Server) Restart(t testing.TB) {
	t.Helper()
	if s.cmd != nil {
		t.Fatal("Restart: the S3 server is running")
	}
	s.start(t)
}

// start runs the server and returns once it answers HTTP.
func (s *S3Server) start(t testing.TB) {
	t.Helper()
	log, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	args := []string{"--access", s.AccessKey, "--secret", s.SecretKey, "--port", s.addr, "--quiet", "posix"}
	if s.meta != "" {
		args = append(args, "--sidecar", s.meta)
	}
	cmd := exec.Command(s.bin, append(args, s.data)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	if err := s.waitReady(exited); err != nil {
		out, _ := os.ReadFile(s.log)
		t.Fatalf("versitygw on %s: %v\n%s", s.addr, err, out)
	}
}

// waitReady polls until the server answers HTTP (any status), exits,
// or 20 s pass.
func (s *S3Server) waitReady(exited <-chan struct{}) error {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := hc.Get(s.Endpoint)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before answering")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer in 20 s: %v", err)
		}
	}
}

func (s *S3Server) stop() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

// freeAddr returns a 127.0.0.1 address with a port free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
