package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// redirectCache is the Cache-Control of a redirect to a public blob. The
// blob itself never changes, but whether the link leads to it does: an
// image deleted, or its account suspended, stops redirecting within this
// minute.
const redirectCache = "public, max-age=60"

// checkPublicBlobURL reports a PublicBlobURL that is not an http(s) URL
// with a host and without query or credentials. "" is valid.
func checkPublicBlobURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("api: PublicBlobURL %q: want http(s)://host[/path]", v)
	}
	return nil
}

// publicBlob is the public URL of the blob under key, at PublicBlobURL.
func (s *Server) publicBlob(key string) string {
	return strings.TrimSuffix(s.cfg.PublicBlobURL, "/") + "/" + (&url.URL{Path: key}).EscapedPath()
}

// redirectBlob answers a link with a redirect (302) to v's blob at
// PublicBlobURL. The API has done what stays behind it: found the image
// live and ready (and its account active), and chosen v by Accept, so
// the answer varies by Accept and is cached only briefly (redirectCache);
// the bytes, their Range requests and their caching are the public
// store's.
func (s *Server) redirectBlob(c *gin.Context, v variant) {
	h := c.Writer.Header()
	h.Set("Cache-Control", redirectCache)
	h.Set("Vary", "Accept")
	h.Set("X-Picpipe-Format", v.format)
	c.Redirect(http.StatusFound, s.publicBlob(v.key))
}
