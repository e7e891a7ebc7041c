package seeds_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"picpipe/internal/testenv"
)

// binDir holds the picpipe binary the tests build once.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "picpipe-seeds")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildErr  error
)

// picpipeBin builds cmd/picpipe once per test binary and returns its path.
func picpipeBin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "picpipe")
	buildOnce.Do(func() {
		out, err := exec.Command("go", "build", "-o", bin, "../cmd/picpipe").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/picpipe: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bin
}

// served is a running `picpipe serve` on a loopback port, with its own
// data directory (SQLite, blobs) and private redis-server.
type served struct {
	bin  string
	env  []string
	base string // http://127.0.0.1:PORT
}

// serve starts `picpipe serve` with extra PICPIPE_* settings, waits until
// it is ready and stops it when the test ends.
func serve(t *testing.T, extra ...string) *served {
	t.Helper()
	bin := picpipeBin(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := append(os.Environ(), "PICPIPE_DATA_DIR="+t.TempDir(), "PICPIPE_ADDR="+addr,
		"PICPIPE_REDIS_URL=", "PICPIPE_DATABASE_URL=", "PICPIPE_STORAGE_DIR=", "PICPIPE_STORAGE_URL=",
		"PICPIPE_PUBLIC_URL=", "PICPIPE_COMPAT_ROOT=", "PICPIPE_PLANS=", "PICPIPE_LOG_LEVEL=warn")
	env = append(env, extra...)
	var logs testenv.SyncBuffer
	cmd := exec.Command(bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &logs, &logs
	cmd.WaitDelay = 5 * time.Second // its redis-server child may hold the pipes a moment longer
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("picpipe serve logs:\n%s", logs.String())
		}
	})
	s := &served{bin: bin, env: env, base: "http://" + addr}
	s.waitReady(t, exited)
	return s
}

func (s *served) waitReady(t *testing.T, exited <-chan struct{}) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatal("picpipe serve exited before it was ready")
		default:
		}
		if res, err := http.Get(s.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("picpipe serve not ready after 30 s")
		}
	}
}

// command runs a picpipe operator command on the served data directory
// and returns its standard output.
func (s *served) command(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("picpipe %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// newUser creates a user on plan with a key (`picpipe keys create
// --json`) and returns the key and the user's id.
func (s *served) newUser(t *testing.T, name, plan string) (key, userID string) {
	t.Helper()
	out := s.command(t, "keys", "create", "--name", name, "--plan", plan, "--json")
	var k struct {
		Key    string `json:"key"`
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(out, &k); err != nil || k.Key == "" || k.UserID == "" {
		t.Fatalf("picpipe keys create --json printed %q (%v)", out, err)
	}
	return k.Key, k.UserID
}

// addAgent binds the Agent name to the user (`picpipe agents add`).
func (s *served) addAgent(t *testing.T, name, userID string) {
	t.Helper()
	s.command(t, "agents", "add", name, "--user", userID)
}

// get fetches url from the served picpipe, accepting accept ("" for any
// type), and returns its status, media type and body.
func get(t *testing.T, url, accept string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), b
}
