package strip

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"

	"picpipe"
	"picpipe/imaging/sniff"
)

// What Strip removes, as named in Result.Removed.
const (
	// KindEXIF is EXIF/TIFF metadata: camera make, model and serial
	// number, GPS position, dates, maker notes and EXIF thumbnails.
	KindEXIF = "EXIF"
	// KindXMP is XMP metadata, including JPEG extended XMP.
	KindXMP = "XMP"
	// KindIPTC is IPTC metadata and other Photoshop image resources.
	KindIPTC = "IPTC"
	// KindComment is free text: JPEG COM segments, GIF comment extensions
	// and PNG text chunks that are not EXIF, XMP or IPTC in disguise.
	KindComment = "Comment"
	// KindThumbnail is a preview image outside EXIF (JFIF and JFXX).
	KindThumbnail = "Thumbnail"
	// KindTrailer is data after the end of the image: MPF secondary
	// images, vendor trailers, polyglot payloads.
	KindTrailer = "Trailer"
	// KindOther is any other vendor or private metadata: unknown APPn
	// segments, PNG and RIFF chunks, GIF extensions, HEIF items and boxes.
	KindOther = "Other"
)

// Result tells what Strip did.
type Result struct {
	// Removed lists the kinds of metadata removed (the Kind constants),
	// each once, in the order of kindOrder. It is empty when the file
	// carried none.
	Removed []string
	// Orientation is the EXIF orientation (2 to 8) that Strip wrote back
	// into a minimal EXIF block so that the image displays as before, or
	// 0 when it wrote none: the source had no orientation or the normal
	// one (1), or it is HEIF, whose irot and imir properties are kept.
	Orientation int
}

// kindOrder is the order of Result.Removed.
var kindOrder = []string{KindEXIF, KindXMP, KindIPTC, KindComment, KindThumbnail, KindOther, KindTrailer}

// removed records that metadata of kind was dropped, keeping Removed in
// kindOrder.
func (r *Result) removed(kind string) {
	if slices.Contains(r.Removed, kind) {
		return
	}
	r.Removed = append(r.Removed, kind)
	slices.SortFunc(r.Removed, func(a, b string) int {
		return slices.Index(kindOrder, a) - slices.Index(kindOrder, b)
	})
}

// Strip copies the image in src to dst without its metadata, losslessly:
// the coded pixels are copied byte for byte and never decoded. format is
// the sniffed type of src, the Name of a sniff.Format: "jpeg", "png",
// "webp", "gif", "heic" or "avif". What each format keeps and drops is
// described in the package documentation.
//
// Strip reads src from its start, whatever its current offset, and never
// holds more than a few buffers of it in memory: payloads are copied in
// pieces, and WebP and HEIF are read twice (structure, then copy) through
// src's Seek.
//
// A src that is not a well-formed file of the named format gives a
// *picpipe.Error with code picpipe.ECodeDecodeFailed (truncated, corrupt)
// or picpipe.ECodeUnsupportedFormat (an unknown format name, or a
// HEIF construction Strip cannot clean safely); an empty src gives
// picpipe.ErrEmptyFile. A failure to read src or
// write dst is returned wrapped, as an internal error. After an error,
// dst holds a partial image that must be discarded.
func Strip(dst io.Writer, src io.ReadSeeker, format string) (Result, error) {
	strip, ok := strippers[format]
	if !ok {
		return Result{}, picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "no metadata stripper for format %q", format)
	}
	size, err := src.Seek(0, io.SeekEnd)
	if err == nil && size == 0 {
		return Result{}, picpipe.ErrEmptyFile
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return Result{}, fmt.Errorf("strip: seeking the source: %w", err)
	}
	var res Result
	// Writes to w are checked at Flush: a bufio.Writer keeps its first
	// error and refuses every later write.
	w := bufio.NewWriterSize(dst, bufferSize)
	if err := strip(w, src, &res); err != nil {
		return Result{}, readError(format, err)
	}
	if err := w.Flush(); err != nil {
		return Result{}, fmt.Errorf("strip: writing: %w", err)
	}
	return res, nil
}

// bufferSize is the size of the read and write buffers.
const bufferSize = 64 << 10

// A stripper copies src to w without metadata, noting in res what it drops.
type stripper func(w *bufio.Writer, src io.ReadSeeker, res *Result) error

// strippers maps each sniffed format name to its stripper.
var strippers = map[string]stripper{
	sniff.JPEG.Name: stripJPEG,
	sniff.PNG.Name:  stripPNG,
	sniff.GIF.Name:  stripGIF,
	sniff.WebP.Name: stripWebP,
	sniff.HEIC.Name: stripISOBMFF(sniff.HEIC.Name),
	sniff.AVIF.Name: stripISOBMFF(sniff.AVIF.Name),
}

// malformed returns the error for a src that breaks its format's rules.
func malformed(format, msg string, args ...any) error {
	return picpipe.Errorf(picpipe.ECodeDecodeFailed, "the %s file is malformed: "+msg, append([]any{format}, args...)...)
}

// unsupported returns the error for a well-formed src that Strip cannot
// clean without risking the image.
func unsupported(format, msg string, args ...any) error {
	return picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "the %s file cannot be stripped of its metadata: "+msg, append([]any{format}, args...)...)
}

// readError turns the end of src met too early into a malformed-file
// error and wraps any other error that is not already a *picpipe.Error.
func readError(format string, err error) error {
	var pe *picpipe.Error
	switch {
	case errors.As(err, &pe):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return malformed(format, "it is truncated")
	default:
		return fmt.Errorf("strip: %s: %w", format, err)
	}
}

// hasMore reports whether r has at least one more byte.
func hasMore(r *bufio.Reader) bool {
	_, err := r.Peek(1)
	return err == nil
}

// discard skips n bytes of r.
func discard(r *bufio.Reader, n int64) error {
	for n > 0 {
		step := min(n, bufferSize)
		if _, err := r.Discard(int(step)); err != nil {
			return err
		}
		n -= step
	}
	return nil
}

// copyN copies exactly n bytes from r to w; a short source gives
// io.ErrUnexpectedEOF.
func copyN(w io.Writer, r io.Reader, n int64) error {
	got, err := io.CopyN(w, r, n)
	if got < n && (err == nil || err == io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readerAt returns src as an io.ReaderAt, seeking for each read unless src
// already is one (a file, a bytes.Reader).
func readerAt(src io.ReadSeeker) io.ReaderAt {
	if ra, ok := src.(io.ReaderAt); ok {
		return ra
	}
	return seekReaderAt{src}
}

type seekReaderAt struct{ rs io.ReadSeeker }

func (s seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(s.rs, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// sourceSize returns the size of src.
func sourceSize(src io.ReadSeeker) (int64, error) {
	return src.Seek(0, io.SeekEnd)
}

// copyRange copies n bytes at off of ra to w.
func copyRange(w io.Writer, ra io.ReaderAt, off, n int64) error {
	return copyN(w, io.NewSectionReader(ra, off, n), n)
}

// zeros is a block of zero bytes to write from.
var zeros [4096]byte

// writeZeros writes n zero bytes to w.
func writeZeros(w io.Writer, n int64) error {
	for n > 0 {
		step := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:step]); err != nil {
			return err
		}
		n -= step
	}
	return nil
}
