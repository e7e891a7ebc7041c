package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"picpipe"
)

// maxEdge bounds a resize box; no output is wider or taller than an input
// may be.
const maxEdge = DefaultMaxEdge

// imageOptions are the processing options of an upload.
type imageOptions struct {
	Quality       int
	Lossless      bool
	Width, Height int
}

func defaultOptions() imageOptions { return imageOptions{Quality: 82} }

var resizeRe = regexp.MustCompile(`^(\d{0,5})x(\d{0,5})$`)

// set applies one form field; unknown fields are not options (ok false).
func (o *imageOptions) set(name, value string) (ok bool, err error) {
	value = strings.TrimSpace(value)
	switch name {
	case "quality":
		q, err := strconv.Atoi(value)
		if err != nil || q < 1 || q > 100 {
			return true, picpipe.Errorf(picpipe.ECodeInvalidRequest, "quality must be an integer from 1 to 100, got %q", value)
		}
		o.Quality = q
	case "lossless":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return true, picpipe.Errorf(picpipe.ECodeInvalidRequest, "lossless must be true or false, got %q", value)
		}
		o.Lossless = b
	case "resize":
		return true, o.setResize(value)
	default:
		return false, nil
	}
	return true, nil
}

// setResize parses "1920x", "x1080" or "800x600".
func (o *imageOptions) setResize(v string) error {
	m := resizeRe.FindStringSubmatch(strings.ToLower(v))
	if m == nil || (m[1] == "" && m[2] == "") {
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, `resize must look like "1920x", "x1080" or "800x600", got %q`, v)
	}
	w, _ := strconv.Atoi("0" + m[1])
	h, _ := strconv.Atoi("0" + m[2])
	if (m[1] != "" && w < 1) || (m[2] != "" && h < 1) || w > maxEdge || h > maxEdge {
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, "resize edges must be from 1 to %d px, got %q", maxEdge, v)
	}
	o.Width, o.Height = w, h
	return nil
}

// hash names the output of these options applied to a source with the
// given SHA-256: the same bytes with the same options are the same image.
func (o imageOptions) hash(sourceSHA256 string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|q=%d|lossless=%t|w=%d|h=%d",
		sourceSHA256, o.Quality, o.Lossless, o.Width, o.Height))
	return hex.EncodeToString(sum[:16])
}

// optionsFrom reads the image options of a JSON body.
func optionsFrom(fields map[string]string) (imageOptions, error) {
	o := defaultOptions()
	for _, name := range []string{"quality", "lossless", "resize"} {
		if v, ok := fields[name]; ok && v != "" && v != "null" {
			if _, err := o.set(name, v); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}
