package testenv

import (
	"io"
	"net"
	"testing"
)

// namer accepts connections on a loopback port and writes name to each.
func namer(t *testing.T, name string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, name)
			c.Close()
		}
	}()
	return ln
}

// via connects through the proxy and returns what the target wrote.
func via(t *testing.T, p *TCPProxy) string {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ := io.ReadAll(c)
	return string(b)
}

// TestProxyRoundRobin: connections go to the targets in turn, and one
// whose process is gone (its port refuses) is passed over.
func TestProxyRoundRobin(t *testing.T) {
	a, b := namer(t, "a"), namer(t, "b")
	p := StartProxy(t, a.Addr().String(), b.Addr().String())
	var got string
	for range 4 {
		got += via(t, p)
	}
	if got != "abab" {
		t.Errorf("four connections went to %q; want abab", got)
	}
	a.Close()
	got = ""
	for range 3 {
		got += via(t, p)
	}
	if got != "bbb" {
		t.Errorf("with a gone, three connections went to %q; want bbb", got)
	}
	b.Close()
	if got := via(t, p); got != "" {
		t.Errorf("with both gone, a connection read %q; want it closed at once", got)
	}
}
