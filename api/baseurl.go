package api

import (
	"net"
	"net/netip"
	"strings"

	"github.com/gin-gonic/gin"

	"picpipe/resource"
)

// baseURL is the base of the links the API returns: the configured
// PublicURL. Without one, the request's own origin when its Host names
// this machine (localhost or a loopback address, with any port: make
// run, tests), and otherwise http://localhost with the listen port. A
// Host header is the client's to choose: links that followed any Host
// would let one request poison a shared cache, or a client, with links
// to a host of its choosing.
func (s *Server) baseURL(c *gin.Context) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	if host := c.Request.Host; isLoopbackHost(host) {
		if c.Request.TLS != nil {
			return "https://" + host
		}
		return "http://" + host
	}
	return fallbackURL(s.cfg.Addr)
}

// isLoopbackHost reports whether a Host header names this machine:
// localhost or a loopback address, with a numeric port or none.
func isLoopbackHost(host string) bool {
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	if strings.Trim(port, "0123456789") != "" {
		return false
	}
	if strings.EqualFold(name, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(name, "[]"))
	return err == nil && a.IsLoopback()
}

// fallbackURL is the base of links when no public URL is configured and
// the request's Host is not to be trusted: resource.FallbackBase, this
// machine at the listen address addr's port (what the workers' webhooks
// link to as well).
func fallbackURL(addr string) string { return resource.FallbackBase(addr) }
