package sniff

import (
	"slices"
	"strings"
)

// Class is what kind of content a Type holds. It decides how a stored file
// is served: only ClassRaster is shown inline.
type Class uint8

// The classes of content.
const (
	ClassRaster   Class = iota + 1 // a raster image the pipeline decodes
	ClassVector                    // SVG: markup that can carry script
	ClassDocument                  // PDF and Word documents
	ClassText                      // plain text, CSV, Markdown, JSON
	ClassAudio
	ClassVideo
	ClassArchive
)

var classNames = [...]string{
	ClassRaster: "raster", ClassVector: "vector", ClassDocument: "document", ClassText: "text",
	ClassAudio: "audio", ClassVideo: "video", ClassArchive: "archive",
}

// String returns the class's name, e.g. "raster", or "" for the zero Class.
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return ""
}

// Type is one file type picpipe recognises by content: a row of the table
// below, from which its name, media type, extensions, class and libvips
// loader all follow. The zero Type is Unknown.
type Type uint8

// The recognised types, in the order the table lists them.
const (
	Unknown Type = iota
	TypeJPEG
	TypePNG
	TypeGIF
	TypeWebP
	TypeAVIF
	TypeHEIC
	TypeSVG
	TypePDF
	TypeDOC
	TypeDOCX
	TypeText
	TypeCSV
	TypeMarkdown
	TypeJSON
	TypeMP3
	TypeWAV
	TypeOGG
	TypeFLAC
	TypeMP4
	TypeMOV
	TypeAVI
	TypeWMV
	TypeZIP
	TypeRAR
	Type7Z
	numTypes
)

// row is what the table knows of a Type.
type row struct {
	name  string   // short name, for messages and Format.Name
	mime  string   // the media type it is served with
	exts  []string // lower-case, with the dot; the canonical one first
	class Class
	// loader is the part of the libvips loader class name that must open
	// a raster type, e.g. "Jpeg" for VipsForeignLoadJpegBuffer.
	loader string
}

