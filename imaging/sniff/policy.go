package sniff

import (
	"slices"
	"strings"

	"picpipe"
)

// Policy is the allow-list of one way in: a set of types from the table,
// and the extensions it refuses whatever the bytes. The zero Policy allows
// nothing.
type Policy struct {
	name    string
	allowed uint64 // bit t set: Type t is allowed
	refused map[string]bool
}

// Name is the name p is known by to PolicyNamed ("" for a policy made
// with NewPolicy and not one of picpipe's own).
func (p Policy) Name() string { return p.name }

// PolicyNamed returns picpipe's policy named name: the name a file's row
// keeps, so that work done later (a URL fetched by a worker) admits what
// the way in that asked for it admits. "" is FilesPolicy, the default of
// general files.
func PolicyNamed(name string) (*Policy, bool) {
	if name == "" {
		return &FilesPolicy, true
	}
	for _, p := range []*Policy{&ImagePolicy, &FilesPolicy, &APIMartPolicy, &AgentPolicy, &KIEPolicy} {
		if p.name == name {
			return p, true
		}
	}
	return nil, false
}

// named returns p called name.
func (p Policy) named(name string) Policy {
	p.name = name
	return p
}

// NewPolicy returns a Policy allowing types and refusing files whose
// extension (lower-case, with its dot) is one of refusedExts.
func NewPolicy(types []Type, refusedExts ...string) Policy {
	p := Policy{refused: map[string]bool{}}
	for _, t := range types {
		if t > Unknown && t < numTypes {
			p.allowed |= 1 << t
		}
	}
	for _, ext := range refusedExts {
		p.refused[strings.ToLower(ext)] = true
	}
	return p
}

// Allows reports whether p accepts content of type t.
func (p Policy) Allows(t Type) bool { return t > Unknown && p.allowed&(1<<t) != 0 }

// Refuses reports whether p refuses a file whose extension is ext (with its
// dot, any case) whatever its content.
func (p Policy) Refuses(ext string) bool { return p.refused[strings.ToLower(ext)] }

// Types returns the types p allows, in table order.
func (p Policy) Types() []Type {
	return slices.DeleteFunc(Types(), func(t Type) bool { return !p.Allows(t) })
}

// String lists the names of the allowed types: "jpeg, png, gif, webp".
func (p Policy) String() string { return names(p.Types()) }

// Check decides a file from header (its first bytes, possibly fewer than
// HeaderSize for tiny files; no more than HeaderSize are read) and its
// name: the extension must not be refused, the content must be of an
// allowed type (see Detect), and the extension, if there is one, must name
// that type. Only the last path element of filename counts, with either
// slash as separator; extensions are compared case-insensitively, and a
// name without one is judged on its content alone.
//
// Check returns picpipe.ErrEmptyFile for an empty header (whose name is
// not refused), and otherwise a *picpipe.Error with code
// picpipe.ECodeUnsupportedFormat naming what was found and what p
// allows, and never any other error.
func (p Policy) Check(header []byte, filename string) (FileType, error) {
	header = clip(header)
	ext := extension(filename)
	if p.refused[ext] {
		return FileType{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "files ending in %s are refused", ext)
	}
	if len(header) == 0 {
		return FileType{}, picpipe.ErrEmptyFile
	}
	t, what := detect(header, ext)
	if !p.Allows(t) {
		return FileType{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the file content is %s, which is not an accepted type (%s)", what, p)
	}
	if ext != "" && !slices.Contains(t.row().exts, ext) {
		return FileType{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the file extension %q does not match the file content (%s)", ext, t.MIME())
	}
	return t.FileType(), nil
}

// The extensions refused on every way in, whatever the bytes: programs,
// scripts and markup that a system or a browser would run.
var executableExts = []string{
	".exe", ".bat", ".cmd", ".com", ".scr", ".msi", ".dll",
	".js", ".mjs", ".cjs", ".vbs", ".ps1", ".sh", ".php",
	".jar", ".apk", ".app", ".html", ".htm", ".xhtml", ".xml",
}

// compressedExts are archives and compressed files that are not in the
// table (and so never accepted), named for FilesPolicy's refusal.
var compressedExts = []string{".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".svgz"}

// webImages are the raster types every browser shows.
var webImages = []Type{TypeJPEG, TypePNG, TypeGIF, TypeWebP}

// The policies of picpipe's ways in.
var (
	// ImagePolicy admits what the pipeline decodes: every raster type. It
	// refuses no extension outright; a wrong one fails to match.
	ImagePolicy = NewPolicy(TypesOf(ClassRaster)).named("image")

	// FilesPolicy is POST /v1/files and the Picklyone mount: the web
	// images, PDF and the text types; programs, scripts, markup, SVG and
	// archives (those of the table and the compressed formats it lacks)
	// are refused by extension.
	FilesPolicy = NewPolicy(slices.Concat(webImages, []Type{TypePDF}, TypesOf(ClassText)),
		slices.Concat(executableExts, compressedExts, extsOf(TypesOf(ClassVector, ClassArchive)))...).named("files")

	// PicklyonePolicy is FilesPolicy: the Picklyone mount keeps the
	// allow-list and the refusals of POST /v1/files, which it documents.
	PicklyonePolicy = FilesPolicy

	// APIMartPolicy is the APIMart mount: JPEG, PNG, GIF and WebP only.
	APIMartPolicy = NewPolicy(webImages, executableExts...).named("apimart")

	// AgentPolicy is the Agent-header mount, with the seed's list:
	// images (jpg, jpeg, png, gif, webp, svg), documents (pdf, doc, docx,
	// txt, md), audio (mp3, wav, ogg, flac), video (mp4, avi, mov, wmv)
	// and archives (zip, rar, 7z). AVIF, HEIC, CSV and JSON are not on it.
	AgentPolicy = NewPolicy(slices.Concat(webImages, []Type{
		TypeSVG, TypePDF, TypeDOC, TypeDOCX, TypeText, TypeMarkdown,
		TypeMP3, TypeWAV, TypeOGG, TypeFLAC, TypeMP4, TypeAVI, TypeMOV, TypeWMV,
		TypeZIP, TypeRAR, Type7Z,
	}), executableExts...).named("agent")

	// KIEPolicy is the KIE mount. The seed only says that it recognises
	// the media type by itself; its uploads feed generation models, so it
	// takes every raster image, documents, text, audio and video, and
	// leaves out SVG (script-capable markup) and archives.
	KIEPolicy = NewPolicy(TypesOf(ClassRaster, ClassDocument, ClassText, ClassAudio, ClassVideo),
		executableExts...).named("kie")
)

// extsOf returns every extension of ts.
func extsOf(ts []Type) []string {
	var exts []string
	for _, t := range ts {
		exts = append(exts, t.row().exts...)
	}
	return exts
}
