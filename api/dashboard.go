package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"picpipe"
)

// dashboardCSP is the content policy of the operator pages: asynqmon's
// own scripts (its bootstrap is inline), its Google fonts, its API on the
// same origin, and no framing by anyone.
const dashboardCSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; " +
	"style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; font-src 'self' https://fonts.gstatic.com data:; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// guardDashboard keeps other sites away from the operator pages: they
// may not be framed (X-Frame-Options, CSP frame-ancestors), and a request
// that changes anything (any method but GET, HEAD and OPTIONS) is
// refused 403 unless it comes from the dashboard's own origin (or the
// configured public URL's), as http.CrossOriginProtection judges by
// Sec-Fetch-Site or Origin against Host. A browser sends the admin's
// cached Basic credentials along with any site's request: without this,
// a page anywhere could pause a queue or delete tasks. Clients that are
// not browsers (curl with the token) send neither header and pass.
func (s *Server) guardDashboard() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Scheme != "" && u.Host != "" {
		cop.AddTrustedOrigin(u.Scheme + "://" + u.Host) // behind a proxy that rewrites Host
	}
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", dashboardCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if err := cop.Check(c.Request); err != nil {
			failCode(c, picpipe.ECodeForbidden, "the dashboard takes changes only from its own pages, not from another origin")
			return
		}
		c.Next()
	}
}
