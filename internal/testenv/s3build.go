package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The S3-compatible server the tests run: versitygw, an S3 gateway, on
// its POSIX back end (objects are files in a directory), built from the
// Go module proxy at this exact version.
const (
	versitygwPkg     = "github.com/versity/versitygw/cmd/versitygw"
	versitygwVersion = "v1.8.0"
)

var versitygwBuild struct {
	once sync.Once
	bin  string
	err  error
}

// versitygw returns the path of the versitygw binary, building it the
// first time on this machine (about a minute, cold) into a directory of
// the Go build cache, where later runs find it. It fails the test when
// the build fails.
func versitygw(t testing.TB) string {
	t.Helper()
	b := &versitygwBuild
	b.once.Do(func() { b.bin, b.err = buildVersitygw() })
	if b.err != nil {
		t.Fatalf("build versitygw %s from the Go module proxy (needs the proxy or a filled module cache): %v",
			versitygwVersion, b.err)
	}
	return b.bin
}

// buildVersitygw builds versitygw into GOCACHE/picpipe-testenv unless it
// is there. Test binaries of several packages run at once: a file lock
// lets one build while the others wait for it.
func buildVersitygw() (string, error) {
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOCACHE: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "picpipe-testenv")
	bin := filepath.Join(dir, "versitygw-"+versitygwVersion)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "versitygw.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close() // releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built by another package's tests meanwhile
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", "-trimpath", "-ldflags=-s -w", versitygwPkg+"@"+versitygwVersion)
	cmd.Dir = tmp // outside any module: the version alone decides
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return bin, os.Rename(filepath.Join(tmp, "versitygw"), bin)
}
