package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestServeEndToEnd runs the real binary the way `make run` does: serve
// with its private redis-server on SQLite and local disk, a key from
// `keys create`, an upload that comes back 201 with a working link, and a
// clean stop on SIGTERM.
func TestServeEndToEnd(t *testing.T) {
	sv := serveWithKey(t)
	bin, env, addr, k := sv.bin, sv.env, sv.addr, sv.key

	health := exec.Command(bin, "healthcheck")
	health.Env = env
	if out, err := health.CombinedOutput(); err != nil {
		t.Fatalf("healthcheck of a running serve: %v %s", err, out)
	}

	res := upload(t, "http://"+addr+"/v1/images", k.Key, "../../imaging/testdata/photo.jpg")
	if res.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("upload = %d %s; want 201", res.StatusCode, b)
	}
	var img struct{ URL string }
	json.NewDecoder(res.Body).Decode(&img)
	link, err := http.Get(img.URL)
	if err != nil || link.StatusCode != 200 || link.Header.Get("Content-Type") != "image/webp" {
		t.Fatalf("GET %s = %v %v", img.URL, link, err)
	}
	link.Body.Close()

	for _, step := range []struct {
		args []string
		want int
	}{{[]string{"users", "suspend", k.UserID}, 403}, {[]string{"users", "activate", k.UserID}, 200}} {
		cmd := exec.Command(bin, step.args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", step.args, err, out)
		}
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/usage", nil)
		req.Header.Set("Authorization", "Bearer "+k.Key)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != step.want {
			t.Fatalf("after %v: GET /v1/usage = %v, %v; want %d", step.args, res.StatusCode, err, step.want)
		}
		res.Body.Close()
	}

	list := exec.Command(bin, "keys", "list")
	list.Env = env
	if out, err := list.Output(); err != nil || !bytes.Contains(out, []byte(k.KeyID)) {
		t.Fatalf("keys list = %q, %v; want it to show %s", out, err, k.KeyID)
	}
	revoke := exec.Command(bin, "keys", "revoke", k.KeyID)
	revoke.Env = env
	if out, err := revoke.CombinedOutput(); err != nil {
		t.Fatalf("keys revoke: %v %s", err, out)
	}
	if res := upload(t, "http://"+addr+"/v1/images", k.Key, "../../imaging/testdata/photo.jpg"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("upload with a revoked key = %d; want 401", res.StatusCode)
	}

	sv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-sv.done:
		if sv.err != nil {
			t.Fatalf("serve exited with %v after SIGTERM", sv.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
	health = exec.Command(bin, "healthcheck")
	health.Env = env
	if err := health.Run(); err == nil {
		t.Fatal("healthcheck passed with serve stopped")
	}
	if _, err := os.Stat(filepath.Join(sv.dir, "data", "redis", "appendonlydir")); err != nil {
		t.Fatalf("private redis kept no AOF under the data dir: %v", err)
	}
}

// served is a running "picpipe serve" of serveWithKey and an API key of
// its own.
type served struct {
	*serveProc
	bin, addr, dir string
	env            []string
	key            struct {
		Key    string
		KeyID  string `json:"key_id"`
		UserID string `json:"user_id"`
	}
}

// serveWithKey runs the real binary the way `make run` does, with the
// variables extra on top (NAME=VALUE), and makes a key with `keys
// create`.
func serveWithKey(t *testing.T, extra ...string) *served {
	t.Helper()
	sv := &served{dir: t.TempDir()}
	sv.bin, _ = picpipeCommands(t) // built once for the package's tests
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	sv.addr = l.Addr().String()
	l.Close()
	sv.env = append(os.Environ(), "PICPIPE_DATA_DIR="+filepath.Join(sv.dir, "data"), "PICPIPE_ADDR="+sv.addr,
		"PICPIPE_REDIS_URL=", "PICPIPE_DATABASE_URL=", "PICPIPE_STORAGE_DIR=", "PICPIPE_STORAGE_URL=")
	sv.env = append(sv.env, extra...)
	sv.serveProc = startServe(t, sv.bin, sv.dir, sv.env)
	keys := exec.Command(sv.bin, "keys", "create", "--name", "e2e", "--json")
	keys.Env = sv.env
	out, err := keys.Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	if err := json.Unmarshal(out, &sv.key); err != nil || sv.key.Key == "" {
		t.Fatalf("keys create printed %q", out)
	}
	return sv
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func upload(t *testing.T, url, key, file string) *http.Response {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", filepath.Base(file))
	fw.Write(b)
	mw.Close()
	req, _ := http.NewRequest("POST", url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", fmt.Sprintf("Bearer %s", key))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}
