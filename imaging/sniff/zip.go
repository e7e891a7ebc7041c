package sniff

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// A zip archive is a series of local file entries, each a 30-byte header,
// the entry's name, an extra field and its data. Office Open XML (DOCX,
// XLSX, PPTX), OpenDocument, EPUB and Java archives are all zip archives;
// they are told apart by the names of their first entries.

var (
	zipLocal = []byte("PK\x03\x04")
	zipEmpty = []byte("PK\x05\x06")           // the end record alone: an empty archive
	zipSpan  = []byte("PK\x07\x08PK\x03\x04") // a single-segment "spanned" archive
)

// maxZipped is how many entries zipNames reads at most.
const maxZipped = 64

// ooxmlFirst are the parts an Office Open XML package starts with: Word,
// Excel, PowerPoint, LibreOffice and python-docx each write one of them
// first. A "/" suffix matches a folder.
var ooxmlFirst = []string{"[Content_Types].xml", "_rels/", "docProps/", "customXml/", "[trash]/"}

// ooxmlApps name a package by the folder of its main part.
var ooxmlApps = []struct{ folder, what string }{
	{"word/", TypeDOCX.MIME()},
	{"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
	{"visio/", "application/vnd.ms-visio.drawing.main+xml"},
}

// detectZip classifies a zip archive: DOCX when it is an Office Open XML
// package with word/ parts, ZIP when it is no package at all. Other
// packages are Unknown: other OOXML by its main folder, and OpenDocument,
// EPUB, Java and Android archives and the like as mimetype names them
// (mimetype's own DOCX, XLSX and PPTX answers are not used: it searches
// for entry signatures anywhere, so a zip that stores a .docx uncompressed
// would pass for one).
func detectZip(h []byte) (Type, string, bool) {
	start := 0
	switch {
	case bytes.HasPrefix(h, zipSpan):
		start = 4
	case !bytes.HasPrefix(h, zipLocal) && !bytes.HasPrefix(h, zipEmpty):
		return Unknown, "", false
	}
	names := zipNames(h[start:])
	if len(names) > 0 && isOOXMLStart(names[0]) {
		what := ooxmlKind(names)
		if what == TypeDOCX.MIME() {
			return TypeDOCX, what, true
		}
		return Unknown, what, true
	}
	if m := mimetype.Detect(h); !m.Is("application/zip") && !isOOXMLMIME(m) {
		return Unknown, mediaType(m), true
	}
	return TypeZIP, TypeZIP.MIME(), true
}

func isOOXMLStart(name string) bool {
	for _, p := range ooxmlFirst {
		if name == p || strings.HasSuffix(p, "/") && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ooxmlKind names a package by the first entry in a main folder.
func ooxmlKind(names []string) string {
	for _, n := range names {
		for _, app := range ooxmlApps {
			if strings.HasPrefix(n, app.folder) {
				return app.what
			}
		}
	}
	return "an Office Open XML package whose main part is past the first 4 KB"
}

func isOOXMLMIME(m *mimetype.MIME) bool {
	for _, app := range ooxmlApps {
		if m.Is(app.what) {
			return true
		}
	}
	return false
}

// zipNames returns the names of the local entries that start within h, in
// order, following each entry's sizes. An entry whose sizes follow its
// data (a data descriptor) or sit in a zip64 field is stepped over by
// finding the next entry's signature instead.
func zipNames(h []byte) []string {
	var names []string
	for off := 0; off+30 <= len(h) && bytes.HasPrefix(h[off:], zipLocal) && len(names) < maxZipped; {
		e := h[off:]
		flags, size := binary.LittleEndian.Uint16(e[6:]), binary.LittleEndian.Uint32(e[18:])
		nameEnd := 30 + int(binary.LittleEndian.Uint16(e[26:]))
		if nameEnd > len(e) {
			break
		}
		names = append(names, string(e[30:nameEnd]))
		data := nameEnd + int(binary.LittleEndian.Uint16(e[28:]))
		if flags&0x08 == 0 && size != 0xffffffff {
			off += data + int(size)
			continue
		}
		next := bytes.Index(e[min(data, len(e)):], zipLocal)
		if next < 0 {
			break
		}
		off += min(data, len(e)) + next
	}
	return names
}
