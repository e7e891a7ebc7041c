package sniff

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
)

// notPlainText are the text types mimetype names that are markup or
// scripts: never accepted as text, whatever the extension.
var notPlainText = []string{
	"text/html", "text/xml", "image/svg+xml", "text/javascript", "text/x-php",
	"text/x-shellscript", "text/x-python", "text/x-perl", "text/x-lua", "text/x-tcl",
}

// detectText types UTF-8 text that mimetype does not take for markup or a
// script: CSV or Markdown when the extension says so, JSON when it looks
// like JSON (an object or array) and the extension says so or there is no
// text extension, else plain text. Anything else is Unknown, named as
// mimetype names it.
func detectText(h []byte, m *mimetype.MIME, ext string) (Type, string) {
	what := mediaType(m)
	if !isText(h) || (!strings.HasPrefix(what, "text/") && what != "application/json") || isMarkup(m) {
		return Unknown, what
	}
	t, _ := TypeByExt(ext)
	switch {
	case t == TypeCSV, t == TypeMarkdown:
		return t, t.MIME()
	case looksJSON(h) && (t == TypeJSON || t != TypeText && m.Is("application/json")):
		return TypeJSON, TypeJSON.MIME()
	}
	return TypeText, TypeText.MIME()
}

func isMarkup(m *mimetype.MIME) bool {
	for _, s := range notPlainText {
		if m.Is(s) {
			return true
		}
	}
	return false
}

// looksJSON reports whether the first character that is not white space
// opens an object or an array.
func looksJSON(b []byte) bool {
	for _, c := range bytes.TrimLeft(b, " \t\r\n\xef\xbb\xbf") {
		return c == '{' || c == '['
	}
	return false
}

// isText reports whether b is UTF-8 without NULs or other C0 controls but
// tab, newline, carriage return and form feed. A multi-byte character cut
// at the end of the header is fine.
func isText(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' {
			return false
		}
		b = b[size:]
	}
	return true
}
