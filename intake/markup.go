package intake

import "bytes"

// Text files (plain text, CSV, Markdown, JSON) are stored as they are and
// served as attachments with nosniff and a sandboxing CSP, so no browser
// runs what they hold. They may still reach a renderer that would (a
// Markdown preview, a mail client), so active markup is refused in them
// anywhere in the file, not just in the first bytes the type is sniffed
// from. markupScanner looks, as the bytes pass, for:
//
//   - an element that runs script or makes a document: <script, <html,
//     <head, <body, <svg, <math, <iframe, <frame, <frameset, <object,
//     <embed, <applet, <portal, <base, <meta, <link, <style, <form,
//     <template (closing tags too), and <!doctype;
//   - PHP: <?php, <?= and a short tag <? followed by white space;
//   - an event-handler attribute (on…=) in any tag, as in
//     <img src=x onerror=alert(1)>;
//   - a javascript: or vbscript: URL where a link or an attribute puts
//     one: after ( < " ' = or "]:" (white space between), as in
//     [x](javascript:alert(1)) or href="javascript:…"; tabs and line
//     breaks inside the scheme do not hide it.
//
// Harmless inline HTML (<b>, <br>, <p align=center>, <img src=…>,
// <details>), comparisons (a<b, x <= y), autolinks (<https://…>) and
// prose ("JavaScript: the good parts", "one=1") are accepted; a refused
// tag is refused in a code span too. The checks are ASCII
// case-insensitive.
// The scanner keeps a few dozen bytes of state whatever the input. It is a
// filter, not a sanitiser: the serving headers remain the defence.
type markupScanner struct {
	pos   int64
	found string // what was found, "" for nothing
	at    int64  // where

	// the opener after a '<'
	opening bool
	opener  [10]byte
	on      int

	// the tag being read, for event handlers
	tag     int
	attr    [3]byte // the first bytes of the attribute name, lower-cased
	an      int     // its length
	letters bool    // only letters so far
	quote   byte

	// the last bytes but tabs and line breaks, lower-cased, for schemes
	ring [24]byte
	rn   int
}

// dangerousElements are the elements refused in text files.
var dangerousElements = map[string]bool{
	"script": true, "html": true, "head": true, "body": true, "svg": true, "math": true,
	"iframe": true, "frame": true, "frameset": true, "object": true, "embed": true,
	"applet": true, "portal": true, "base": true, "meta": true, "link": true,
	"style": true, "form": true, "template": true,
}

// The states of the tag reader.
const (
	tagText      = iota
	tagOpen      // after '<'
	tagName      // in the tag's name
	tagAttrs     // between attributes
	tagAttrName  // in an attribute's name
	tagAfterName // after an attribute's name
	tagValue     // before an attribute's value
	tagQuoted    // in a quoted value
	tagUnquoted  // in an unquoted value
)

// Write implements io.Writer; it never fails.
func (m *markupScanner) Write(p []byte) (int, error) {
	for i, c := range p {
		if m.found != "" {
			break
		}
		m.byte(lower(c), m.pos+int64(i))
	}
	m.pos += int64(len(p))
	return len(p), nil
}

