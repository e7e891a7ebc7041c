package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picpipe/internal/testenv"
)

// TestREADMEEventsAndIdempotency pastes the README's examples of the
// status stream and of Idempotency-Key, as written, into bash against a
// real picpipe serve: the stream follows an upload to its end, and the
// key replays the upload once and refuses another under it.
func TestREADMEEventsAndIdempotency(t *testing.T) {
	testenv.Tool(t, "curl")
	bin, _ := picpipeCommands(t)
	dir := t.TempDir()
	photo, err := os.ReadFile("../../imaging/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "photo.jpg"), photo, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "PICPIPE_ADDR=127.0.0.1:" + port, "PICPIPE_LOG_LEVEL=warn"}
	startServe(t, bin, dir, env)
	sh := &readmeShell{t: t, dir: dir, env: env, repl: strings.NewReplacer("localhost:8080", "localhost:"+port, "./bin/picpipe", bin)}
	key := strings.TrimSpace(sh.run(readmeBlock(t, "keys create --name me --quiet")))
	sh.env = append(sh.env, "KEY="+key)

	out := sh.run(readmeBlock(t, "/v1/images/$ID/events"))
	events := strings.Split(strings.TrimSpace(out), "\n\n")
	if len(events) < 3 || !strings.HasPrefix(events[0], "retry: ") || !strings.Contains(events[1], "event: status") {
		t.Fatalf("the README's stream printed %q; want retry, then status events", out)
	}
	last := events[len(events)-1]
	if !strings.HasPrefix(last, "id: ready.avif-ready") && !strings.HasPrefix(last, "id: ready.avif-skipped") {
		t.Fatalf("the README's stream ended with %q; want the image ready with its AVIF final", last)
	}

	out = strings.ReplaceAll(sh.run(readmeBlock(t, "Idempotency-Key: $IK")), "\r\n", "\n")
	for _, want := range []string{"HTTP/1.1 201 Created\nHTTP/1.1 201 Created\n", "Idempotent-Replayed: true", `"code":"idempotency_key_reused"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("the README's Idempotency-Key commands printed %q; want %q", out, want)
		}
	}
}
