package testenv

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"picpipe/db"
)

// TCPProxy forwards loopback TCP connections to a target and can cut
// them all at once: a real network fault between a client and a server.
// Given several targets it is a round-robin load balancer: each new
// connection goes to the next target, and a target that refuses the
// connection (its process is down) is passed over for the one after it,
// as a TCP load balancer retries a failed connect.
type TCPProxy struct {
	// Addr is where it listens, "127.0.0.1:port".
	Addr    string
	targets []string
	ln      net.Listener

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
	next  int // the target the next connection tries first
}

// StartProxy listens on a loopback port and forwards every connection to
// target — or, given more targets, to each in turn — until the test ends.
func StartProxy(t testing.TB, target string, more ...string) *TCPProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &TCPProxy{Addr: ln.Addr().String(), targets: append([]string{target}, more...), ln: ln, conns: map[net.Conn]bool{}}
	done := make(chan struct{})
	go func() { defer close(done); p.accept() }()
	t.Cleanup(func() {
		ln.Close()
		<-done
		p.Cut()
	})
	return p
}

func (p *TCPProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close() // cut: refused as soon as connected
			continue
		}
		go p.forward(c)
	}
}

// track records c, or reports false while the proxy is cut.
func (p *TCPProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *TCPProxy) forward(c net.Conn) {
	s, err := p.dial()
	if err != nil || !p.track(s) {
		c.Close()
		if s != nil {
			s.Close()
		}
		return
	}
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// dial connects to the next target in turn, passing over those that
// refuse, and returns the last error when none answers.
func (p *TCPProxy) dial() (net.Conn, error) {
	p.mu.Lock()
	first := p.next
	p.next = (p.next + 1) % len(p.targets)
	p.mu.Unlock()
	var err error
	for i := range p.targets {
		var s net.Conn
		if s, err = net.DialTimeout("tcp", p.targets[(first+i)%len(p.targets)], 5*time.Second); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// Cut closes every forwarded connection and closes each new one as soon
// as it is accepted, until Restore.
func (p *TCPProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore forwards new connections again.
func (p *TCPProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// PostgresBehindProxy creates a fresh database like Postgres, and opens
// and migrates it through a TCPProxy, returned to cut the database off.
func PostgresBehindProxy(t testing.TB) (*db.DB, *TCPProxy) {
	t.Helper()
	u, err := url.Parse(PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := StartProxy(t, u.Host)
	u.Host = p.Addr
	return open(t, u.String()), p
}
