package fetch

import (
	"mime"
	"net/http"
	"path"
	"strings"

	"picpipe"
)

// filename returns the file name given by the Content-Disposition of resp,
// else the last segment of the final URL's path, sanitised; it may be "".
func filename(resp *http.Response) string {
	if cd := resp.Header.Get("Content-Disposition"); cd != "" {
		if _, params, err := mime.ParseMediaType(cd); err == nil {
			if name := sanitizeName(params["filename"]); name != "" {
				return name
			}
		}
	}
	if resp.Request == nil || resp.Request.URL == nil {
		return ""
	}
	p := resp.Request.URL.Path
	if strings.HasSuffix(p, "/") {
		return ""
	}
	return sanitizeName(path.Base(p))
}

// sanitizeName keeps a file name for display only: picpipe.CleanName, the
// rule every way in shares.
func sanitizeName(name string) string { return picpipe.CleanName(name) }
