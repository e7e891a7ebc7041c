package intake

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLen bounds a stored display file name, in bytes.
const maxNameLen = 255

// SanitizeName keeps a client's file name for display only: the base name,
// without control characters or path separators, valid UTF-8, at most
// maxNameLen bytes. It is never used as a storage key.
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" {
		name = ""
	}
	for len(name) > maxNameLen {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return strings.TrimSpace(name)
}
