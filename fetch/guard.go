package fetch

import (
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"code.dny.dev/ssrf"
	"golang.org/x/net/idna"

	"picpipe"
)

// guard holds the address and port policy. The URL checks refuse what can
// be refused from the text alone; dialControl checks every address actually
// dialled, after DNS resolution, for the first request and every redirect.
type guard struct {
	ports    []int
	guardian *ssrf.Guardian
}

func newGuard(cfg Config) *guard {
	var v4, v6 []netip.Prefix
	for _, p := range cfg.AllowPrefixes {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	ports := make([]uint16, len(cfg.AllowedPorts))
	for i, p := range cfg.AllowedPorts {
		ports[i] = uint16(p)
	}
	return &guard{
		ports: cfg.AllowedPorts,
		guardian: ssrf.New(
			ssrf.WithPorts(ports...),
			ssrf.WithAllowedV4Prefixes(v4...),
			ssrf.WithAllowedV6Prefixes(v6...),
		),
	}
}

// checkURL refuses a URL that must not be fetched whatever its host resolves
// to: a scheme other than http or https, credentials, a port not allowed, or
// a host written in a form other than a DNS name, a dotted-quad IPv4 address
// or a plain IPv6 address.
func (g *guard) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return refuse("only http and https URLs can be fetched")
	}
	if u.User != nil {
		return refuse("URLs with credentials are not allowed")
	}
	if u.Opaque != "" || u.Host == "" {
		return refuse("the URL has no host")
	}
	port, err := urlPort(u)
	if err != nil {
		return err
	}
	if !slices.Contains(g.ports, port) {
		return refuse("port %d is not allowed", port)
	}
	host, err := asciiHost(u.Hostname())
	if err != nil {
		return err
	}
	return checkHost(host)
}

// asciiHost returns host as net/http will dial it: a non-ASCII name goes
// through IDNA, which maps "１２７．１" to "127.1", so the numeric checks
// must see the mapped form.
func asciiHost(host string) (string, error) {
	if !strings.ContainsFunc(host, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return host, nil
	}
	a, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", refuse("host %q is not a valid name", host)
	}
	return a, nil
}

// urlPort returns the explicit port of u, or the default of its scheme.
func urlPort(u *url.URL) (int, error) {
	s := u.Port()
	if s == "" {
		if u.Scheme == "https" {
			return 443, nil
		}
		return 80, nil
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, refuse("the URL has an invalid port")
	}
	return p, nil
}

// checkHost refuses numeric hosts in any but their canonical form. Resolvers
// disagree on "127.1", "2130706433", "0x7f000001" or "0177.0.0.1" (glibc
// reads them as addresses, Go's own resolver asks DNS), and IPv4-mapped or
// zoned IPv6 literals only serve to dodge filters; none is a real site.
func checkHost(host string) error {
	if host == "" {
		return refuse("the URL has no host")
	}
	if strings.Contains(host, ":") { // an IPv6 literal: url.Parse kept its brackets' content
		a, err := netip.ParseAddr(host)
		if err != nil || a.Zone() != "" || a.Is4In6() {
			return refuse("host %q is not a valid address", host)
		}
		return nil
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if !looksNumeric(labels[len(labels)-1]) {
		return nil // a DNS name: its addresses are checked when dialled
	}
	if a, err := netip.ParseAddr(host); err != nil || !a.Is4() {
		return refuse("host %q is not a valid address", host)
	}
	return nil
}

// looksNumeric reports whether a host label is a number in the sense of the
// WHATWG URL standard (decimal, or hexadecimal with 0x), which makes the
// whole host an IPv4 address for browsers and for inet_aton.
func looksNumeric(label string) bool {
	s := strings.ToLower(label)
	if strings.HasPrefix(s, "0x") {
		s = s[2:]
		return !strings.ContainsFunc(s, func(r rune) bool {
			return !strings.ContainsRune("0123456789abcdef", r)
		})
	}
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

// dialControl is the net.Dialer Control hook: it runs after DNS resolution
// and before connect, for every address tried, so a name that resolves to a
// refused address (DNS rebinding included) and every redirect are covered.
func (g *guard) dialControl(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return refuse("network %s is not allowed", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refuse("address %s is not allowed", address)
	}
	return g.checkAddrPort(ap)
}

// checkAddrPort applies the port allow-list and the address policy of ssrf
// to ap, with IPv4-mapped IPv6 addresses judged as the IPv4 address they
// are, and the IPv4 address inside an allowed NAT64 address judged too.
func (g *guard) checkAddrPort(ap netip.AddrPort) error {
	addr := ap.Addr().Unmap().WithZone("")
	if err := g.guardian.SafeAddrPort(netip.AddrPortFrom(addr, ap.Port())); err != nil {
		if errors.Is(err, ssrf.ErrProhibitedPort) {
			return refuse("port %d is not allowed", ap.Port())
		}
		return refuse("address %s is not allowed", addr)
	}
	if v4, ok := nat64Embedded(addr); ok && g.guardian.SafeAddr(v4) != nil {
		return refuse("address %s is not allowed", addr)
	}
	return nil
}

// nat64Embedded returns the IPv4 address carried by a well-known-prefix
// NAT64 address (64:ff9b::/96, RFC 6052).
func nat64Embedded(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() || !ssrf.IPv6NAT64Prefix.Contains(a) {
		return netip.Addr{}, false
	}
	b := a.As16()
	return netip.AddrFrom4([4]byte(b[12:])), true
}

// refuse returns a permanent fetch_failed error with a client-safe message.
func refuse(format string, args ...any) error {
	return picpipe.Errorf(picpipe.ECodeFetchFailed, format, args...)
}
