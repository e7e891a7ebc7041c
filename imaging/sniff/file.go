package sniff

// FileType is a recognised file type as a stored file records it: what
// POST /v1/files and the compatible mounts store as it is.
type FileType struct {
	// Type is the row of the table; MIME, Ext and Image follow from it.
	Type Type
	// MIME is the media type the file is served with.
	MIME string
	// Ext is the canonical extension, with its dot.
	Ext string
	// Image tells the raster image types, served inline; every other type
	// is served as an attachment.
	Image bool
}

// The file types of the Picklyone allow-list (FilesPolicy), from the table.
var (
	FileJPEG     = TypeJPEG.FileType()
	FilePNG      = TypePNG.FileType()
	FileGIF      = TypeGIF.FileType()
	FileWebP     = TypeWebP.FileType()
	FilePDF      = TypePDF.FileType()
	FileText     = TypeText.FileType()
	FileCSV      = TypeCSV.FileType()
	FileMarkdown = TypeMarkdown.FileType()
	FileJSON     = TypeJSON.FileType()
)

// FileTypeOf returns the recognised file type served as mime (the media
// type a stored file recorded), or false.
func FileTypeOf(mime string) (FileType, bool) {
	t, ok := TypeByMIME(mime)
	if !ok {
		return FileType{}, false
	}
	return t.FileType(), true
}

// File checks a general file against FilesPolicy, the allow-list of
// POST /v1/files and of the Picklyone mount: JPEG, PNG, GIF, WebP, PDF,
// plain text, CSV, Markdown and JSON, with programs, scripts, markup, SVG
// and archives refused by extension whatever their bytes. See
// Policy.Check.
func File(header []byte, filename string) (FileType, error) {
	return FilesPolicy.Check(header, filename)
}
