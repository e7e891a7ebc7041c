package fetch

import (
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLen bounds a file name, in bytes.
const maxNameLen = 255

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

// sanitizeName keeps a file name for display only: the base name, without
// control or format characters (bidi overrides) or path separators, valid
// UTF-8, at most maxNameLen bytes, "" for "." and "..".
func sanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '/' {
			return -1
		}
		return r
	}, name)
	for len(name) > maxNameLen {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		return ""
	}
	return name
}
