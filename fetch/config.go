package fetch

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"
)

// Defaults applied by New to the zero values of Config.
const (
	DefaultMaxRedirects   = 3
	DefaultConnectTimeout = 5 * time.Second
	DefaultHeaderTimeout  = 10 * time.Second
	DefaultTotalTimeout   = 60 * time.Second
	DefaultUserAgent      = "picpipe-fetch/1"
)

// DefaultPorts are the ports allowed when Config.AllowedPorts is nil.
var DefaultPorts = []int{80, 443}

// Config configures a Fetcher. The zero value is the safe default: only
// public unicast addresses on ports 80 and 443.
type Config struct {
	// AllowedPorts are the ports a URL (and every redirect) may use; empty
	// means 80 and 443.
	AllowedPorts []int
	// AllowPrefixes are address ranges permitted although they are not
	// public (operators, and the test suite: e.g. 127.0.0.0/8). nil: only
	// public unicast addresses. IPv4 ranges must be written in IPv4 form.
	AllowPrefixes []netip.Prefix
	// MaxRedirects is the number of redirects followed; 0 means 3 and a
	// negative value means that no redirect is followed.
	MaxRedirects int
	// ConnectTimeout bounds each TCP connect and TLS handshake; 0 means 5 s.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait for response headers after the request
	// is sent; 0 means 10 s.
	HeaderTimeout time.Duration
	// TotalTimeout bounds the whole transfer, redirects and body included;
	// 0 means 60 s.
	TotalTimeout time.Duration
	// UserAgent is sent with every request; "" means "picpipe-fetch/1".
	UserAgent string
	// RootCAs, when non-nil, replaces the system roots for HTTPS (a private
	// CA, or the test suite's server certificate).
	RootCAs *x509.CertPool
}

// Validate reports the first invalid field of c, if any.
func (c Config) Validate() error {
	for _, p := range c.AllowedPorts {
		if p < 1 || p > 65535 {
			return fmt.Errorf("fetch: allowed port %d out of range 1-65535", p)
		}
	}
	for _, p := range c.AllowPrefixes {
		if !p.IsValid() {
			return errors.New("fetch: invalid allowed prefix")
		}
		if p.Addr().Is4In6() {
			return fmt.Errorf("fetch: allowed prefix %s: write IPv4 ranges in IPv4 form", p)
		}
		if p.Addr().Zone() != "" {
			return fmt.Errorf("fetch: allowed prefix %s must not have a zone", p)
		}
	}
	for name, d := range map[string]time.Duration{
		"ConnectTimeout": c.ConnectTimeout,
		"HeaderTimeout":  c.HeaderTimeout,
		"TotalTimeout":   c.TotalTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("fetch: %s must not be negative", name)
		}
	}
	if strings.ContainsFunc(c.UserAgent, unicode.IsControl) {
		return errors.New("fetch: UserAgent must not contain control characters")
	}
	return nil
}

// withDefaults returns c with every zero value replaced by its default.
func (c Config) withDefaults() Config {
	if len(c.AllowedPorts) == 0 {
		c.AllowedPorts = DefaultPorts
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	} else if c.MaxRedirects < 0 {
		c.MaxRedirects = 0
	}
	c.ConnectTimeout = orDefault(c.ConnectTimeout, DefaultConnectTimeout)
	c.HeaderTimeout = orDefault(c.HeaderTimeout, DefaultHeaderTimeout)
	c.TotalTimeout = orDefault(c.TotalTimeout, DefaultTotalTimeout)
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
