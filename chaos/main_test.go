package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// shared is a directory for what the whole test binary builds once: the
// picpipe binary and the image corpus. TestMain removes it.
var shared struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.pg != nil {
		os.RemoveAll(template.pg.dir)
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// sharedDir returns the directory of things built once per test binary.
func sharedDir(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.dir, shared.err = os.MkdirTemp("", "picpipe-chaos-") })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.dir
}

var binary struct {
	once sync.Once
	path string
	err  error
}

// picpipeBinary builds ./cmd/picpipe once per test binary with `go build`
// and returns its path.
func picpipeBinary(t testing.TB) string {
	t.Helper()
	dir := sharedDir(t)
	binary.once.Do(func() {
		binary.path = filepath.Join(dir, "picpipe")
		out, err := exec.Command("go", "build", "-o", binary.path, "../cmd/picpipe").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build ./cmd/picpipe: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// tool returns the path of an installed program, failing the test when
// it is missing.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not installed (make test installs it): %v", name, err)
	}
	return p
}
