package api

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
)

// variant is one stored rendition of an image.
type variant struct {
	format, mime, key string
}

// deliver is GET /u/:user/:link.:ext, the public direct link. It serves the
// AVIF variant to clients that list it in Accept once it is ready, the
// WebP (or GIF) otherwise (chooseVariant), with long immutable caching, a
// strong ETag per variant, conditional requests and Range; or, with
// PublicBlobURL set, a redirect to the chosen variant there
// (redirectBlob).
func (s *Server) deliver(c *gin.Context) {
	link, ext, ok := strings.Cut(c.Param("file"), ".")
	if !ok || link == "" {
		failCode(c, picpipe.ECodeNotFound, "no such image")
		return
	}
	img, err := s.db.ImageByLink(c.Request.Context(), c.Param("user"), link)
	if err != nil {
		fail(c, err)
		return
	}
	if img.Status != db.StatusReady || img.Format != ext {
		failCode(c, picpipe.ECodeNotFound, "no such image")
		return
	}
	if !s.ownerServes(c, img.UserID, "image") {
		return
	}
	accept := c.GetHeader("Accept")
	var avif *db.Variant
	if listedQ(accept, "image/avif") > 0 {
		// Not found or unreadable: the base format serves.
		avif, _ = s.db.VariantOf(c.Request.Context(), img.ID, db.VariantAVIF)
	}
	v := chooseVariant(img, avif, accept)
	if s.cfg.PublicBlobURL != "" {
		s.redirectBlob(c, v)
		return
	}
	s.serveBlob(c, v.key, map[string]string{
		"Content-Type": v.mime, "Cache-Control": immutable,
		"ETag": `"` + img.Link + "-" + v.format + `"`, "Vary": "Accept", "X-Picpipe-Format": v.format,
	})
}

// immutable is the Cache-Control of content that never changes.
const immutable = "public, max-age=31536000, immutable"

// serveBlob serves the blob under key with header, never to be sniffed,
// answering conditional and Range requests (at most maxRanges ranges, in
// order; the whole body otherwise).
func (s *Server) serveBlob(c *gin.Context, key string, header map[string]string) {
	blob, err := s.store.Open(c.Request.Context(), key)
	if err != nil {
		fail(c, err)
		return
	}
	defer blob.Close()
	h := c.Writer.Header()
	for k, v := range header {
		h.Set(k, v)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	if rng := c.Request.Header.Get("Range"); rng != "" && tameRange(rng, blob.Size()) == "" {
		c.Request.Header.Del("Range") // too many, overlapping or out of order: the whole body
	}
	http.ServeContent(c.Writer, c.Request, "", blob.ModTime(), blob)
}

// chooseVariant picks the AVIF variant avif (nil when there is none) when
// it is ready, smaller than the base format's output, and accept lists
// image/avif by name at least as high as it accepts the base format; the
// base format otherwise. A wildcard (image/*, */*) or no Accept at all
// gets the link's own format: a client that never named AVIF gets the
// bytes its link's extension says. An AVIF no smaller than the base is
// never served: workers skip making it, and one made before they did is
// passed over here.
func chooseVariant(img *db.Image, avif *db.Variant, accept string) variant {
	base := variant{format: img.Format, mime: "image/" + img.Format, key: img.OutputKey}
	if avif == nil || avif.Status != db.StatusReady || avif.StorageKey == "" || avif.Size >= img.OutputSize {
		return base
	}
	qa := listedQ(accept, "image/avif")
	if qa > 0 && qa >= acceptQ(accept, base.mime) {
		return variant{format: "avif", mime: "image/avif", key: avif.StorageKey}
	}
	return base
}

// listedQ returns the q-value accept gives mime by name: 0 when it lists
// mime only through a wildcard, or not at all.
func listedQ(accept, mime string) float64 {
	q, spec := acceptMatch(accept, mime)
	if spec < 2 {
		return 0
	}
	return q
}

// acceptQ returns the q-value an Accept header gives mime: the most
// specific matching range wins (image/avif over image/* over */*); no match
// is 0. An empty header accepts everything at 1.
func acceptQ(accept, mime string) float64 {
	if strings.TrimSpace(accept) == "" {
		return 1
	}
	q, _ := acceptMatch(accept, mime)
	return q
}

// acceptMatch returns the q-value of the most specific range of accept
// matching mime, and how specific it is: 2 for mime itself, 1 for its
// type's wildcard, 0 for */*, -1 (and q 0) when none matches.
func acceptMatch(accept, mime string) (float64, int) {
	typ, _, _ := strings.Cut(mime, "/")
	best, bestSpec := 0.0, -1
	for _, r := range strings.Split(accept, ",") {
		params := strings.Split(r, ";")
		rng := strings.ToLower(strings.TrimSpace(params[0]))
		spec := -1
		switch rng {
		case mime:
			spec = 2
		case typ + "/*":
			spec = 1
		case "*/*":
			spec = 0
		}
		if spec <= bestSpec {
			continue
		}
		best, bestSpec = qOf(params[1:]), spec
	}
	return best, bestSpec
}

// qOf is the q parameter among a media range's params, 1 when it has
// none (or a malformed one).
func qOf(params []string) float64 {
	q := 1.0
	for _, p := range params {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "q") {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
		}
	}
	return q
}