// end ends the text: an opener cut by the end of the file counts.
func (m *markupScanner) end() {
	if m.found == "" && m.opening {
		m.checkOpener(0, m.pos)
	}
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' }

func (m *markupScanner) byte(c byte, at int64) {
	m.openerByte(c, at)
	m.tagByte(c, at)
	m.scheme(c, at)
}

func (m *markupScanner) report(what string, at int64) {
	if m.found == "" {
		m.found, m.at = what, at
	}
}

// openerByte reads what follows each '<': an element name, "?php",
// "!doctype".
func (m *markupScanner) openerByte(c byte, at int64) {
	if m.opening {
		if m.on < len(m.opener) && m.openerChar(c) {
			m.opener[m.on] = c
			m.on++
		} else {
			m.checkOpener(c, at)
		}
	}
	if c == '<' {
		m.opening, m.on = true, 0
	}
}

// openerChar reports whether c goes on the opener being read.
func (m *markupScanner) openerChar(c byte) bool {
	if m.on == 0 && (c == '/' || c == '?' || c == '!') {
		return true
	}
	return isLetter(c) || '0' <= c && c <= '9'
}

// checkOpener judges the bytes after a '<', ended by c at at.
func (m *markupScanner) checkOpener(c byte, at int64) {
	m.opening = false
	o := m.opener[:m.on]
	start := at - int64(len(o)) - 1
	switch {
	case len(o) == 0:
	case o[0] == '?':
		if bytes.HasPrefix(o, []byte("?php")) || len(o) == 1 && (c == '=' || isSpace(c)) {
			m.report("PHP code (<?)", start)
		}
	case o[0] == '!':
		if bytes.HasPrefix(o, []byte("!doctype")) {
			m.report("a document type (<!doctype)", start)
		}
	case dangerousElements[string(bytes.TrimPrefix(o, []byte("/")))]:
		m.report("HTML markup (<"+string(o)+")", start)
	}
}

// tagByte follows tags and their attributes for event handlers.
func (m *markupScanner) tagByte(c byte, at int64) {
	switch m.tag {
	case tagOpen:
		m.tag = tagText
		if isLetter(c) {
			m.tag = tagName
		}
	case tagName:
		switch {
		case isSpace(c) || c == '/':
			m.tag = tagAttrs
		case !isLetter(c) && !('0' <= c && c <= '9') && c != '-':
			m.tag = tagText
		}
	case tagAttrs, tagAfterName:
		switch {
		case c == '>':
			m.tag = tagText
		case c == '=' && m.tag == tagAfterName:
			m.attribute(at)
		case isSpace(c) || c == '/' || c == '"' || c == '\'' || c == '=':
		default:
			m.tag, m.an, m.letters = tagAttrName, 0, true
			m.attrByte(c)
		}
	case tagAttrName:
		switch {
		case c == '=':
			m.attribute(at)
		case isSpace(c):
			m.tag = tagAfterName
		case c == '>':
			m.tag = tagText
		case c == '/':
			m.tag = tagAttrs
		default:
			m.attrByte(c)
		}
	case tagValue:
		switch {
		case c == '"' || c == '\'':
			m.tag, m.quote = tagQuoted, c
		case c == '>':
			m.tag = tagText
		case !isSpace(c):
			m.tag = tagUnquoted
		}
	case tagQuoted:
		if c == m.quote {
			m.tag = tagAttrs
		}
	case tagUnquoted:
		if isSpace(c) {
			m.tag = tagAttrs
		} else if c == '>' {
			m.tag = tagText
		}
	}
	if c == '<' && m.tag != tagQuoted {
		m.tag = tagOpen
	}
}

// attrByte takes a byte of an attribute name.
func (m *markupScanner) attrByte(c byte) {
	if m.an < len(m.attr) {
		m.attr[m.an] = c
	}
	m.an++
	m.letters = m.letters && isLetter(c)
}

// attribute judges an attribute name followed by '='.
func (m *markupScanner) attribute(at int64) {
	m.tag = tagValue
	if m.letters && m.an > 2 && m.attr[0] == 'o' && m.attr[1] == 'n' {
		m.report("an event-handler attribute (on…=)", at)
	}
}

// scheme looks for javascript: and vbscript: where a URL would start.
func (m *markupScanner) scheme(c byte, at int64) {
	if c == '\t' || c == '\n' || c == '\r' {
		return
	}
	if c == ':' {
		for _, s := range []string{"javascript", "vbscript"} {
			if m.endsWith(s) && m.urlBefore(len(s)) {
				m.report("a "+s+": URL", at-int64(len(s)))
			}
		}
	}
	m.ring[m.rn%len(m.ring)] = c
	m.rn++
}

// back returns the byte i places before the newest in the ring (0: the
// newest), or 0 past what is kept.
func (m *markupScanner) back(i int) byte {
	if i >= m.rn || i >= len(m.ring) {
		return 0
	}
	return m.ring[(m.rn-1-i)%len(m.ring)]
}

func (m *markupScanner) endsWith(s string) bool {
	for i := range len(s) {
		if m.back(i) != s[len(s)-1-i] {
			return false
		}
	}
	return true
}

// urlBefore reports whether what comes before the last n bytes, past
// spaces, is where a URL starts: ( < " ' = or "]:", or the start of the
// file.
func (m *markupScanner) urlBefore(n int) bool {
	i := n
	for m.back(i) == ' ' || m.back(i) == '\f' {
		i++
	}
	switch c := m.back(i); {
	case i >= m.rn:
		return true
	case c == '(' || c == '<' || c == '"' || c == '\'' || c == '=':
		return true
	case c == ':':
		return m.back(i+1) == ']'
	}
	return false
}
