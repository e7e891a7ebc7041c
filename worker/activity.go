package worker

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Activity is what the variant gate knows of an image pool: how many
// tasks it runs and when its last one ended. The image pool's middleware
// keeps it; the gate reads it. A worker keeps one of its own, unless a
// shared one comes in Deps: NewSharedActivity makes one that a variant
// process of the worker opens (OpenActivity) from the file it inherits,
// so that its variants give way to the uploads of its parent's image
// pool as they would in one process.
type Activity struct {
	c    *activityCounters
	file *os.File // the shared memory, for a child process; nil when private
}

// activityCounters is the memory of an Activity, in this process or
// mapped into two.
type activityCounters struct {
	running atomic.Int64 // tasks the image pool runs now
	ended   atomic.Int64 // Unix nanoseconds: the end of its last task
}

const activitySize = int(unsafe.Sizeof(activityCounters{}))

func newActivity() *Activity { return &Activity{c: new(activityCounters)} }

// NewSharedActivity returns an Activity in shared memory; File is the
// file a child process opens it from.
func NewSharedActivity() (*Activity, error) {
	fd, err := unix.MemfdCreate("picpipe-image-activity", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("worker: image pool activity: %w", err)
	}
	f := os.NewFile(uintptr(fd), "picpipe-image-activity")
	if err := f.Truncate(int64(activitySize)); err != nil {
		f.Close()
		return nil, fmt.Errorf("worker: image pool activity: %w", err)
	}
	a, err := OpenActivity(f)
	if err != nil {
		f.Close()
	}
	return a, err
}

// OpenActivity maps the shared Activity of f, the File of a
// NewSharedActivity (in this process or the one that started it). The
// mapping lasts as long as the process.
func OpenActivity(f *os.File) (*Activity, error) {
	mem, err := unix.Mmap(int(f.Fd()), 0, activitySize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("worker: image pool activity: %w", err)
	}
	return &Activity{c: (*activityCounters)(unsafe.Pointer(&mem[0])), file: f}, nil
}

// File is the file of a shared Activity, to hand to a child process
// (exec.Cmd.ExtraFiles); nil for a private one.
func (a *Activity) File() *os.File { return a.file }

// begin counts a task the image pool starts; end counts it done.
func (a *Activity) begin() { a.c.running.Add(1) }

func (a *Activity) end(now time.Time) {
	a.c.ended.Store(now.UnixNano())
	a.c.running.Add(-1)
}

// running is how many tasks the image pool runs now.
func (a *Activity) running() int64 { return a.c.running.Load() }

// idleSince is when the image pool's last task ended; the zero Time if
// none has yet.
func (a *Activity) idleSince() time.Time {
	if n := a.c.ended.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}
