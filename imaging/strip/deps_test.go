package strip

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestPureGo guards the package's promise: no cgo, no libvips, no bimg
// anywhere in its dependencies.
func TestPureGo(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}} {{.CgoFiles}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, cgoFiles, _ := strings.Cut(line, " ")
		if strings.Contains(path, "bimg") || path == "runtime/cgo" || path == "C" || cgoFiles != "[]" {
			t.Errorf("dependency %s (cgo files %s) breaks the pure-Go promise", path, cgoFiles)
		}
	}
}