// fileCSP keeps a served file from running anything, should a browser
// render it after all.
const fileCSP = "default-src 'none'; sandbox"

// deliverFile is GET /f/:user/:id.ext, a stored file's public link: images
// inline, everything else as an attachment, never sniffed, sandboxed.
// Temporary files are cached only until they expire.
func (s *Server) deliverFile(c *gin.Context) {
	id, _, _ := strings.Cut(c.Param("file"), ".")
	now := s.now().Unix()
	f, err := s.db.FileByID(c.Request.Context(), c.Param("user"), id, now)
	// The link names the file with its own extension, and only that.
	if err != nil {
		fail(c, err)
		return
	}
	if f.Status != db.StatusReady || c.Param("file") != f.ID+f.Ext {
		failCode(c, picpipe.ECodeNotFound, "no such file")
		return
	}
	if !s.ownerServes(c, f.UserID, "file") {
		return
	}
	ct := f.MIME
	if strings.HasPrefix(ct, "text/") || ct == "application/json" {
		ct += "; charset=utf-8"
	}
	disposition := "attachment"
	if isImageMIME(f.MIME) {
		disposition = "inline"
	}
	cache := immutable
	if f.ExpiresAt != nil {
		cache = "private, max-age=" + strconv.FormatInt(*f.ExpiresAt-now, 10)
	}
	s.serveBlob(c, f.StorageKey, map[string]string{
		"Content-Type":            ct,
		"Content-Disposition":     mime.FormatMediaType(disposition, map[string]string{"filename": displayName(f)}),
		"Content-Security-Policy": fileCSP, "ETag": `"` + f.SHA256 + `"`, "Cache-Control": cache,
	})
}

// ownerServes reports whether the links of the account userID are
// served. A suspended account's links answer 404 like a deleted image's —
// a public link tells nobody an account's standing — and never from a
// cache (no-store), so that they answer again once it is active.
func (s *Server) ownerServes(c *gin.Context, userID, what string) bool {
	u, err := s.db.UserByID(c.Request.Context(), userID)
	if err != nil && !errors.Is(err, db.ErrUserNotFound) {
		fail(c, err)
		return false
	}
	if err == nil && u.Status == db.UserActive {
		return true
	}
	c.Header("Cache-Control", "no-store")
	failCode(c, picpipe.ECodeNotFound, "no such %s", what)
	return false
}

// displayName is the name a file is saved under: the name it came with,
// or its id with its type's extension.
func displayName(f *db.File) string {
	if f.Name != "" {
		return f.Name
	}
	return f.ID + f.Ext
}
