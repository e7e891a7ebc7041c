package worker

import (
	"runtime"
	"syscall"
)

// niced runs f on an OS thread of its own at the CPU priority nice and
// ends the thread with it. Linux keeps a nice value per thread, and an
// unprivileged thread can never raise its own again, so the thread is
// not handed back to the Go runtime; the threads the work starts
// (libvips's, libaom's) take the value from it. Only the encoding runs
// niced: in a variant process whose every thread ran at nice 19, a
// thread preempted while it held SQLite's write lock could keep the
// uploads' commits waiting until the busy cores let it run again.
func niced[T any](nice int, f func() (T, error)) (T, error) {
	if nice == 0 {
		return f()
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		var r result
		if r.err = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice); r.err == nil {
			r.v, r.err = f()
		}
		done <- r
	}()
	r := <-done
	return r.v, r.err
}
