package api

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/api/webapp"
)

// appPath is where the web upload page is served.
const appPath = "/app"

// appTypes are the Content-Types of the page's files, by extension.
var appTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// appStarted is the modification time of the embedded files: when this
// process started, so that a new binary's page is fetched anew.
var appStarted = time.Now()

// redirectApp sends /app to /app/, where the page's relative links work.
func redirectApp(c *gin.Context) {
	c.Redirect(http.StatusMovedPermanently, appPath+"/")
}

// serveApp is GET /app/*file: the web upload page (webapp), with a strict
// Content-Security-Policy (appCSP), never framed, never sniffed, and
// revalidated on every load.
func (s *Server) serveApp(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	if name == "" {
		name = "index.html"
	}
	typ, ok := appTypes[path.Ext(name)]
	if !ok || strings.Contains(name, "/") {
		failCode(c, picpipe.ECodeNotFound, "no such file in the web page: %s", name)
		return
	}
	f, err := webapp.FS.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		failCode(c, picpipe.ECodeNotFound, "no such file in the web page: %s", name)
		return
	} else if err != nil {
		fail(c, err)
		return
	}
	defer f.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Security-Policy", s.appCSP(c))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(c.Writer, c.Request, name, appStarted, f.(io.ReadSeeker)) // embed's files seek
}

// appCSP is the page's Content-Security-Policy: its own scripts and
// styles only (no inline code, nothing from other hosts), API calls to
// its own origin, images from its own origin and from wherever the image
// links point (PublicURL, or the blob URL they redirect to), no framing,
// no forms, no plugins.
func (s *Server) appCSP(c *gin.Context) string {
	img := []string{"'self'"}
	for _, u := range []string{s.baseURL(c), s.cfg.PublicBlobURL} {
		if o := originOf(u); o != "" {
			img = append(img, o)
		}
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + strings.Join(img, " ") +
		"; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// originOf returns the origin (scheme://host) of the URL u, "" for none.
func originOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}
