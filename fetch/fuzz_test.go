package fetch

import (
	"net/netip"
	"net/url"
	"slices"
	"testing"

	"picpipe"
)

// FuzzGuardURL: the URL check before any connection either refuses with
// fetch_failed or accepts an http(s) URL with a host, no credentials, an
// allowed port and a host that is a DNS name, an IPv4 address in its one
// dotted-quad form (never "127.1", "0x7f.1" or "2130706433") or an IPv6
// address neither zoned nor IPv4-mapped. Where any address points is the
// dial check's business.
func FuzzGuardURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a.jpg", "http://127.1/", "http://0x7f000001/",
		"http://2130706433/", "http://[::ffff:127.0.0.1]/", "http://１２７．１/", "https://u:p@h/",
		"http://example.com:8080/", "http://169.254.169.254/latest", "http://[fe80::1%25eth0]/", "ftp://x/"} {
		f.Add(s)
	}
	g := newGuard(Config{}.withDefaults())
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if err := g.checkURL(u); err != nil {
			if picpipe.ErrorCode(err) != picpipe.ECodeFetchFailed {
				t.Fatalf("checkURL(%q) = %v; want fetch_failed", raw, err)
			}
			return
		}
		port, perr := urlPort(u)
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || perr != nil || !slices.Contains(g.ports, port) {
			t.Fatalf("checkURL accepted %q", raw)
		}
		host, herr := asciiHost(u.Hostname())
		a, aerr := netip.ParseAddr(host)
		switch {
		case herr != nil:
			t.Fatalf("checkURL accepted %q, whose host %q is no name (%v)", raw, u.Hostname(), herr)
		case aerr == nil && a.Is4() && a.String() != host:
			t.Fatalf("checkURL accepted %q, whose address %s is not in its canonical form %s", raw, host, a)
		case aerr == nil && (a.Zone() != "" || a.Is4In6()):
			t.Fatalf("checkURL accepted %q, a zoned or IPv4-mapped address", raw)
		}
	})
}
