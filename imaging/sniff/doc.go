// Package sniff decides from the first bytes of an upload whether it is an
// image picpipe accepts, without decoding it. It is pure Go (no cgo, no
// libvips) so that the API process can run it on a stream as it arrives.
//
// Accepted inputs are JPEG, PNG, GIF, WebP, AVIF and HEIC/HEIF. Everything
// else (executables, HTML, PHP, SVG, TIFF, PSD, PDF, BMP, text, …) is refused
// with a *picpipe.Error whose code is picpipe.ECodeUnsupportedFormat, as is a
// file whose extension names another type than its content.
//
// Usage, on the first bytes of a stream:
//
//	head := make([]byte, sniff.HeaderSize)
//	n, err := io.ReadFull(r, head)
//	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
//		return err
//	}
//	f, err := sniff.Image(head[:n], "holiday.jpg")
//	if err != nil {
//		return err // *picpipe.Error, code unsupported_format
//	}
//	fmt.Println(f.Name, f.MIME) // jpeg image/jpeg
//
// A sniff is a gate, not a proof: the worker still reads the header with
// libvips and decodes the whole file before anything is stored.
package sniff
