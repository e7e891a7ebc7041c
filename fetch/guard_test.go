package fetch

import (
	"net/netip"
	"testing"

	"picpipe"
)

func TestCheckHost(t *testing.T) {
	tests := []struct {
		host string
		ok   bool
	}{
		{"example.com", true},
		{"example.com.", true},
		{"cdn-1.example.co.uk", true},
		{"1e100.net", true},
		{"xn--bcher-kva.example", true},
		{"93.184.216.34", true},
		{"127.0.0.1", true}, // canonical: left to the dial-time check
		{"2001:db8::1", true},
		{"::1", true},
		{"", false},
		{"127.1", false},
		{"127.0.1", false},
		{"2130706433", false},
		{"0x7f000001", false},
		{"0X7F000001", false},
		{"0x7f.0.0.1", false},
		{"0177.0.0.1", false},
		{"127.0.0.1.", false},
		{"1.2.3.4.5", false},
		{"example.123", false},
		{"example.0x1f", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:7f00:1", false},
		{"fe80::1%eth0", false},
		{"not:an:address", false},
	}
	for _, tt := range tests {
		err := checkHost(tt.host)
		if got := err == nil; got != tt.ok {
			t.Errorf("checkHost(%q) = %v, want ok %v", tt.host, err, tt.ok)
		}
		if err != nil && picpipe.ErrorCode(err) != picpipe.ECodeFetchFailed {
			t.Errorf("checkHost(%q) code = %s, want fetch_failed", tt.host, picpipe.ErrorCode(err))
		}
	}
}

// TestDialControl checks the policy applied to every dialled address, the
// one that catches DNS answers and redirects whatever their spelling.
func TestDialControl(t *testing.T) {
	def := newGuard(Config{}.withDefaults())
	allowLoopback := newGuard(Config{AllowPrefixes: loopback}.withDefaults())
	allowNAT64 := newGuard(Config{AllowPrefixes: []netip.Prefix{
		netip.MustParsePrefix("64:ff9b::/96"),
	}}.withDefaults())
	tests := []struct {
		name    string
		g       *guard
		network string
		address string
		ok      bool
	}{
		{"public v4", def, "tcp4", "93.184.216.34:443", true},
		{"public v6", def, "tcp6", "[2606:2800:220:1::1]:80", true},
		{"port not allowed", def, "tcp4", "93.184.216.34:8080", false},
		{"udp", def, "udp4", "93.184.216.34:443", false},
		{"unparsable", def, "tcp4", "example.com:80", false},
		{"loopback", def, "tcp4", "127.0.0.1:80", false},
		{"loopback other", def, "tcp4", "127.8.9.10:80", false},
		{"rfc1918 10", def, "tcp4", "10.0.0.1:80", false},
		{"rfc1918 172", def, "tcp4", "172.31.255.255:80", false},
		{"rfc1918 192", def, "tcp4", "192.168.0.1:80", false},
		{"metadata", def, "tcp4", "169.254.169.254:80", false},
		{"cgnat", def, "tcp4", "100.64.0.1:80", false},
		{"this network", def, "tcp4", "0.0.0.0:80", false},
		{"multicast", def, "tcp4", "239.1.2.3:80", false},
		{"broadcast", def, "tcp4", "255.255.255.255:80", false},
		{"benchmark", def, "tcp4", "198.18.0.1:80", false},
		{"v6 loopback", def, "tcp6", "[::1]:80", false},
		{"v6 unspecified", def, "tcp6", "[::]:80", false},
		{"v6 link-local", def, "tcp6", "[fe80::1]:80", false},
		{"v6 link-local zoned", def, "tcp6", "[fe80::1%eth0]:80", false},
		{"v6 ula", def, "tcp6", "[fd00::2]:80", false},
		{"v6 multicast", def, "tcp6", "[ff02::1]:80", false},
		{"v4-mapped loopback", def, "tcp6", "[::ffff:127.0.0.1]:80", false},
		{"v4-mapped metadata", def, "tcp6", "[::ffff:169.254.169.254]:80", false},
		{"v4-mapped public", def, "tcp6", "[::ffff:93.184.216.34]:80", true},
		{"v4-compatible", def, "tcp6", "[::127.0.0.1]:80", false},
		{"nat64", def, "tcp6", "[64:ff9b::a00:1]:80", false},
		{"6to4", def, "tcp6", "[2002:7f00:1::1]:80", false},
		{"teredo", def, "tcp6", "[2001::1]:80", false},
		{"v6 documentation", def, "tcp6", "[2001:db8::1]:80", false},
		{"allowed loopback", allowLoopback, "tcp4", "127.0.0.1:80", true},
		{"allowed loopback, mapped", allowLoopback, "tcp6", "[::ffff:127.0.0.1]:80", true},
		{"allowed loopback, not v6", allowLoopback, "tcp6", "[::1]:80", false},
		{"allowed loopback, not private", allowLoopback, "tcp4", "10.0.0.1:80", false},
		{"nat64 allowed, public inside", allowNAT64, "tcp6", "[64:ff9b::5db8:d822]:80", true},
		{"nat64 allowed, private inside", allowNAT64, "tcp6", "[64:ff9b::a00:1]:80", false},
		{"nat64 allowed, loopback inside", allowNAT64, "tcp6", "[64:ff9b::7f00:1]:80", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.dialControl(tt.network, tt.address, nil)
			if got := err == nil; got != tt.ok {
				t.Fatalf("dialControl(%s, %s) = %v, want ok %v", tt.network, tt.address, err, tt.ok)
			}
			if err != nil && picpipe.ErrorCode(err) != picpipe.ECodeFetchFailed {
				t.Fatalf("code = %s, want fetch_failed", picpipe.ErrorCode(err))
			}
		})
	}
}

func TestDialControlMessages(t *testing.T) {
	g := newGuard(Config{}.withDefaults())
	tests := []struct{ address, want string }{
		{"169.254.169.254:80", "address 169.254.169.254 is not allowed"},
		{"[::ffff:10.0.0.1]:443", "address 10.0.0.1 is not allowed"},
		{"[fe80::1%eth0]:443", "address fe80::1 is not allowed"},
		{"93.184.216.34:22", "port 22 is not allowed"},
	}
	for _, tt := range tests {
		if got := picpipe.ErrorMessage(g.dialControl("tcp4", tt.address, nil)); got != tt.want {
			t.Errorf("dialControl(%s) message = %q, want %q", tt.address, got, tt.want)
		}
	}
}
