package chaos

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// diskSize is the tmpfs the blobs live on in the disk-full scenario.
const diskSize = "128m"

// diskFull: the blob directory's file system kept full mid-batch (a file
// beside the blobs takes every byte that comes free) for full, while an
// upload is tried, then the file is removed. Recovery is measured from
// the removal. It needs a tmpfs mount; where the machine refuses one it
// is skipped with the reason.
func diskFull(batch int, full time.Duration) scenario {
	return scenario{name: "disk full (blobs on a " + diskSize + " tmpfs)", bound: 4 * time.Minute,
		blobs: tmpfsBlobs,
		inject: func(t *testing.T, r *run) {
			r.batch(batch)
			filler := filepath.Join(filepath.Dir(r.blobs), "filler")
			stop, filled := make(chan struct{}), make(chan error, 1)
			wait := during(func() { keepFull(filler, stop, filled) })
			if err := <-filled; err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			a := r.send(bigJPEGs(t)[0], sendOptions{async: true}, false)
			r.note("an upload with the disk full: %v", a)
			time.Sleep(full - time.Since(start))
			close(stop)
			wait()
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			r.faultEnd = time.Now()
		}}
}

// tmpfsBlobs mounts a small tmpfs for the test and returns a blob
// directory on it, or why it cannot.
func tmpfsBlobs(t *testing.T) (string, string) {
	mnt := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+diskSize+",mode=0755", "tmpfs", mnt).CombinedOutput()
	if err != nil {
		return "", fmt.Sprintf("cannot mount a tmpfs here (mount -t tmpfs: %v: %s)", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
		}
	})
	return filepath.Join(mnt, "blobs"), ""
}

// keepFull writes a file at path until its file system is full, says so
// on filled (or why it could not), and goes on taking every byte that
// comes free until stop is closed.
func keepFull(path string, stop <-chan struct{}, filled chan<- error) {
	f, err := os.Create(path)
	if err != nil {
		filled <- err
		return
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for first := true; ; first = false {
		var err error
		for err == nil {
			_, err = f.Write(buf)
		}
		if first && !errors.Is(err, syscall.ENOSPC) {
			filled <- err
			return
		}
		if first {
			filled <- nil
		}
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}
