package strip

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"strings"
)

// A JPEG file is a sequence of marker segments: 0xFF, a marker byte and,
// for most markers, a big-endian length that counts itself. Metadata lives
// in APPn (0xE0–0xEF) and COM (0xFE) segments. After each SOS segment
// comes entropy-coded data, which holds no 0xFF byte except as 0xFF00
// (stuffing), RSTn markers and fill bytes; it ends at the next other
// marker. The file ends with EOI; anything after it is a trailer.

const (
	markerSOI = 0xD8
	markerEOI = 0xD9
	markerSOS = 0xDA
	markerAPP = 0xE0 // APP0; APPn is markerAPP+n
	markerCOM = 0xFE
)

// jpegAction is what stripJPEG does with an APPn or COM segment.
type jpegAction int

const (
	jpegKeep jpegAction = iota
	jpegDrop
	jpegEXIF // dropped, its orientation written back
	jpegJFIF // kept without its thumbnail
)

// maxJPEGSignature is the longest APPn signature told apart: extended XMP.
const maxJPEGSignature = len("http://ns.adobe.com/xmp/extension/\x00")

type jpegStripper struct {
	r   *bufio.Reader
	w   *bufio.Writer
	res *Result
	// exifSeen is set once the first EXIF segment was replaced.
	exifSeen bool
}

// stripJPEG keeps the JFIF header (without thumbnail), ICC profile
// (APP2 ICC_PROFILE) and Adobe (APP14) segments and every non-APPn segment,
// drops the other APPn segments, COM segments and the trailer, and copies
// the entropy-coded data byte for byte.
func stripJPEG(w *bufio.Writer, src io.ReadSeeker, res *Result) error {
	s := &jpegStripper{r: bufio.NewReaderSize(src, bufferSize), w: w, res: res}
	var soi [2]byte
	if _, err := io.ReadFull(s.r, soi[:]); err != nil {
		return err
	}
	if soi != [2]byte{0xFF, markerSOI} {
		return malformed("jpeg", "it does not start with an SOI marker")
	}
	s.w.Write(soi[:])
	return s.segments()
}

// segments copies the segments after SOI, up to and including EOI.
func (s *jpegStripper) segments() error {
	m, err := s.marker()
	for err == nil {
		switch {
		case m == markerEOI:
			s.w.Write([]byte{0xFF, markerEOI})
			if hasMore(s.r) {
				s.res.removed(KindTrailer)
			}
			return nil
		case m == markerSOI:
			return malformed("jpeg", "it has a second SOI marker")
		case standalone(m):
			_, err = s.w.Write([]byte{0xFF, m})
		case m == markerSOS:
			if err = s.segment(m); err == nil {
				m, err = s.scan()
				continue
			}
		default:
			err = s.segment(m)
		}
		if err == nil {
			m, err = s.marker()
		}
	}
	return err
}

// standalone reports whether m is a marker without a length: TEM and RSTn.
func standalone(m byte) bool {
	return m == 0x01 || (m >= 0xD0 && m <= 0xD7)
}

// marker reads the next marker, skipping fill bytes.
func (s *jpegStripper) marker() (byte, error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	if b != 0xFF {
		return 0, malformed("jpeg", "byte %#02x where a marker should be", b)
	}
	for b == 0xFF {
		if b, err = s.r.ReadByte(); err != nil {
			return 0, err
		}
	}
	if b == 0x00 {
		return 0, malformed("jpeg", "a stuffed 0xFF00 outside entropy-coded data")
	}
	return b, nil
}

// segment handles the segment of marker m whose length comes next.
func (s *jpegStripper) segment(m byte) error {
	var l [2]byte
	if _, err := io.ReadFull(s.r, l[:]); err != nil {
		return err
	}
	length := int64(binary.BigEndian.Uint16(l[:]))
	if length < 2 {
		return malformed("jpeg", "segment %#02x has a length of %d", m, length)
	}
	n := length - 2
	if (m < markerAPP || m > markerAPP+15) && m != markerCOM {
		s.w.Write([]byte{0xFF, m, l[0], l[1]})
		return copyN(s.w, s.r, n)
	}
	sig, _ := s.r.Peek(int(min(n, int64(maxJPEGSignature))))
	action, kind := classifyJPEG(m, sig)
	switch action {
	case jpegKeep:
		s.w.Write([]byte{0xFF, m, l[0], l[1]})
		return copyN(s.w, s.r, n)
	case jpegEXIF:
		s.res.removed(kind)
		return s.exif(n)
	case jpegJFIF:
		return s.jfif(n)
	}
	s.res.removed(kind)
	return discard(s.r, n)
}

