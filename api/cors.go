package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"picpipe"
)

// CORS. Each path has one of three policies (corsScopeOf):
//
//   - the public links (/u/…, /f/…) may be read by a page of any origin:
//     Access-Control-Allow-Origin: *, always; they take no credentials;
//   - the API may be called from the origins of Config.CORSOrigins (none
//     by default, "*" for any): a preflight is answered, and answers carry
//     the origin, Vary: Origin and the headers a client reads;
//   - the operator pages (/admin/…, /metrics) and the web page (/app) are
//     for their own origin only and send nothing.
//
// The presigned PUT of /v1/uploads/{id} keeps its own answer to any
// origin (allowAnyOrigin, uploadPreflight): its URL is its credential.

// corsScope is which CORS policy a path's answers follow.
type corsScope int

const (
	corsNone corsScope = iota
	corsPublic
	corsAPI
)

// corsScopeOf returns the policy of path.
func corsScopeOf(path string) corsScope {
	switch {
	case strings.HasPrefix(path, "/u/"), strings.HasPrefix(path, "/f/"):
		return corsPublic
	case strings.HasPrefix(path, adminQueuesPath), path == "/metrics", path == appPath, strings.HasPrefix(path, appPath+"/"):
		return corsNone
	case strings.HasPrefix(path, "/v1/uploads/") && path != "/v1/uploads/presign":
		return corsNone // its own, any origin
	}
	return corsAPI
}

// The headers of CORS answers.
const (
	corsAllowMethods = "GET, HEAD, POST, PUT, DELETE"
	// corsAllowHeaders are the request headers the API reads.
	corsAllowHeaders = "Authorization, Content-Type, Prefer, Idempotency-Key, Last-Event-ID, X-Api-Key, Agent"
	// corsExposeHeaders are the answer headers a client of the API reads.
	corsExposeHeaders = "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, " +
		"X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Location, Preference-Applied, " +
		"Idempotent-Replayed, X-Request-Id, WWW-Authenticate"
	// corsPublicExpose are the answer headers of a public link worth reading.
	corsPublicExpose = "ETag, X-Picpipe-Format, Content-Range, Content-Disposition, X-Request-Id"
	corsMaxAge       = "7200" // Chromium's ceiling
)

// corsOrigins are the origins the API answers, from Config.CORSOrigins;
// the zero value answers none.
type corsOrigins struct {
	any     bool
	origins map[string]bool
}

// newCORSOrigins reads list (checked by checkCORSOrigins).
func newCORSOrigins(list []string) corsOrigins {
	o := corsOrigins{origins: map[string]bool{}}
	for _, s := range list {
		if s = strings.TrimSpace(s); s == "*" {
			o.any = true
		} else if n, err := normalOrigin(s); err == nil {
			o.origins[n] = true
		}
	}
	return o
}

// checkCORSOrigins reports an entry of Config.CORSOrigins that is neither
// "*" nor an origin (scheme://host[:port]).
func checkCORSOrigins(list []string) error {
	for _, s := range list {
		if s = strings.TrimSpace(s); s == "*" || s == "" {
			continue
		}
		if _, err := normalOrigin(s); err != nil {
			return fmt.Errorf("api: CORS origin %q: %w; want * or scheme://host[:port], e.g. https://app.example.com", s, err)
		}
	}
	return nil
}

// normalOrigin returns s as browsers send it in Origin: lower case, no
// default port, no trailing slash.
func normalOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	switch {
	case err != nil:
		return "", err
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("the scheme must be http or https")
	case u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("an origin is a scheme and a host, with no path")
	}
	host := strings.ToLower(u.Host)
	if (u.Scheme == "http" && u.Port() == "80") || (u.Scheme == "https" && u.Port() == "443") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return u.Scheme + "://" + host, nil
}

// allowOrigin returns the Access-Control-Allow-Origin to answer origin
// with, "" when it is not allowed.
func (o corsOrigins) allowOrigin(origin string) string {
	if o.any {
		return "*"
	}
	if n, err := normalOrigin(origin); err == nil && o.origins[n] {
		return origin
	}
	return ""
}

func (o corsOrigins) none() bool { return !o.any && len(o.origins) == 0 }

// withCORS applies the path's CORS policy: it answers preflights itself
// and adds the CORS headers before the route runs, so that its refusals
// carry them too.
func (s *Server) withCORS(c *gin.Context) {
	switch corsScopeOf(c.Request.URL.Path) {
	case corsPublic:
		publicCORS(c)
	case corsAPI:
		s.apiCORS(c)
	default:
		c.Next()
	}
}

// isPreflight reports whether c is a CORS preflight request.
func isPreflight(c *gin.Context) bool {
	return c.Request.Method == http.MethodOptions && c.GetHeader("Origin") != "" &&
		c.GetHeader("Access-Control-Request-Method") != ""
}

// publicCORS lets a page of any origin read a public link.
func publicCORS(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if isPreflight(c) {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD")
		h.Set("Access-Control-Allow-Headers", "Range, If-None-Match, If-Modified-Since")
		h.Set("Access-Control-Max-Age", corsMaxAge)
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	h.Set("Access-Control-Expose-Headers", corsPublicExpose)
	c.Next()
}

// apiCORS lets the configured origins call the API. An origin not
// configured gets no CORS header (its browser then withholds the
// answer) and, on a preflight, 403 naming the setting.
func (s *Server) apiCORS(c *gin.Context) {
	if s.cors.none() {
		c.Next()
		return
	}
	h := c.Writer.Header()
	h.Add("Vary", "Origin")
	allow := s.cors.allowOrigin(c.GetHeader("Origin"))
	if isPreflight(c) {
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		if allow == "" {
			failCode(c, picpipe.ECodeForbidden, "origin %s may not call this API: PICPIPE_CORS_ORIGINS does not list it", c.GetHeader("Origin"))
			return
		}
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	if allow != "" && c.GetHeader("Origin") != "" {
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	}
	c.Next()
}
