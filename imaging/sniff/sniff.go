package sniff

import (
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"picpipe"
)

// HeaderSize is how many leading bytes a sniff needs to decide: the read
// limit of the mimetype detector (4096 bytes). Nothing here looks at more
// than this; a shorter header (a tiny file) is fine.
const HeaderSize = 4096

// Format describes an image input the pipeline decodes: a raster Type.
type Format struct {
	// Name is one of "jpeg", "png", "gif", "webp", "avif" and "heic" (which
	// stands for any HEVC-coded HEIF file).
	Name string
	// MIME is the media type of the input, e.g. "image/jpeg".
	MIME string
}

// The accepted input formats, from the table.
var (
	JPEG = TypeJPEG.Format()
	PNG  = TypePNG.Format()
	GIF  = TypeGIF.Format()
	WebP = TypeWebP.Format()
	AVIF = TypeAVIF.Format()
	HEIC = TypeHEIC.Format()
)

// Type returns the row of the table that f is, or Unknown.
func (f Format) Type() Type {
	if t, ok := TypeByName(f.Name); ok && t.Class() == ClassRaster {
		return t
	}
	return Unknown
}

// Loader returns the part of the libvips loader class name that must open
// f, e.g. "Jpeg" for VipsForeignLoadJpegBuffer; "" for the zero Format.
func (f Format) Loader() string { return f.Type().Loader() }

// Image checks that header (the first bytes of a file, possibly fewer than
// HeaderSize for tiny files) is an image the pipeline decodes (a type of
// ClassRaster), and that the extension of filename, if it has one, names
// the same type. Extensions are compared case-insensitively; a filename
// without an extension is accepted on its magic bytes alone. Only the last
// path element of filename counts, with either slash as separator.
//
// Image returns a *picpipe.Error with code picpipe.ECodeUnsupportedFormat,
// naming the detected type, when the content is not an accepted image or
// the extension disagrees with it. It never returns any other error.
func Image(header []byte, filename string) (Format, error) {
	t, err := ImagePolicy.Check(header, filename)
	return t.Type.Format(), err
}

// clip cuts header to HeaderSize.
func clip(header []byte) []byte {
	if len(header) > HeaderSize {
		return header[:HeaderSize]
	}
	return header
}

// mediaType is the media type of m without parameters such as charset.
func mediaType(m *mimetype.MIME) string {
	s, _, _ := strings.Cut(m.String(), ";")
	return s
}

// extension returns the lower-case extension of filename as picpipe keeps
// it (picpipe.CleanName: the last path element, format characters
// dropped, trailing dots and spaces trimmed, so "x.php." ends in .php), ""
// if there is none.
func extension(filename string) string {
	base := picpipe.CleanName(filename)
	ext := strings.ToLower(path.Ext(base))
	if ext == base {
		return "" // ".hidden"
	}
	return ext
}
