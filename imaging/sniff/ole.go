package sniff

import (
	"bytes"
	"encoding/binary"

	"github.com/gabriel-vasile/mimetype"
)

// Word 97–2003 documents (.doc) are OLE compound files: a 512-byte header,
// then sectors holding a FAT, a directory of streams, and the streams. The
// document is the stream named WordDocument; Excel, PowerPoint, Outlook
// and Windows Installer files are compound files too. The directory may
// lie anywhere in the file, so the first 4 KB do not always show which
// streams there are. A file is taken for a Word document when its first
// 4 KB show one of:
//
//   - a directory that mimetype can read (its CDF parser follows the
//     directory and the summary streams, and falls back to the class ID of
//     the root storage) naming it a Word document;
//   - the layout of Word's own saves: the WordDocument stream in sector 0,
//     right after the header, starting with a FIB whose magic is 0xA5EC
//     (Word 97 and later) or 0xA5DC (Word 6 and 95);
//   - a CompObj stream, which LibreOffice writes early in the file, naming
//     the Word class ID {00020906-…} (Word 97) or {00020900-…} (Word 6).
//
// Any other compound file is refused: what mimetype names (an Excel or
// PowerPoint file, an installer, an Outlook message), or a compound file
// that is not recognisably a Word document from its first 4 KB; a Word
// document saved with 4096-byte sectors whose directory lies further on
// is among those.

var (
	oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
	// compObjHeader starts a CompObj stream: version, byte order, format
	// version and -1; the class ID follows.
	compObjHeader = []byte("\x01\x00\xfe\xff\x03\x0a\x00\x00\xff\xff\xff\xff")
	wordClassIDs  = [][]byte{
		[]byte("\x06\x09\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"), // Word.Document.8
		[]byte("\x00\x09\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"), // Word.Document.6
	}
)

// detectOLE classifies an OLE compound file: DOC or Unknown.
func detectOLE(h []byte) (Type, string, bool) {
	if !bytes.HasPrefix(h, oleMagic) {
		return Unknown, "", false
	}
	m := mimetype.Detect(h)
	switch {
	case m.Is(TypeDOC.MIME()):
		return TypeDOC, TypeDOC.MIME(), true
	case !m.Is("application/x-ole-storage"):
		return Unknown, mediaType(m), true
	case wordFIB(h):
		return TypeDOC, TypeDOC.MIME() + " (a FIB in sector 0)", true
	case wordCompObj(h):
		return TypeDOC, TypeDOC.MIME() + " (a Word CompObj stream)", true
	}
	return Unknown, "application/x-ole-storage (a compound file whose first 4 KB do not show a Word document)", true
}

// wordFIB reports whether sector 0 of a file with 512-byte sectors holds
// the start of a Word FIB, and not the FAT or the directory (the header
// names the sectors of both).
func wordFIB(h []byte) bool {
	if len(h) < 516 || binary.LittleEndian.Uint16(h[30:]) != 9 {
		return false
	}
	firstDir, firstFAT := binary.LittleEndian.Uint32(h[48:]), binary.LittleEndian.Uint32(h[76:])
	if firstDir == 0 || firstFAT == 0 {
		return false
	}
	ident, nFib := binary.LittleEndian.Uint16(h[512:]), binary.LittleEndian.Uint16(h[514:])
	return ident == 0xa5ec && nFib >= 0xc1 || ident == 0xa5dc && nFib >= 0x65
}

// wordCompObj reports whether h holds a CompObj stream with a Word class
// ID, past the 512-byte header.
func wordCompObj(h []byte) bool {
	for i := 512; i < len(h); {
		j := bytes.Index(h[i:], compObjHeader)
		if j < 0 {
			return false
		}
		clsid := h[i+j+len(compObjHeader):]
		for _, id := range wordClassIDs {
			if bytes.HasPrefix(clsid, id) {
				return true
			}
		}
		i += j + 1
	}
	return false
}
