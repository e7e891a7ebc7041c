package sniff

import (
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"picpipe"
)

// HeaderSize is how many leading bytes Image needs to decide: the read limit
// of the mimetype detector (4096 bytes). Image looks at no more than this;
// a shorter header (a tiny file) is fine.
const HeaderSize = 4096

// Format describes an accepted image input.
type Format struct {
	// Name is one of "jpeg", "png", "gif", "webp", "avif" and "heic" (which
	// stands for any HEVC-coded HEIF file).
	Name string
	// MIME is the media type of the input, e.g. "image/jpeg".
	MIME string
}

// The accepted input formats.
var (
	JPEG = Format{Name: "jpeg", MIME: "image/jpeg"}
	PNG  = Format{Name: "png", MIME: "image/png"}
	GIF  = Format{Name: "gif", MIME: "image/gif"}
	WebP = Format{Name: "webp", MIME: "image/webp"}
	AVIF = Format{Name: "avif", MIME: "image/avif"}
	HEIC = Format{Name: "heic", MIME: "image/heic"}
)

// accepted lists the format names for messages, in a stable order.
const accepted = "jpeg, png, gif, webp, avif, heic"

// extensions maps a lower-case file extension to the format it names.
var extensions = map[string]Format{
	".jpg": JPEG, ".jpeg": JPEG, ".jpe": JPEG, ".jfif": JPEG, ".pjpeg": JPEG, ".pjp": JPEG,
	".png":  PNG,
	".apng": PNG,
	".gif":  GIF,
	".webp": WebP,
	".avif": AVIF, ".avifs": AVIF,
	".heic": HEIC, ".heif": HEIC, ".heics": HEIC, ".heifs": HEIC, ".hif": HEIC,
}

// Image checks that header (the first bytes of a file, possibly fewer than
// HeaderSize for tiny files) is an accepted image input, and that the
// extension of filename, if it has one, names the same format. Extensions
// are compared case-insensitively; a filename without an extension is
// accepted on its magic bytes alone. Only the last path element of filename
// counts, with either slash as separator.
//
// Image returns a *picpipe.Error with code picpipe.ECodeUnsupportedFormat,
// naming the detected type, when the content is not an accepted image or the
// extension disagrees with it. It never returns any other error.
func Image(header []byte, filename string) (Format, error) {
	if len(header) > HeaderSize {
		header = header[:HeaderSize]
	}
	if len(header) == 0 {
		return Format{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the file is empty; accepted image types are %s", accepted)
	}
	f, detected, ok := detect(header)
	if !ok {
		return Format{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the file content is %s, which is not an accepted image type (%s)", detected, accepted)
	}
	if err := checkExtension(f, filename); err != nil {
		return Format{}, err
	}
	return f, nil
}

// detect returns the accepted format of header, or the detected media type
// (for the refusal message) and false.
func detect(header []byte) (Format, string, bool) {
	if isFtyp(header) {
		return detectFtyp(header)
	}
	m := mimetype.Detect(header)
	switch {
	case m.Is("image/jpeg"):
		return JPEG, m.String(), true
	case m.Is("image/png"), m.Is("image/vnd.mozilla.apng"):
		return PNG, m.String(), true
	case m.Is("image/gif"):
		return GIF, m.String(), true
	case m.Is("image/webp"):
		return WebP, m.String(), true
	}
	return Format{}, mediaType(m), false
}

// mediaType is the media type of m without parameters such as charset.
func mediaType(m *mimetype.MIME) string {
	s, _, _ := strings.Cut(m.String(), ";")
	return s
}

// checkExtension refuses a filename whose extension is not one of f's.
func checkExtension(f Format, filename string) error {
	ext := extension(filename)
	if ext == "" {
		return nil
	}
	if named, ok := extensions[ext]; ok && named == f {
		return nil
	}
	return picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
		"the file extension %q does not match the file content (%s)", ext, f.MIME)
}

// extension returns the lower-case extension of the last element of
// filename, "" if there is none. A trailing dot counts as none.
func extension(filename string) string {
	base := path.Base(strings.ReplaceAll(filename, `\`, "/"))
	if base == "." || base == "/" {
		return ""
	}
	ext := strings.ToLower(path.Ext(base))
	if ext == "." || ext == base {
		return "" // "photo." or ".hidden"
	}
	return ext
}
