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
// niced: a variant process whose every thread ran at nice 19 held
// SQLite's write lock through the long waits of a preempted nice-19
// thread, and the uploads' commits waited behind it.
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
