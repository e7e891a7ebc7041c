package sniff

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"

	"picpipe"
)

// FileType is an accepted general file type: what POST /v1/files stores as
// it is.
type FileType struct {
	// MIME is the media type the file is served with.
	MIME string
	// Ext is the canonical extension, with its dot.
	Ext string
	// Image tells the image types, served inline; the others are served as
	// attachments.
	Image bool
}

// The accepted general file types (the Picklyone allow-list).
var (
	FileJPEG     = FileType{MIME: "image/jpeg", Ext: ".jpg", Image: true}
	FilePNG      = FileType{MIME: "image/png", Ext: ".png", Image: true}
	FileGIF      = FileType{MIME: "image/gif", Ext: ".gif", Image: true}
	FileWebP     = FileType{MIME: "image/webp", Ext: ".webp", Image: true}
	FilePDF      = FileType{MIME: "application/pdf", Ext: ".pdf"}
	FileText     = FileType{MIME: "text/plain", Ext: ".txt"}
	FileCSV      = FileType{MIME: "text/csv", Ext: ".csv"}
	FileMarkdown = FileType{MIME: "text/markdown", Ext: ".md"}
	FileJSON     = FileType{MIME: "application/json", Ext: ".json"}
)

const acceptedFiles = "jpeg, png, gif, webp, pdf, txt, csv, md, json"

// fileTypes lists the accepted general file types.
var fileTypes = []FileType{FileJPEG, FilePNG, FileGIF, FileWebP, FilePDF, FileText, FileCSV, FileMarkdown, FileJSON}

// FileTypeOf returns the accepted file type served as mime, or false.
func FileTypeOf(mime string) (FileType, bool) {
	for _, t := range fileTypes {
		if t.MIME == mime {
			return t, true
		}
	}
	return FileType{}, false
}

// fileExtensions maps the extensions a file may have to its type.
var fileExtensions = map[string]FileType{
	".jpg": FileJPEG, ".jpeg": FileJPEG, ".jpe": FileJPEG, ".jfif": FileJPEG,
	".png": FilePNG, ".gif": FileGIF, ".webp": FileWebP, ".pdf": FilePDF,
	".txt": FileText, ".text": FileText, ".log": FileText,
	".csv": FileCSV, ".md": FileMarkdown, ".markdown": FileMarkdown, ".json": FileJSON,
}

// refusedExtensions are refused whatever the bytes say: executables,
// scripts, markup a browser would run, and archives.
var refusedExtensions = map[string]bool{
	".exe": true, ".bat": true, ".cmd": true, ".com": true, ".scr": true, ".msi": true, ".dll": true,
	".js": true, ".mjs": true, ".cjs": true, ".vbs": true, ".ps1": true, ".sh": true, ".php": true,
	".jar": true, ".apk": true, ".app": true, ".html": true, ".htm": true, ".xhtml": true,
	".svg": true, ".svgz": true, ".xml": true, ".zip": true, ".rar": true, ".7z": true,
	".tar": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true,
}

// File checks a general file: its extension must not be a refused one, its
// first bytes must be an accepted type, and its extension (if any) must
// name that type. Binary types are told by their magic bytes; a text file
// must be UTF-8 text that is not markup or a script, and its extension
// says which text type it is (csv, md, json; txt or none for plain text; a
// .json file must also look like JSON). Refusals are *picpipe.Error with
// code unsupported_format.
func File(header []byte, filename string) (FileType, error) {
	if len(header) > HeaderSize {
		header = header[:HeaderSize]
	}
	ext := extension(filename)
	if refusedExtensions[ext] {
		return FileType{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "files ending in %s are refused", ext)
	}
	if len(header) == 0 {
		return FileType{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "the file is empty")
	}
	m := mimetype.Detect(header)
	t, ok := binaryType(m)
	if !ok {
		var err error
		if t, err = textType(header, m, ext); err != nil {
			return FileType{}, err
		}
	}
	if ext != "" && fileExtensions[ext] != t {
		return FileType{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the file extension %q does not match the file content (%s)", ext, t.MIME)
	}
	return t, nil
}

func binaryType(m *mimetype.MIME) (FileType, bool) {
	for _, t := range fileTypes {
		if (t.Image || t == FilePDF) && m.Is(t.MIME) {
			return t, true
		}
	}
	return FileType{}, false
}

// textType accepts UTF-8 text that mimetype does not take for markup or a
// script, typed by its extension.
func textType(header []byte, m *mimetype.MIME, ext string) (FileType, error) {
	detected := mediaType(m)
	if !strings.HasPrefix(detected, "text/") && detected != "application/json" {
		return FileType{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the file content is %s, which is not an accepted file type (%s)", detected, acceptedFiles)
	}
	if !isText(header) || m.Is("text/html") || m.Is("text/xml") || m.Is("image/svg+xml") ||
		m.Is("text/javascript") || m.Is("text/x-php") || m.Is("text/x-shellscript") ||
		m.Is("text/x-python") || m.Is("text/x-perl") || m.Is("text/x-lua") || m.Is("text/x-tcl") {
		return FileType{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the file content is %s, which is not an accepted file type (%s)", detected, acceptedFiles)
	}
	switch t := fileExtensions[ext]; t {
	case FileCSV, FileMarkdown:
		return t, nil
	case FileJSON:
		if first := firstNonSpace(header); first != '{' && first != '[' {
			return FileType{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "the .json file does not hold a JSON object or array")
		}
		return t, nil
	}
	if m.Is("application/json") {
		return FileJSON, nil
	}
	return FileText, nil
}

// isText reports whether b is UTF-8 without NULs or other C0 controls but
// tab, newline, carriage return and form feed. A multi-byte character cut
// at the end of the header is fine.
func isText(b []byte) bool {
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		b = b[3:]
	}
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

func firstNonSpace(b []byte) byte {
	for _, c := range bytes.TrimLeft(b, " \t\r\n\xef\xbb\xbf") {
		return c
	}
	return 0
}
