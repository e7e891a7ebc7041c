package picpipe

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen bounds a client file name kept for display, in bytes.
const MaxNameLen = 255

// maxKeptExt is the longest extension CleanName keeps when it shortens a
// name: a longer one is not an extension anyone relies on.
const maxKeptExt = 16

// CleanName returns a client's file name (an upload's, a Content-Disposition
// header's, a URL path's) as picpipe keeps it for display, and as every
// check of its extension sees it. It is the one rule for file names:
//
//   - only the last path element counts, with either slash as separator;
//   - invalid UTF-8 is dropped, and so are control characters, Unicode
//     format characters (category Cf: the bidirectional overrides and
//     isolates that make "invoice\u202Egpj.exe" display as
//     "invoiceexe.jpg", zero-width spaces and joiners, the byte-order
//     mark) and line and paragraph separators;
//   - leading white space and trailing white space and dots are trimmed,
//     as Windows trims them when it saves a file: "x.php." is "x.php", so a
//     trailing dot never hides an extension from a check;
//   - "", "." and ".." (and names of nothing but dots) are "";
//   - a name longer than MaxNameLen bytes is shortened before its
//     extension, at a character boundary.
//
// CleanName is idempotent. The result is for display only, never a
// storage key or a path.
func CleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r == '/' || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return -1
		}
		return r
	}, name)
	name = trimName(name)
	if len(name) > MaxNameLen {
		name = trimName(shorten(name))
	}
	if strings.Trim(name, ".") == "" {
		return ""
	}
	return name
}

// trimName trims leading white space and trailing white space and dots.
func trimName(name string) string {
	name = strings.TrimLeftFunc(name, unicode.IsSpace)
	return strings.TrimRightFunc(name, func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
}

// shorten cuts name to MaxNameLen bytes, keeping a short extension.
func shorten(name string) string {
	ext := path.Ext(name)
	if len(ext) > maxKeptExt || len(ext) == len(name) {
		ext = ""
	}
	stem := strings.TrimSuffix(name, ext)
	for len(stem)+len(ext) > MaxNameLen {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return trimName(stem) + ext
}
