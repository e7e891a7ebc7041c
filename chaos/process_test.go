package chaos

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is one child process of the suite, started again after each stop
// or kill. Its output is appended to one log file across restarts, with a
// line from the suite marking every start and every signal, so the tail
// shows what the process did around each fault.
type proc struct {
	name string
	path string
	args []string
	env  []string // nil: the suite's own environment
	log  string   // path of the log file

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	err  error         // cmd.Wait's result, once done is closed
}

// start runs the process. It is an error to start a running process.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !closed(p.done) {
		return fmt.Errorf("%s: already running", p.name)
	}
	f, err := os.OpenFile(p.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.path, p.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	p.note("started, pid %d", cmd.Process.Pid)
	return nil
}

// note appends a line from the suite to the process's log.
func (p *proc) note(format string, args ...any) {
	f, err := os.OpenFile(p.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "=== chaos %s: %s ===\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// pid is the running process's id, or 0.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || closed(p.done) {
		return 0
	}
	return p.cmd.Process.Pid
}

// signal sends sig to the running process.
func (p *proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || closed(done) {
		return fmt.Errorf("%s: not running", p.name)
	}
	p.note("%s to pid %d", signalName(sig), cmd.Process.Pid)
	return cmd.Process.Signal(sig)
}

// wait waits up to timeout for the process to exit and returns its exit
// error; errTimeout when it still runs.
func (p *proc) wait(timeout time.Duration) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.err
	case <-time.After(timeout):
		return errTimeout
	}
}

var errTimeout = errors.New("still running")

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	if p.signal(syscall.SIGKILL) == nil {
		p.wait(time.Minute)
	}
}

// stop sends SIGTERM and waits up to timeout, then kills. It returns how
// long the process took to exit and whether it exited on its own.
func (p *proc) stop(timeout time.Duration) (time.Duration, bool) {
	start := time.Now()
	if p.signal(syscall.SIGTERM) != nil {
		return 0, true
	}
	if err := p.wait(timeout); !errors.Is(err, errTimeout) {
		return time.Since(start), true
	}
	p.kill()
	return time.Since(start), false
}

// tail returns the last n lines of the process's log.
func (p *proc) tail(n int) string { return tailFile(p.log, n) }

// tailFile returns the last n lines of the file at path.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// signalName names the signals the suite sends.
func signalName(sig syscall.Signal) string {
	names := map[syscall.Signal]string{syscall.SIGKILL: "SIGKILL", syscall.SIGTERM: "SIGTERM",
		syscall.SIGSTOP: "SIGSTOP", syscall.SIGCONT: "SIGCONT"}
	if n, ok := names[sig]; ok {
		return n
	}
	return sig.String()
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
