package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"picpipe/client"
)

// The client commands are tested as people run them: the built binary
// against a real `picpipe serve` (SQLite, local disk, its private
// redis-server) on loopback.

// cliBinary is picpipe, built once for the package's tests.
func cliBinary(t *testing.T) string {
	t.Helper()
	bin, _ := picpipeCommands(t)
	return bin
}

// apiServer is a running picpipe serve and a key of one of its users.
type apiServer struct {
	URL string
	Key string
}

// serveAPI starts picpipe serve on a loopback port with its own data
// directory, creates a user's key, and stops it when the test ends.
func serveAPI(t *testing.T) *apiServer {
	t.Helper()
	bin := cliBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := append(os.Environ(), "PICPIPE_DATA_DIR="+t.TempDir(), "PICPIPE_ADDR="+addr,
		"PICPIPE_REDIS_URL=", "PICPIPE_DATABASE_URL=", "PICPIPE_STORAGE_DIR=", "PICPIPE_STORAGE_URL=",
		"PICPIPE_PUBLIC_URL=", "PICPIPE_PLANS=", "PICPIPE_LOG_LEVEL=warn")
	var logs bytes.Buffer
	serve := exec.Command(bin, "serve")
	serve.Env, serve.Stdout, serve.Stderr = env, &logs, &logs
	serve.WaitDelay = 5 * time.Second
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		serve.Process.Signal(syscall.SIGTERM)
		serve.Wait()
		if t.Failed() {
			t.Logf("serve logs:\n%s", logs.String())
		}
	})
	waitReady(t, "http://"+addr+"/readyz")
	keys := exec.Command(bin, "keys", "create", "--name", "cli", "--json")
	keys.Env = env
	out, err := keys.Output()
	var k struct{ Key string }
	if err != nil || json.Unmarshal(out, &k) != nil || k.Key == "" {
		t.Fatalf("keys create = %q, %v", out, err)
	}
	return &apiServer{URL: "http://" + addr, Key: k.Key}
}

// cliRun is one run of the picpipe binary.
type cliRun struct {
	code           int
	stdout, stderr string
}

// runCLI runs picpipe with args and env (on top of a clean environment:
// no PICPIPE_* of the caller's, server settings that would fail if read,
// a fresh XDG_CONFIG_HOME unless env names one) and stdin.
func runCLI(t *testing.T, env []string, stdin string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(cliBinary(t), args...)
	cmd.Env = append(cleanEnv(), "XDG_CONFIG_HOME="+t.TempDir(),
		"PICPIPE_DATABASE_URL=postgres://nowhere.invalid/none", "PICPIPE_PLANS={not json")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("picpipe %v: %v", args, err)
	}
	return cliRun{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// cleanEnv is the environment without any PICPIPE_* variable.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PICPIPE_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return env
}

// writePNG writes a w×h PNG whose pixels depend on seed to path.
func writePNG(t *testing.T, path string, w, h, seed int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x + seed*40), uint8(y * 3), uint8(seed * 70), 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// photoDir makes a directory of three images, one file that says it is
// a JPEG and is not, and files a walk leaves out (another type, a hidden
// file).
func photoDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i, name := range []string{"a.png", "b.png", "sub/c.png"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		writePNG(t, filepath.Join(dir, name), 120+i*10, 90, i+1)
	}
	os.WriteFile(filepath.Join(dir, "fake.jpg"), []byte("this is not a JPEG at all\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("left out: not an image\n"), 0o644)
	writePNG(t, filepath.Join(dir, ".hidden.png"), 10, 10, 9)
	return dir
}

// jsonOutcomes parses upload --json's lines.
func jsonOutcomes(t *testing.T, stdout string) map[string]outcome {
	t.Helper()
	got := map[string]outcome{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var o outcome
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("--json line %q: %v", sc.Text(), err)
		}
		got[filepath.Base(o.Path)] = o
	}
	return got
}

