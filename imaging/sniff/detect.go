package sniff

import (
	"bytes"
	"fmt"

	"github.com/gabriel-vasile/mimetype"
)

// Detect names the type of a file from header, its first bytes (no more
// than HeaderSize are read), and returns it with what describes the
// content for messages: the type's media type, with detail where the bytes
// offer it, or, for Unknown, what the content is instead (another media
// type, "an ISO media file with brands …", …). The extension of filename
// only chooses among the text types, which bytes cannot tell apart (a
// .csv file is CSV, a .md file Markdown); Policy.Check makes it agree with
// the content.
//
// Detection is by structure, family by family, in this order:
//
//   - ISO-BMFF (ftyp): AVIF and HEIC by their codec brands, MP4 and MOV by
//     the major brand; QuickTime atoms without an ftyp box are MOV.
//   - RIFF: WEBP, WAVE (WAV) and "AVI " with its hdrl list (AVI).
//   - An ID3 tag, then what follows it: MPEG audio (MP3) or fLaC (FLAC).
//   - OLE compound files: a Word document (DOC) when the first 4 KB show
//     it (see ole.go); Excel, PowerPoint, installers and the rest are not.
//   - Zip: Office Open XML with word/ parts (DOCX); other OOXML, OpenDocument,
//     EPUB and Java archives are their own types; the rest is ZIP.
//   - RAR 4 and 5, 7z, Ogg (Vorbis, Opus, FLAC or Speex audio), FLAC, ASF
//     (WMV) and MPEG audio frames (MP3), each checked past its magic.
//   - JPEG, PNG and GIF by their signatures, then PDF (%PDF- within the
//     first 1024 bytes, as readers allow).
//   - Text: SVG (well-formed XML whose root is an svg element in the SVG
//     namespace), then UTF-8 text that is not markup or a script: CSV,
//     Markdown or JSON as its extension says, else plain text (JSON when
//     it looks like JSON and has no extension).
func Detect(header []byte, filename string) (t Type, what string) {
	return detect(clip(header), extension(filename))
}

// A detector recognises one family of formats by its leading bytes. ok is
// false when the family's signature is absent. When it is present the
// family decides: t is the type the bytes hold, or Unknown with what
// saying what they are instead.
type detector func(h []byte) (t Type, what string, ok bool)

// detectors run in order; the first whose signature is present decides.
var detectors = []detector{
	detectFtyp, detectRIFF, detectID3, detectOLE, detectZip, detectRAR, detect7z,
	detectOgg, detectFLAC, detectASF, detectQuickTime, detectMP3, detectRaster,
}

func detect(h []byte, ext string) (Type, string) {
	for _, d := range detectors {
		if t, what, ok := d(h); ok {
			return t, what
		}
	}
	m := mimetype.Detect(h)
	if m.Is("application/pdf") {
		return TypePDF, TypePDF.MIME()
	}
	if t, what, ok := detectSVG(h, m); ok {
		return t, what
	}
	t, what := detectText(h, m, ext)
	if named, ok := TypeByMIME(what); ok && t == Unknown {
		// mimetype's looser signature check named a type our structural
		// checks refused: say so rather than name an accepted type.
		what = fmt.Sprintf("%s by its signature, but not a valid %s file", what, named.Name())
	}
	return t, what
}

// detectRaster recognises JPEG, PNG (APNG too) and GIF by their signatures.
func detectRaster(h []byte) (Type, string, bool) {
	var t Type
	switch {
	case bytes.HasPrefix(h, []byte("\xff\xd8\xff")):
		t = TypeJPEG
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n")):
		t = TypePNG
	case bytes.HasPrefix(h, []byte("GIF87a")), bytes.HasPrefix(h, []byte("GIF89a")):
		t = TypeGIF
	default:
		return Unknown, "", false
	}
	return t, t.MIME(), true
}
