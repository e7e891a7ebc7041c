package intake

import (
	"io"

	"picpipe"
	"picpipe/imaging/sniff"
)

// Gate is what an upload passes through on its way to the store: Check
// judges the first bytes (with the file name, "" while it is not known
// yet) and names their media type; Wrap sees the whole stream go by; Done
// judges what Wrap saw once the stream ended. A refusal is a
// *picpipe.Error with the code the client sees.
type Gate interface {
	Check(header []byte, filename string) (mime string, err error)
	Wrap(r io.Reader) io.Reader
	Done() error
}

// ImageGate admits images: an accepted type whose extension agrees, no
// larger than the pixel limits where the header tells the size, and, for a
// JPEG, a stream that reaches an end-of-image marker. All of it is read
// from the bytes as they pass, without decoding, so a pixel bomb or a
// truncated upload is refused before anything is queued.
type ImageGate struct {
	maxEdge   int
	maxPixels int64
	mime      string
	end       jpegEnd
}

// NewImageGate returns an ImageGate with the pixel limits maxEdge (a
// side) and maxPixels (width × height).
func NewImageGate(maxEdge int, maxPixels int64) *ImageGate {
	return &ImageGate{maxEdge: maxEdge, maxPixels: maxPixels}
}

var _ Gate = (*ImageGate)(nil)

// Check implements Gate.
func (g *ImageGate) Check(header []byte, filename string) (string, error) {
	f, err := sniff.Image(header, filename)
	if err != nil {
		return "", err
	}
	if w, h, ok := sniff.Dimensions(header); ok &&
		(w > g.maxEdge || h > g.maxEdge || int64(w)*int64(h) > g.maxPixels) {
		return "", picpipe.Errorf(picpipe.ECodeTooManyPixels,
			"the image is %d×%d; the limits are %d px a side and %d pixels", w, h, g.maxEdge, g.maxPixels)
	}
	g.mime = f.MIME
	return f.MIME, nil
}

// Wrap implements Gate.
func (g *ImageGate) Wrap(r io.Reader) io.Reader {
	g.end.r = r
	return &g.end
}

// Done implements Gate.
func (g *ImageGate) Done() error {
	if g.mime == sniff.JPEG.MIME && !g.end.seen && !g.end.lost {
		return picpipe.Errorf(picpipe.ECodeDecodeFailed, "the JPEG data is truncated: it has no end-of-image marker")
	}
	return nil
}

// FileGate admits general files: a type its Policy allows (nil: the
// allow-list of POST /v1/files) whose extension agrees. Type is what
// Check found.
type FileGate struct {
	Policy *sniff.Policy
	Type   sniff.FileType
}

var _ Gate = (*FileGate)(nil)

// Check implements Gate.
func (g *FileGate) Check(header []byte, filename string) (string, error) {
	p := g.Policy
	if p == nil {
		p = &sniff.FilesPolicy
	}
	t, err := p.Check(header, filename)
	g.Type = t
	return t.MIME, err
}

// Wrap implements Gate.
func (g *FileGate) Wrap(r io.Reader) io.Reader { return r }

// Done implements Gate.
func (g *FileGate) Done() error { return nil }