// classifyJPEG decides on an APPn or COM segment by its marker and the
// first bytes of its payload, and names the kind of metadata dropped.
func classifyJPEG(m byte, sig []byte) (jpegAction, string) {
	has := func(prefix string) bool { return bytes.HasPrefix(sig, []byte(prefix)) }
	switch {
	case m == markerCOM:
		return jpegDrop, KindComment
	case m == markerAPP && has("JFIF\x00"):
		return jpegJFIF, ""
	case m == markerAPP && has("JFXX\x00"):
		return jpegDrop, KindThumbnail
	case m == markerAPP+1 && has("Exif\x00"):
		return jpegEXIF, KindEXIF
	case m == markerAPP+1 && strings.HasPrefix(string(sig), "http://ns.adobe.com/"):
		return jpegDrop, KindXMP // XMP and extended XMP
	case m == markerAPP+2 && has("ICC_PROFILE\x00"):
		return jpegKeep, ""
	case m == markerAPP+13:
		return jpegDrop, KindIPTC // "Photoshop 3.0": IPTC and image resources
	case m == markerAPP+14 && has("Adobe"):
		return jpegKeep, "" // colour transform: needed to decode CMYK and YCCK
	}
	return jpegDrop, KindOther // FlashPix, MPF, maker and vendor segments
}

// exif drops an EXIF segment of n bytes and, for the first one, writes
// back a minimal EXIF segment with its orientation unless it is normal.
func (s *jpegStripper) exif(n int64) error {
	if s.exifSeen {
		return discard(s.r, n)
	}
	s.exifSeen = true
	b := make([]byte, n)
	if _, err := io.ReadFull(s.r, b); err != nil {
		return err
	}
	o := exifOrientation(b)
	if !keepsOrientation(o) {
		return nil
	}
	s.res.Orientation = o
	payload := append([]byte(exifHeader), orientationTIFF(o)...)
	s.w.Write([]byte{0xFF, markerAPP + 1})
	binary.Write(s.w, binary.BigEndian, uint16(2+len(payload)))
	_, err := s.w.Write(payload)
	return err
}

// jfifHeaderSize is the JFIF APP0 payload without thumbnail: identifier,
// version, density units and densities, thumbnail width and height.
const jfifHeaderSize = 14

// jfif copies a JFIF APP0 segment of n bytes without its thumbnail.
func (s *jpegStripper) jfif(n int64) error {
	if n <= jfifHeaderSize {
		s.w.Write([]byte{0xFF, markerAPP})
		binary.Write(s.w, binary.BigEndian, uint16(2+n))
		return copyN(s.w, s.r, n)
	}
	var h [jfifHeaderSize]byte
	if _, err := io.ReadFull(s.r, h[:]); err != nil {
		return err
	}
	s.res.removed(KindThumbnail)
	h[12], h[13] = 0, 0 // no thumbnail
	s.w.Write([]byte{0xFF, markerAPP, 0, 2 + jfifHeaderSize})
	s.w.Write(h[:])
	return discard(s.r, n-jfifHeaderSize)
}

// scan copies entropy-coded data up to the next marker other than RSTn,
// and returns that marker, consumed.
func (s *jpegStripper) scan() (byte, error) {
	for {
		chunk, err := s.r.Peek(max(1, s.r.Buffered()))
		if err != nil {
			return 0, err
		}
		i := bytes.IndexByte(chunk, 0xFF)
		if i < 0 {
			i = len(chunk)
		}
		s.w.Write(chunk[:i])
		s.r.Discard(i)
		if i == len(chunk) {
			continue
		}
		pair, err := s.r.Peek(2)
		if err != nil {
			return 0, err
		}
		switch m := pair[1]; {
		case m == 0x00 || (m >= 0xD0 && m <= 0xD7): // stuffing, restart
			s.w.Write(pair)
			s.r.Discard(2)
		case m == 0xFF: // a fill byte before a marker
			s.w.WriteByte(0xFF)
			s.r.Discard(1)
		default:
			s.r.Discard(2)
			return m, nil
		}
	}
}