// table is the one statement of every type picpipe recognises.
var table = [numTypes]row{
	TypeJPEG: {"jpeg", "image/jpeg", []string{".jpg", ".jpeg", ".jpe", ".jfif", ".pjpeg", ".pjp"}, ClassRaster, "Jpeg"},
	TypePNG:  {"png", "image/png", []string{".png", ".apng"}, ClassRaster, "Png"},
	TypeGIF:  {"gif", "image/gif", []string{".gif"}, ClassRaster, "Nsgif"},
	TypeWebP: {"webp", "image/webp", []string{".webp"}, ClassRaster, "Webp"},
	TypeAVIF: {"avif", "image/avif", []string{".avif", ".avifs"}, ClassRaster, "Heif"},
	// heic stands for any HEVC-coded HEIF file.
	TypeHEIC:     {"heic", "image/heic", []string{".heic", ".heif", ".heics", ".heifs", ".hif"}, ClassRaster, "Heif"},
	TypeSVG:      {"svg", "image/svg+xml", []string{".svg"}, ClassVector, ""},
	TypePDF:      {"pdf", "application/pdf", []string{".pdf"}, ClassDocument, ""},
	TypeDOC:      {"doc", "application/msword", []string{".doc"}, ClassDocument, ""},
	TypeDOCX:     {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", []string{".docx"}, ClassDocument, ""},
	TypeText:     {"txt", "text/plain", []string{".txt", ".text", ".log"}, ClassText, ""},
	TypeCSV:      {"csv", "text/csv", []string{".csv"}, ClassText, ""},
	TypeMarkdown: {"md", "text/markdown", []string{".md", ".markdown"}, ClassText, ""},
	TypeJSON:     {"json", "application/json", []string{".json"}, ClassText, ""},
	TypeMP3:      {"mp3", "audio/mpeg", []string{".mp3"}, ClassAudio, ""},
	TypeWAV:      {"wav", "audio/wav", []string{".wav"}, ClassAudio, ""},
	TypeOGG:      {"ogg", "audio/ogg", []string{".ogg", ".oga", ".opus"}, ClassAudio, ""},
	TypeFLAC:     {"flac", "audio/flac", []string{".flac"}, ClassAudio, ""},
	TypeMP4:      {"mp4", "video/mp4", []string{".mp4", ".m4v"}, ClassVideo, ""},
	TypeMOV:      {"mov", "video/quicktime", []string{".mov", ".qt"}, ClassVideo, ""},
	TypeAVI:      {"avi", "video/x-msvideo", []string{".avi"}, ClassVideo, ""},
	TypeWMV:      {"wmv", "video/x-ms-wmv", []string{".wmv", ".asf"}, ClassVideo, ""},
	TypeZIP:      {"zip", "application/zip", []string{".zip"}, ClassArchive, ""},
	TypeRAR:      {"rar", "application/vnd.rar", []string{".rar"}, ClassArchive, ""},
	Type7Z:       {"7z", "application/x-7z-compressed", []string{".7z"}, ClassArchive, ""},
}

// Derived lookups: the table read by extension, by media type and by name.
var (
	byExt  = indexBy(func(t Type) []string { return t.row().exts })
	byMIME = indexBy(func(t Type) []string { return []string{t.MIME()} })
	byName = indexBy(func(t Type) []string { return []string{t.Name()} })
)

// indexBy maps each of keys(t) to t, for every Type.
func indexBy(keys func(Type) []string) map[string]Type {
	m := map[string]Type{}
	for _, t := range Types() {
		for _, k := range keys(t) {
			m[k] = t
		}
	}
	return m
}

// Types returns every recognised Type, in table order.
func Types() []Type {
	ts := make([]Type, 0, numTypes-1)
	for t := Unknown + 1; t < numTypes; t++ {
		ts = append(ts, t)
	}
	return ts
}

// TypesOf returns the recognised types of the given classes, in table order.
func TypesOf(classes ...Class) []Type {
	var ts []Type
	for _, t := range Types() {
		if slices.Contains(classes, t.Class()) {
			ts = append(ts, t)
		}
	}
	return ts
}

func (t Type) row() row {
	if t < numTypes {
		return table[t]
	}
	return row{}
}

// Name returns t's short name, e.g. "jpeg", "docx", "7z"; "" for Unknown.
func (t Type) Name() string { return t.row().name }

// String returns t's name, or "unknown".
func (t Type) String() string {
	if t.Name() == "" {
		return "unknown"
	}
	return t.Name()
}

// MIME returns the media type t is served with, e.g. "audio/mpeg".
func (t Type) MIME() string { return t.row().mime }

// Ext returns t's canonical extension with its dot, e.g. ".jpg".
func (t Type) Ext() string {
	if exts := t.row().exts; len(exts) > 0 {
		return exts[0]
	}
	return ""
}

// Exts returns every extension that names t, canonical first.
func (t Type) Exts() []string { return slices.Clone(t.row().exts) }

// Class returns what kind of content t holds.
func (t Type) Class() Class { return t.row().class }

// Inline reports whether a file of type t may be shown inline by a
// browser: raster images only. Everything else (SVG included) is served as
// an attachment.
func (t Type) Inline() bool { return t.Class() == ClassRaster }

// Loader returns the part of the libvips loader class name that must open
// a raster type, e.g. "Jpeg"; "" for types the pipeline does not decode.
func (t Type) Loader() string { return t.row().loader }

// FileType returns t as the FileType a stored file records.
func (t Type) FileType() FileType {
	return FileType{Type: t, MIME: t.MIME(), Ext: t.Ext(), Image: t.Inline()}
}

// Format returns t as an image Format, or the zero Format when t is not a
// raster type the pipeline decodes.
func (t Type) Format() Format {
	if t.Class() != ClassRaster {
		return Format{}
	}
	return Format{Name: t.Name(), MIME: t.MIME()}
}

// TypeByExt returns the Type that ext (with its dot, any case) names.
func TypeByExt(ext string) (Type, bool) {
	t, ok := byExt[strings.ToLower(ext)]
	return t, ok
}

// TypeByMIME returns the Type served as mime, e.g. "image/png".
func TypeByMIME(mime string) (Type, bool) {
	t, ok := byMIME[mime]
	return t, ok
}

// TypeByName returns the Type called name, e.g. "webp".
func TypeByName(name string) (Type, bool) {
	t, ok := byName[name]
	return t, ok
}

// names lists the names of ts for messages: "jpeg, png, gif".
func names(ts []Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.Name()
	}
	return strings.Join(s, ", ")
}
