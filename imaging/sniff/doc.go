// Package sniff decides from the first bytes of an upload what type of
// file it is, without decoding it, and whether a way in accepts it. It is
// pure Go (no cgo, no libvips) so that the API process can run it on a
// stream as it arrives.
//
// One table (table.go) states every type picpipe recognises: its name,
// media type, extensions (canonical first), class (raster image, vector,
// document, text, audio, video, archive) and, for the raster images the
// pipeline decodes, the libvips loader. Everything else follows from it:
// the Format values of the image pipeline, the FileType a stored file
// records, whether a file is served inline (raster images only; SVG,
// documents, audio, video and archives are attachments), and the Policy
// of each way in.
//
// Types are recognised by their bytes (see Detect): JPEG, PNG, GIF, WebP,
// AVIF, HEIC, SVG, PDF, DOC, DOCX, text (plain, CSV, Markdown, JSON), MP3,
// WAV, Ogg, FLAC, MP4, MOV, AVI, WMV, ZIP, RAR and 7z. Formats that share a
// container are told apart by its structure: ISO media brands (MP4, MOV,
// AVIF, HEIC), RIFF forms (WAV, AVI, WebP), zip entries (DOCX, XLSX, plain
// ZIP), OLE streams (DOC, XLS). A file's extension, if it has one, must
// name the type of its content.
//
// A Policy is a set of types plus the extensions it refuses whatever the
// bytes: ImagePolicy (the pipeline's inputs), FilesPolicy (POST /v1/files
// and the Picklyone mount), APIMartPolicy, AgentPolicy and KIEPolicy.
// Refusals are *picpipe.Error with code picpipe.ECodeUnsupportedFormat.
//
// Usage, on the first bytes of a stream:
//
//	head := make([]byte, sniff.HeaderSize)
//	n, err := io.ReadFull(r, head)
//	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
//		return err
//	}
//	t, err := sniff.AgentPolicy.Check(head[:n], "talk.mp3")
//	if err != nil {
//		return err // *picpipe.Error, code unsupported_format
//	}
//	fmt.Println(t.MIME, t.Ext, t.Image) // audio/mpeg .mp3 false
//
// Image(head, name) is ImagePolicy's check returning the image Format,
// and File(head, name) is FilesPolicy's.
//
// A sniff is a gate, not a proof: the worker still reads an image's header
// with libvips and decodes the whole file before anything is stored, and
// other types are stored as they are and served as attachments.
package sniff
