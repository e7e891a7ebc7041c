package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"picpipe/internal/testenv"
)

// readmeBlock returns the ```sh block of README.md that contains marker.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if strings.Contains(m[1], marker) {
			found = append(found, m[1])
		}
	}
	if len(found) != 1 {
		t.Fatalf("README.md has %d sh blocks with %q; want one", len(found), marker)
	}
	return found[0]
}

// readmeShell runs README commands as a user pastes them, in bash, in
// dir, and returns what they print.
type readmeShell struct {
	t    *testing.T
	dir  string
	env  []string
	repl *strings.Replacer // the README's host and binary, for the test's
}

func (sh *readmeShell) run(script string) string {
	sh.t.Helper()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", sh.repl.Replace(script))
	cmd.Dir, cmd.Env = sh.dir, sh.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		sh.t.Fatalf("README commands failed: %v\n%s\nstdout: %s\nstderr: %s", err, sh.repl.Replace(script), out, stderr.String())
	}
	return string(out)
}

// TestREADMEExamples pastes the README's examples, as written, into bash
// against a real picpipe serve started the way make run starts it (in a
// directory of its own, state in ./data): the key from keys create, an
// upload, the asynchronous upload, the URL ingest (202 at once; its URL
// the one thing changed, to a local server), the presigned upload with
// the file's real size, and the plans exported to the CLI.
func TestREADMEExamples(t *testing.T) {
	testenv.Tool(t, "curl")
	bin, _ := picpipeCommands(t)
	dir := t.TempDir()
	photo, err := os.ReadFile("../../imaging/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"photo.jpg", "big.jpg"} {
		if err := os.WriteFile(filepath.Join(dir, name), photo, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer origin.Close()
	_, originPort, _ := net.SplitHostPort(origin.Listener.Addr().String())

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "PICPIPE_ADDR=127.0.0.1:" + port,
		"PICPIPE_LOG_LEVEL=warn", "PICPIPE_FETCH_ALLOW_CIDRS=127.0.0.0/8", "PICPIPE_FETCH_PORTS=" + originPort}
	startServe(t, bin, dir, env)
	sh := &readmeShell{t: t, dir: dir, env: env, repl: strings.NewReplacer(
		"localhost:8080", "localhost:"+port, "./bin/picpipe", bin,
		"https://example.com/photo.jpg", origin.URL+"/photo.jpg")}

	// Quick start: the key, then an upload with it.
	keyBlock := readmeBlock(t, "keys create --name me --quiet")
	key := strings.TrimSpace(sh.run(keyBlock))
	if !strings.HasPrefix(key, "pk_live_") || strings.Contains(key, "\n") {
		t.Fatalf("the README's key commands printed %q; want the key", key)
	}
	sh.env = append(sh.env, "KEY="+key)
	// The asynchronous upload first: the same photo again answers at once.
	out := sh.run(firstLine(readmeBlock(t, `-H "Prefer: respond-async" -F file=@photo.jpg`)))
	if !strings.Contains(out, " 202 Accepted") || !strings.Contains(strings.ToLower(out), "location: /v1/images/img_") {
		t.Fatalf("the README's async upload answered %s; want 202 with a Location", out)
	}
	var img struct{ Status, URL string }
	out = sh.run(firstLine(readmeBlock(t, `Bearer $KEY" -F file=@photo.jpg http://localhost:8080/v1/images`)))
	if json.Unmarshal([]byte(out), &img) != nil || img.Status != "ready" {
		t.Fatalf("the README's upload answered %s; want a ready image", out)
	}

	// URL ingest, as the text says: 202 at once with respond-async.
	urlBlock := readmeBlock(t, `"url": "https://example.com/photo.jpg"`)
	if out := sh.run(urlBlock); !strings.Contains(out, "HTTP/1.1 202 Accepted") {
		t.Fatalf("the README's URL ingest answered %s; want 202 Accepted", out)
	}

	// Presign with the real size, PUT, confirm.
	presign := readmeBlock(t, "/v1/uploads/presign")
	var grant struct {
		UploadURL  string `json:"upload_url"`
		StagingKey string `json:"staging_key"`
		MaxSize    int64  `json:"max_size"`
	}
	out = sh.run(presignCommand(t, presign))
	if err := json.Unmarshal([]byte(out), &grant); err != nil || grant.MaxSize != int64(len(photo)) {
		t.Fatalf("the README's presign answered %s; want a grant of the file's %d bytes", out, len(photo))
	}
	put := strings.NewReplacer("'http://localhost:8080/v1/uploads/upl_…?exp=…&sig=…'", "'"+grant.UploadURL+"'")
	sh.run(put.Replace(lineWith(t, presign, "curl -T big.jpg")))
	confirm := strings.NewReplacer("staging/usr_…/upl_…", grant.StagingKey).Replace(lastCommand(presign))
	if out := sh.run(confirm); !strings.Contains(out, `"status":"ready"`) {
		t.Fatalf("the README's confirmation answered %s; want a ready image", out)
	}

	// Plans, exported to the CLI (the server's restart left out).
	plans := readmeBlock(t, "export PICPIPE_PLANS=")
	plans = regexp.MustCompile(`(?m)^make run &.*\n`).ReplaceAllString(plans, "")
	if out := sh.run(plans); !strings.Contains(out, " plan team") {
		t.Fatalf("the README's plan commands printed %q; want the user moved to team", out)
	}
}

// serveProc is a running "picpipe serve".
type serveProc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited, with err
	err  error
	logs *testenv.SyncBuffer
}

// startServe starts picpipe serve in dir and waits until it is ready; it
// is killed when the test ends.
func startServe(t *testing.T, bin, dir string, env []string) *serveProc {
	t.Helper()
	p := &serveProc{cmd: exec.Command(bin, "serve"), done: make(chan struct{}), logs: new(testenv.SyncBuffer)}
	p.cmd.Dir, p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = dir, env, p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("serve logs:\n%s", p.logs.String())
		}
	})
	var addr string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PICPIPE_ADDR="); ok {
			addr = v
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready: %v\n%s", err, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// firstLine is the first command of a block.
func firstLine(block string) string {
	line, _, _ := strings.Cut(block, "\n")
	return line
}

// lineWith is the one line of block that contains s.
func lineWith(t *testing.T, block, s string) string {
	t.Helper()
	for _, line := range strings.Split(block, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	t.Fatalf("no line with %q in\n%s", s, block)
	return ""
}

// presignCommand is the first command of the presign block, with its
// continuation lines.
func presignCommand(t *testing.T, block string) string {
	t.Helper()
	var cmd []string
	for _, line := range strings.Split(block, "\n") {
		cmd = append(cmd, line)
		if !strings.HasSuffix(line, "\\") {
			return strings.Join(cmd, "\n")
		}
	}
	t.Fatalf("no command in\n%s", block)
	return ""
}

// lastCommand is the block's last command, with its continuation lines.
func lastCommand(block string) string {
	lines := strings.Split(strings.TrimRight(block, "\n"), "\n")
	i := len(lines) - 1
	for i > 0 && strings.HasSuffix(lines[i-1], "\\") {
		i--
	}
	return strings.Join(lines[i:], "\n")
}
