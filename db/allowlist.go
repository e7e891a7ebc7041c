package db

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseAllowList parses CIDRs or single addresses (IPv4 or IPv6) into the
// stored form of APIKey.AllowedIPs: canonical CIDRs, comma-separated.
func ParseAllowList(list []string) (string, error) {
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

// Allows reports whether the key may be used from ip: an empty allow-list
// allows every address; IPv4-mapped IPv6 addresses count as IPv4.
func (k *APIKey) Allows(ip string) bool {
	if k.AllowedIPs == "" {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, item := range strings.Split(k.AllowedIPs, ",") {
		if p, err := netip.ParsePrefix(item); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}
