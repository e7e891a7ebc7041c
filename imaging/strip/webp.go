package strip

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
)

// A WebP file is a RIFF container: "RIFF", a little-endian size of what
// follows, "WEBP", then chunks of a four-character code, a little-endian
// size and a payload padded to an even length. An extended file starts
// with a VP8X chunk whose flags announce ICC, EXIF, XMP, alpha and
// animation. An ANMF chunk is a frame: 16 bytes of geometry and timing,
// then chunks of its own. The RIFF size comes first but depends on what
// is dropped, so stripWebP reads the chunk headers twice: to plan, then to
// copy.

// VP8X flag bits that announce metadata chunks.
const (
	vp8xEXIF = 0x08
	vp8xXMP  = 0x04
)

const (
	riffHeaderSize  = 12 // "RIFF", size, "WEBP"
	chunkHeaderSize = 8
	vp8xSize        = 10
	anmfHeaderSize  = 16
)

// webpKept are the top-level chunks stripWebP keeps: image data, alpha,
// animation and the ICC profile; webpFrameKept those it keeps in frames.
var (
	webpKept      = map[string]bool{"VP8X": true, "VP8 ": true, "VP8L": true, "ALPH": true, "ANIM": true, "ANMF": true, "ICCP": true}
	webpFrameKept = map[string]bool{"VP8 ": true, "VP8L": true, "ALPH": true}
	webpKinds     = map[string]string{"EXIF": KindEXIF, "XMP ": KindXMP}
)

// riffChunk is the place of a chunk in the file.
type riffChunk struct {
	id  string
	off int64 // of the payload
	n   int64 // payload size, without padding
}

// paddedSize is the size of a chunk with its header and padding.
func paddedSize(n int64) int64 { return chunkHeaderSize + n + n&1 }

type webpStripper struct {
	ra  io.ReaderAt
	w   *bufio.Writer
	res *Result
	end int64 // end of the RIFF payload
	// hasVP8X and orientation are found by the first pass.
	hasVP8X     bool
	orientation int
	exifSeen    bool
}

// stripWebP keeps the chunks in webpKept (in frames: webpFrameKept), drops
// EXIF, XMP and unknown chunks and the trailer, fixes the VP8X flags and
// the RIFF size, and writes back a minimal EXIF chunk for an orientation
// other than normal.
func stripWebP(w *bufio.Writer, src io.ReadSeeker, res *Result) error {
	size, err := sourceSize(src)
	if err != nil {
		return err
	}
	s := &webpStripper{ra: readerAt(src), w: w, res: res}
	if err := s.header(size); err != nil {
		return err
	}
	body, err := s.plan()
	if err != nil {
		return err
	}
	if body > math.MaxUint32 {
		return unsupported("webp", "it would grow beyond the RIFF size limit")
	}
	s.w.WriteString("RIFF")
	binary.Write(s.w, binary.LittleEndian, uint32(body))
	s.w.WriteString("WEBP")
	return s.walk(riffHeaderSize, s.end, s.copyChunk)
}

// header checks the RIFF header and sets the end of the RIFF payload.
func (s *webpStripper) header(size int64) error {
	var h [riffHeaderSize]byte
	if _, err := s.ra.ReadAt(h[:], 0); err != nil {
		return err
	}
	if string(h[:4]) != "RIFF" || string(h[8:]) != "WEBP" {
		return malformed("webp", "it does not start with a RIFF WEBP header")
	}
	s.end = 8 + int64(binary.LittleEndian.Uint32(h[4:]))
	if s.end > size {
		return malformed("webp", "it is truncated")
	}
	if s.end < size {
		s.res.removed(KindTrailer)
	}
	return nil
}

// walk calls fn for each chunk between off and end.
func (s *webpStripper) walk(off, end int64, fn func(riffChunk) error) error {
	var h [chunkHeaderSize]byte
	for off < end {
		if end-off < chunkHeaderSize {
			return malformed("webp", "a chunk header is cut short")
		}
		if _, err := s.ra.ReadAt(h[:], off); err != nil {
			return err
		}
		c := riffChunk{id: string(h[:4]), off: off + chunkHeaderSize, n: int64(binary.LittleEndian.Uint32(h[4:]))}
		if c.off+c.n > end {
			return malformed("webp", "chunk %q overruns its container", h[:4])
		}
		if err := fn(c); err != nil {
			return err
		}
		off = min(end, off+paddedSize(c.n)) // the last padding byte may be missing
	}
	return nil
}

// plan is the first pass: it finds the orientation and returns the RIFF
// size of the output.
func (s *webpStripper) plan() (int64, error) {
	body := int64(4) // "WEBP"
	err := s.walk(riffHeaderSize, s.end, func(c riffChunk) error {
		n, err := s.planChunk(c)
		body += n
		return err
	})
	if keepsOrientation(s.orientation) && s.hasVP8X {
		body += paddedSize(int64(len(orientationTIFF(1))))
	} else {
		s.orientation = 0
	}
	return body, err
}

