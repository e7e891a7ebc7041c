package strip

import (
	"bufio"
	"io"
)

// A GIF file is a header, a logical screen descriptor and an optional
// global colour table, then blocks: images (0x2C), extensions (0x21 and a
// label) and the trailer (0x3B). Image data and extensions are sequences
// of sub-blocks (a length byte, then that many bytes) ended by an empty
// one. Metadata lives in comment extensions and in application extensions
// named by their first sub-block ("XMP DataXMP", "MGK8BIM0000", …).

const (
	gifImage     = 0x2C
	gifExtension = 0x21
	gifTrailer   = 0x3B

	gifGraphicControl = 0xF9
	gifPlainText      = 0x01
	gifComment        = 0xFE
	gifApplication    = 0xFF
)

// gifApplications are the application extensions stripGIF keeps, by
// identifier and authentication code: the loop count of an animation and
// the ICC profile.
var gifApplications = map[string]bool{
	"NETSCAPE2.0": true,
	"ANIMEXTS1.0": true,
	"ICCRGBG1012": true,
}

// gifAppKinds names the metadata of known application extensions.
var gifAppKinds = map[string]string{
	"XMP DataXMP": KindXMP,
	"MGK8BIM0000": KindIPTC,
	"MGKIPTC0000": KindIPTC,
}

type gifStripper struct {
	r   *bufio.Reader
	w   *bufio.Writer
	res *Result
}

// stripGIF keeps every image, graphic control and plain text extension,
// the loop count and ICC profile application extensions, and drops
// comments, other application extensions, unknown extensions and the
// trailer.
func stripGIF(w *bufio.Writer, src io.ReadSeeker, res *Result) error {
	s := &gifStripper{r: bufio.NewReaderSize(src, bufferSize), w: w, res: res}
	var h [13]byte // header and logical screen descriptor
	if _, err := io.ReadFull(s.r, h[:]); err != nil {
		return err
	}
	if v := string(h[:6]); v != "GIF87a" && v != "GIF89a" {
		return malformed("gif", "it does not start with a GIF header")
	}
	s.w.Write(h[:])
	if err := s.colourTable(h[10]); err != nil {
		return err
	}
	for {
		end, err := s.block()
		if err != nil || end {
			return err
		}
	}
}

// colourTable copies the colour table that the packed fields of a screen
// or image descriptor announce.
func (s *gifStripper) colourTable(packed byte) error {
	if packed&0x80 == 0 {
		return nil
	}
	return copyN(s.w, s.r, 3<<(packed&7+1))
}

// block handles one block; end is true after the trailer.
func (s *gifStripper) block() (end bool, err error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return false, err
	}
	switch b {
	case gifImage:
		return false, s.image()
	case gifExtension:
		return false, s.extension()
	case gifTrailer:
		s.w.WriteByte(b)
		if hasMore(s.r) {
			s.res.removed(KindTrailer)
		}
		return true, nil
	}
	return false, malformed("gif", "block %#02x is neither an image nor an extension", b)
}

// image copies an image: its descriptor, local colour table, LZW code
// size and data.
func (s *gifStripper) image() error {
	var d [10]byte // descriptor after the separator, and LZW code size
	if _, err := io.ReadFull(s.r, d[:9]); err != nil {
		return err
	}
	s.w.WriteByte(gifImage)
	s.w.Write(d[:9])
	if err := s.colourTable(d[8]); err != nil {
		return err
	}
	if err := copyN(s.w, s.r, 1); err != nil {
		return err
	}
	return s.subBlocks(true)
}

// extension copies or drops an extension.
func (s *gifStripper) extension() error {
	label, err := s.r.ReadByte()
	if err != nil {
		return err
	}
	switch label {
	case gifGraphicControl, gifPlainText:
		s.w.Write([]byte{gifExtension, label})
		return s.subBlocks(true)
	case gifApplication:
		return s.application()
	case gifComment:
		s.res.removed(KindComment)
	default:
		s.res.removed(KindOther)
	}
	return s.subBlocks(false)
}

// application keeps or drops an application extension by the identifier
// in its first sub-block.
func (s *gifStripper) application() error {
	n, err := s.r.ReadByte()
	if err != nil {
		return err
	}
	if n == 0 {
		s.res.removed(KindOther)
		return nil
	}
	id := make([]byte, n)
	if _, err := io.ReadFull(s.r, id); err != nil {
		return err
	}
	if gifApplications[string(id)] {
		s.w.Write([]byte{gifExtension, gifApplication, n})
		s.w.Write(id)
		return s.subBlocks(true)
	}
	kind, ok := gifAppKinds[string(id)]
	if !ok {
		kind = KindOther
	}
	s.res.removed(kind)
	return s.subBlocks(false)
}

// subBlocks copies (or skips) sub-blocks up to and including the empty
// one that ends them.
func (s *gifStripper) subBlocks(keep bool) error {
	for {
		n, err := s.r.ReadByte()
		if err != nil {
			return err
		}
		if keep {
			s.w.WriteByte(n)
		}
		if n == 0 {
			return nil
		}
		b, err := s.r.Peek(int(n))
		if err != nil {
			return err
		}
		if keep {
			s.w.Write(b)
		}
		s.r.Discard(int(n))
	}
}