func TestUploadDirectory(t *testing.T) {
	s := serveAPI(t)
	dir := photoDir(t)
	env := []string{"PICPIPE_URL=" + s.URL, "PICPIPE_KEY=" + s.Key}
	run := runCLI(t, env, "", "upload", "--json", "-j", "2", "--quality", "70", dir)
	if run.code != 1 {
		t.Fatalf("upload of a directory with a refused file: exit %d; want 1\nstdout: %s\nstderr: %s", run.code, run.stdout, run.stderr)
	}
	got := jsonOutcomes(t, run.stdout)
	if len(got) != 4 {
		t.Fatalf("%d JSON lines for %v; want 4 (3 images, fake.jpg; not notes.txt or .hidden.png)\n%s", len(got), keysOf(got), run.stdout)
	}
	c, err := client.New(s.URL, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.png", "b.png", "c.png"} {
		o := got[name]
		if !o.OK || o.Status != client.StatusReady || !strings.HasPrefix(o.ID, "img_") || o.URL == "" || o.Image == nil || o.Image.Quality != 70 {
			t.Errorf("%s: %+v; want ok, ready, an img_ id, a link, quality 70", name, o)
			continue
		}
		if img, err := c.GetImage(context.Background(), o.ID); err != nil || img.Status != client.StatusReady || img.URL != o.URL {
			t.Errorf("GET %s = %+v, %v; want it ready at %s", o.ID, img, err, o.URL)
		}
	}
	bad := got["fake.jpg"]
	if bad.OK || bad.Error == nil || bad.Error.Code != client.CodeUnsupportedFormat || bad.Error.Status != 400 || bad.ID != "" {
		t.Errorf("fake.jpg: %+v; want not ok, 400 unsupported_format", bad)
	}
	if last := lastLine(run.stderr); !strings.Contains(last, "1 of 4 failed") || !strings.Contains(last, "fake.jpg") {
		t.Errorf("last line %q; want it to name the failure, fake.jpg", last)
	}
}

func TestUploadTextAndFiles(t *testing.T) {
	s := serveAPI(t)
	env := []string{"PICPIPE_URL=" + s.URL, "PICPIPE_KEY=" + s.Key}
	photo := filepath.Join(t.TempDir(), "one.png")
	writePNG(t, photo, 64, 48, 7)
	run := runCLI(t, env, "", "upload", "--resize", "32x", photo)
	if run.code != 0 || !strings.HasPrefix(run.stdout, "ready   "+photo+"  "+s.URL+"/u/") || strings.Count(run.stdout, "\n") != 1 {
		t.Fatalf("upload one.png: exit %d, stdout %q; want 0 and one line: ready, its path, its link", run.code, run.stdout)
	}
	if !strings.Contains(run.stderr, "1 file uploaded") || strings.Contains(run.stdout, "\x1b[") {
		t.Errorf("stderr %q, stdout %q: want the summary, and no bars (stdout is not a terminal)", run.stderr, run.stdout)
	}

	async := runCLI(t, env, "", "upload", "--async", "--json", photo)
	o := jsonOutcomes(t, async.stdout)["one.png"]
	if async.code != 0 || !o.OK || o.Status == "" || o.ID == "" {
		t.Errorf("upload --async: exit %d, %+v; want 0 and the image accepted", async.code, o)
	}

	docs := t.TempDir()
	os.WriteFile(filepath.Join(docs, "report.pdf"), []byte("%PDF-1.4\n%%EOF\n"), 0o644)
	os.WriteFile(filepath.Join(docs, "data.csv"), []byte("a,b\n1,2\n"), 0o644)
	os.WriteFile(filepath.Join(docs, "tool.exe"), []byte("MZ\x90\x00"), 0o644) // not walked: /v1/files refuses .exe
	files := runCLI(t, env, "", "upload", "--files", "--expires-in", "72h", "--json", docs)
	got := jsonOutcomes(t, files.stdout)
	if files.code != 0 || len(got) != 2 {
		t.Fatalf("upload --files: exit %d, %d lines; want 0 and 2\n%s%s", files.code, len(got), files.stdout, files.stderr)
	}
	for name, o := range got {
		if !o.OK || o.File == nil || !strings.HasPrefix(o.ID, "file_") || o.File.ExpiresAt-o.File.CreatedAt != 72*3600 {
			t.Errorf("%s: %+v; want a file kept for 72 h", name, o)
		}
	}
}

func TestUploadUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"upload"}, 2, "at least one FILE or DIR"},
		{[]string{"upload", "--async", "--wait", "x.png"}, 2, "--wait and --async"},
		{[]string{"upload", "--expires-in", "1h", "x.png"}, 2, "add --files"},
		{[]string{"upload", "--quality", "101", "x.png"}, 2, "--quality 101"},
		{[]string{"upload", "x.png"}, 1, "set PICPIPE_KEY"},
		{[]string{"upload", "--help"}, 0, "picpipe upload FILE|DIR…"},
		{[]string{"login", "--help"}, 0, "config.json"},
	} {
		run := runCLI(t, nil, "", tc.args...)
		if run.code != tc.code || !strings.Contains(run.stdout+run.stderr, tc.want) {
			t.Errorf("picpipe %v: exit %d, %q; want %d and %q", tc.args, run.code, run.stdout+run.stderr, tc.code, tc.want)
		}
	}
}

func TestLoginThenUpload(t *testing.T) {
	s := serveAPI(t)
	cfgHome := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + cfgHome}
	bad := runCLI(t, env, "pk_live_"+strings.Repeat("0", 32)+"\n", "login", "--url", s.URL)
	path := filepath.Join(cfgHome, "picpipe", "config.json")
	if _, err := os.Stat(path); bad.code != 1 || !strings.Contains(bad.stderr, "unauthorized") || err == nil {
		t.Fatalf("login with an unknown key: exit %d, %q, file %v; want 1, unauthorized, no file", bad.code, bad.stderr, err)
	}

	run := runCLI(t, env, s.Key+"\n", "login", "--url", s.URL)
	if run.code != 0 || !strings.Contains(run.stdout, "Logged in to "+s.URL) {
		t.Fatalf("login: exit %d, %q %q", run.code, run.stdout, run.stderr)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file %s: %v, %v; want mode 0600", path, fi, err)
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("config directory: %v, %v; want mode 0700", di, err)
	}
	cfg, err := readClientConfig(path)
	if err != nil || cfg.URL != s.URL || cfg.Key != s.Key {
		t.Fatalf("config file holds %+v, %v; want the URL and key", cfg, err)
	}

	photo := filepath.Join(t.TempDir(), "after-login.png")
	writePNG(t, photo, 50, 50, 8)
	up := runCLI(t, env, "", "upload", "--json", photo) // no PICPIPE_URL, no PICPIPE_KEY
	if o := jsonOutcomes(t, up.stdout)["after-login.png"]; up.code != 0 || !o.OK || o.Status != client.StatusReady {
		t.Fatalf("upload after login: exit %d, %+v, %s", up.code, o, up.stderr)
	}
	// PICPIPE_KEY takes precedence over the file.
	over := runCLI(t, append(env, "PICPIPE_KEY=pk_live_"+strings.Repeat("1", 32)), "", "upload", "--json", photo)
	if o := jsonOutcomes(t, over.stdout)["after-login.png"]; over.code != 1 || o.Error == nil || o.Error.Code != client.CodeUnauthorized {
		t.Errorf("upload with PICPIPE_KEY set to an unknown key: exit %d, %+v; want 1, unauthorized", over.code, o)
	}
}

func TestUploadBarsOnATerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give picpipe a terminal")
	}
	s := serveAPI(t)
	dir := photoDir(t)
	os.Remove(filepath.Join(dir, "fake.jpg"))
	cmdline := fmt.Sprintf("stty cols 120 rows 40; %s upload -j 2 %s", cliBinary(t), dir)
	cmd := exec.Command(script, "-qec", cmdline, "/dev/null")
	cmd.Env = append(cleanEnv(), "PICPIPE_URL="+s.URL, "PICPIPE_KEY="+s.Key, "XDG_CONFIG_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("picpipe upload on a terminal: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"total", "3/3 files", "a.png", "b.png", "c.png", "ready", s.URL + "/u/", "3 files uploaded"} {
		if !strings.Contains(text, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, text)
		}
	}
}

func keysOf(m map[string]outcome) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