// planChunk returns the output size of a top-level chunk.
func (s *webpStripper) planChunk(c riffChunk) (int64, error) {
	switch {
	case c.id == "VP8X":
		if c.n < vp8xSize {
			return 0, malformed("webp", "its VP8X chunk is too short")
		}
		s.hasVP8X = true
	case c.id == "ANMF":
		return s.frameSize(c, nil)
	case c.id == "EXIF" && s.orientation == 0:
		return 0, s.readOrientation(c)
	}
	if webpKept[c.id] {
		return paddedSize(c.n), nil
	}
	return 0, nil
}

// readOrientation reads the orientation of an EXIF chunk.
func (s *webpStripper) readOrientation(c riffChunk) error {
	b := make([]byte, min(c.n, maxEXIFRead))
	if _, err := s.ra.ReadAt(b, c.off); err != nil {
		return err
	}
	s.orientation = max(1, exifOrientation(b)) // 1: the first EXIF was read
	return nil
}

// frameSize returns the output size of an ANMF chunk, and passes each of
// its kept chunks to fn when fn is not nil.
func (s *webpStripper) frameSize(c riffChunk, fn func(riffChunk) error) (int64, error) {
	if c.n < anmfHeaderSize {
		return 0, malformed("webp", "an ANMF chunk is too short")
	}
	size := paddedSize(anmfHeaderSize)
	err := s.walk(c.off+anmfHeaderSize, c.off+c.n, func(f riffChunk) error {
		if !webpFrameKept[f.id] {
			s.removed(f.id)
			return nil
		}
		size += paddedSize(f.n)
		if fn != nil {
			return fn(f)
		}
		return nil
	})
	return size, err
}

// removed records a dropped chunk.
func (s *webpStripper) removed(id string) {
	kind, ok := webpKinds[id]
	if !ok {
		kind = KindOther
	}
	s.res.removed(kind)
}

// copyChunk is the second pass for one top-level chunk.
func (s *webpStripper) copyChunk(c riffChunk) error {
	switch {
	case c.id == "VP8X":
		return s.copyVP8X(c)
	case c.id == "ANMF":
		return s.copyFrame(c)
	case webpKept[c.id]:
		return s.copyWhole(c)
	case c.id == "EXIF" && !s.exifSeen:
		s.exifSeen = true
		s.res.removed(KindEXIF)
		return s.writeOrientation()
	}
	s.removed(c.id)
	return nil
}

// copyWhole copies a chunk with its header and padding.
func (s *webpStripper) copyWhole(c riffChunk) error {
	s.w.WriteString(c.id)
	binary.Write(s.w, binary.LittleEndian, uint32(c.n))
	if err := copyRange(s.w, s.ra, c.off, c.n); err != nil {
		return err
	}
	if c.n&1 == 1 {
		return s.w.WriteByte(0)
	}
	return nil
}

// copyVP8X copies the VP8X chunk with the EXIF flag set only for the
// orientation written back, and the XMP flag cleared.
func (s *webpStripper) copyVP8X(c riffChunk) error {
	var flags [1]byte
	if _, err := s.ra.ReadAt(flags[:], c.off); err != nil {
		return err
	}
	f := flags[0] &^ (vp8xEXIF | vp8xXMP)
	if s.orientation != 0 {
		f |= vp8xEXIF
	}
	s.w.WriteString(c.id)
	binary.Write(s.w, binary.LittleEndian, uint32(c.n))
	s.w.WriteByte(f)
	if err := copyRange(s.w, s.ra, c.off+1, c.n-1); err != nil {
		return err
	}
	if c.n&1 == 1 {
		return s.w.WriteByte(0)
	}
	return nil
}

// copyFrame copies an ANMF chunk with only its kept chunks.
func (s *webpStripper) copyFrame(c riffChunk) error {
	size, err := s.frameSize(c, nil)
	if err != nil {
		return err
	}
	s.w.WriteString(c.id)
	binary.Write(s.w, binary.LittleEndian, uint32(size-chunkHeaderSize))
	if err := copyRange(s.w, s.ra, c.off, anmfHeaderSize); err != nil {
		return err
	}
	_, err = s.frameSize(c, s.copyWhole)
	return err
}

// writeOrientation writes the minimal EXIF chunk planned by the first
// pass, if any.
func (s *webpStripper) writeOrientation() error {
	if s.orientation == 0 {
		return nil
	}
	s.res.Orientation = s.orientation
	tiff := orientationTIFF(s.orientation)
	s.w.WriteString("EXIF")
	binary.Write(s.w, binary.LittleEndian, uint32(len(tiff)))
	_, err := s.w.Write(tiff)
	return err
}
