package worker

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// activityChildEnv makes the test binary the child process of
// TestSharedActivityAcrossProcesses (see TestMain).
const activityChildEnv = "PICPIPE_TEST_ACTIVITY_CHILD"

// childEnded is the end the child records.
var childEnded = time.Unix(1700000000, 123456789)

func TestMain(m *testing.M) {
	if os.Getenv(activityChildEnv) != "" {
		os.Exit(activityChild())
	}
	os.Exit(m.Run())
}

// activityChild opens the Activity of its file 3, as a variant process
// does, and changes it: two tasks begun, one ended at childEnded.
func activityChild() int {
	a, err := OpenActivity(os.NewFile(3, "activity"))
	if err != nil {
		return 2
	}
	a.begin()
	a.begin()
	a.end(childEnded)
	return 0
}

// TestSharedActivityAcrossProcesses: what a child process does to the
// Activity it opens from the file it inherits is what its parent reads,
// and the other way round.
func TestSharedActivityAcrossProcesses(t *testing.T) {
	a, err := NewSharedActivity()
	if err != nil {
		t.Fatal(err)
	}
	a.begin() // before the child opens it: the child sees it
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), activityChildEnv+"=1")
	cmd.ExtraFiles = []*os.File{a.File()}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v %s", err, out)
	}
	if n := a.running(); n != 2 {
		t.Errorf("running = %d after 1 begun here and 2 begun and 1 ended in the child; want 2", n)
	}
	if got := a.idleSince(); !got.Equal(childEnded) {
		t.Errorf("idleSince = %v; want the child's end %v", got, childEnded)
	}
	if private := newActivity(); private.File() != nil || !private.idleSince().IsZero() {
		t.Errorf("a private Activity has file %v and idleSince %v; want none and zero", private.File(), private.idleSince())
	}
}
