package db

import (
	"fmt"
	"net/netip"
	"strings"
)

// MaxAllowListEntries bounds an allow-list: each request with a credential
// that carries one is checked against every entry.
const MaxAllowListEntries = 100

// AllowList is the stored form of an IP allow-list, as in
// APIKey.AllowedIPs and Agent.AllowedIPs: canonical CIDRs, comma-separated.
// The empty list allows every address.
type AllowList string

// ParseAllowList parses at most MaxAllowListEntries CIDRs or single
// addresses (IPv4 or IPv6) into the stored form of an AllowList. An
// IPv4-mapped IPv6 entry is stored as IPv4. It returns an error naming the
// first entry that is neither, or saying that there are too many.
func ParseAllowList(list []string) (string, error) {
	if len(list) > MaxAllowListEntries {
		return "", fmt.Errorf("%d entries; an allow-list holds at most %d", len(list), MaxAllowListEntries)
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		p, err := parsePrefix(strings.TrimSpace(item))
		if err != nil {
			return "", err
		}
		out = append(out, p.String())
	}
	return strings.Join(out, ","), nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("%q is not a CIDR: %w", s, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(0, p.Bits()-96))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR: %w", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Allows reports whether ip is on the list: the empty list allows every
// address; IPv4-mapped IPv6 addresses count as IPv4; an unparsable ip is
// refused by a non-empty list.
func (l AllowList) Allows(ip string) bool {
	if l == "" {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, item := range l.Entries() {
		if p, err := netip.ParsePrefix(item); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}

// Entries returns the list's CIDRs, none for the empty list.
func (l AllowList) Entries() []string {
	if l == "" {
		return nil
	}
	return strings.Split(string(l), ",")
}

// Allows reports whether the key may be used from ip (AllowList.Allows).
func (k *APIKey) Allows(ip string) bool { return AllowList(k.AllowedIPs).Allows(ip) }
