package intake

import (
	"io"

	"picpipe"
	"picpipe/imaging/sniff"
)

// Gate is what an upload passes through on its way to the store: Check
// judges the first bytes (with the file name, "" while it is not known
// yet) and names their media type; Wrap sees the whole stream go by, and
// may refuse it as it passes; Done judges what Wrap saw once the stream
// ended. A refusal is a *picpipe.Error with the code the client sees.
type Gate interface {
	Check(header []byte, filename string) (mime string, err error)
	Wrap(r io.Reader) io.Reader
	Done() error
}

// ImageGate admits images: an accepted type whose extension agrees, no
// larger than the pixel limits where the header tells the size, with no
// more frames than the frame limit and no more pixels in all its frames
// than the pixel limit (frames counted in the container as they pass: GIF
// blocks, WebP ANMF chunks, APNG fcTL chunks, HEIF sequence samples), and,
// for a JPEG, Huffman-coded scans that reach an end-of-image marker and
// hold data enough for the size the JPEG declares. All of it is read from
// the bytes as they pass (sniff.Walker), without decoding, so a pixel or
// frame bomb or a truncated upload is refused before anything is queued:
// a frame bomb as soon as its frames pass the limit.
type ImageGate struct {
	maxEdge       int
	maxPixels     int64
	maxFrames     int
	mime          string
	width, height int // from the header, where it tells them
	walk          sniff.Walker
}

// NewImageGate returns an ImageGate with the pixel limits maxEdge (a
// side) and maxPixels (width × height × frames), and at most
// sniff.DefaultMaxFrames frames (see WithMaxFrames).
func NewImageGate(maxEdge int, maxPixels int64) *ImageGate {
	return &ImageGate{maxEdge: maxEdge, maxPixels: maxPixels, maxFrames: sniff.DefaultMaxFrames}
}

// WithMaxFrames sets the most frames an image may hold (0: the default,
// sniff.DefaultMaxFrames) and returns g.
func (g *ImageGate) WithMaxFrames(n int) *ImageGate {
	g.maxFrames = n
	if n <= 0 {
		g.maxFrames = sniff.DefaultMaxFrames
	}
	return g
}

var _ Gate = (*ImageGate)(nil)

// Check implements Gate.
func (g *ImageGate) Check(header []byte, filename string) (string, error) {
	f, err := sniff.Image(header, filename)
	if err != nil {
		return "", err
	}
	if w, h, ok := sniff.Dimensions(header); ok {
		if w > g.maxEdge || h > g.maxEdge || int64(w)*int64(h) > g.maxPixels {
			return "", picpipe.Errorf(picpipe.ECodeTooManyPixels,
				"the image is %d×%d; the limits are %d px a side and %d pixels", w, h, g.maxEdge, g.maxPixels)
		}
		g.width, g.height = w, h
	}
	g.mime = f.MIME
	return f.MIME, g.checkFrames()
}

// Wrap implements Gate.
func (g *ImageGate) Wrap(r io.Reader) io.Reader {
	return &watched{r: r, w: &g.walk, check: g.checkFrames}
}

// Done implements Gate.
func (g *ImageGate) Done() error {
	if err := g.checkFrames(); err != nil {
		return err
	}
	if g.mime == sniff.JPEG.MIME {
		return g.walk.Structure().CheckJPEG()
	}
	return nil
}

// checkFrames refuses the frames counted so far if they are too many.
func (g *ImageGate) checkFrames() error {
	return g.walk.Structure().CheckFrames(g.maxFrames, g.maxPixels, g.width, g.height)
}

// FileGate admits general files: a type its Policy allows (nil: the
// allow-list of POST /v1/files) whose extension agrees. Type is what
// Check found. An animated image (GIF, WebP, APNG), stored and served as
// it is, may hold at most MaxFrames frames and MaxPixels pixels in all of
// them, counted in its container as it passes; stills are not limited
// here. A text file (text, CSV, Markdown, JSON) must hold no active markup
// anywhere (see markupScanner).
type FileGate struct {
	Policy *sniff.Policy
	// MaxFrames and MaxPixels bound an animated image; 0 means
	// sniff.DefaultMaxFrames and sniff.DefaultMaxPixels.
	MaxFrames int
	MaxPixels int64
	Type      sniff.FileType

	checked bool
	walk    sniff.Walker
	markup  markupScanner
}

var _ Gate = (*FileGate)(nil)

// Check implements Gate.
func (g *FileGate) Check(header []byte, filename string) (string, error) {
	p := g.Policy
	if p == nil {
		p = &sniff.FilesPolicy
	}
	t, err := p.Check(header, filename)
	g.Type, g.checked = t, true
	if err == nil {
		err = g.watch()
	}
	return t.MIME, err
}

// Wrap implements Gate.
func (g *FileGate) Wrap(r io.Reader) io.Reader {
	return &watched{r: r, w: g, check: g.watch}
}

// Write feeds the watchers: the container walker, and the markup scanner
// while the file may be text.
func (g *FileGate) Write(p []byte) (int, error) {
	g.walk.Write(p)
	if !g.checked || g.isText() {
		g.markup.Write(p)
	}
	return len(p), nil
}

// Done implements Gate.
func (g *FileGate) Done() error {
	g.markup.end()
	return g.watch()
}

func (g *FileGate) isText() bool { return g.Type.Type.Class() == sniff.ClassText }

// watch refuses an animation over the limits, or markup in a text file,
// once the type is known.
func (g *FileGate) watch() error {
	if !g.checked {
		return nil
	}
	if s := g.walk.Structure(); s.Frames > 1 {
		maxFrames, maxPixels := g.MaxFrames, g.MaxPixels
		if maxFrames <= 0 {
			maxFrames = sniff.DefaultMaxFrames
		}
		if maxPixels <= 0 {
			maxPixels = sniff.DefaultMaxPixels
		}
		if err := s.CheckFrames(maxFrames, maxPixels, 0, 0); err != nil {
			return err
		}
	}
	if g.isText() && g.markup.found != "" {
		return picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the text file holds %s at byte %d; text files may not hold markup, scripts or event handlers",
			g.markup.found, g.markup.at)
	}
	return nil
}

// watched is a stream going through a gate: each read is written to w,
// then check may refuse the stream, whose reads then fail.
type watched struct {
	r     io.Reader
	w     io.Writer
	check func() error
	err   error
}

func (s *watched) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.w.Write(p[:n])
	if cerr := s.check(); cerr != nil {
		s.err = cerr
		return 0, cerr
	}
	return n, err
}
