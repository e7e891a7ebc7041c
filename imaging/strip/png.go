package strip

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// A PNG file is a signature and chunks: a big-endian length, a type of
// four letters, the data and a CRC of type and data. A type whose first
// letter is upper case is critical (needed to decode); the others are
// ancillary. Metadata lives in ancillary chunks: text (tEXt, zTXt, iTXt,
// which also carry XMP and ImageMagick's "Raw profile" EXIF and IPTC),
// eXIf and tIME.

const pngSignature = "\x89PNG\r\n\x1a\n"

// maxPNGChunk is the largest chunk length the PNG specification allows.
const maxPNGChunk = 1<<31 - 1

// pngKept are the ancillary chunks stripPNG keeps: colour and
// transparency, pixel aspect, and APNG animation.
var pngKept = map[string]bool{
	"tRNS": true, "gAMA": true, "cHRM": true, "sRGB": true, "iCCP": true,
	"cICP": true, "mDCV": true, "cLLI": true, "mDCv": true, "cLLi": true,
	"sBIT": true, "bKGD": true, "pHYs": true,
	"acTL": true, "fcTL": true, "fdAT": true,
}

// maxPNGKeyword is the longest keyword of a text chunk, with its NUL.
const maxPNGKeyword = 80

type pngStripper struct {
	r        *bufio.Reader
	w        *bufio.Writer
	res      *Result
	exifSeen bool
}

// stripPNG keeps the critical chunks and those in pngKept, byte for byte
// with their CRCs, drops every other ancillary chunk and the trailer, and
// writes back a minimal eXIf chunk for an orientation other than normal.
func stripPNG(w *bufio.Writer, src io.ReadSeeker, res *Result) error {
	s := &pngStripper{r: bufio.NewReaderSize(src, bufferSize), w: w, res: res}
	sig := make([]byte, len(pngSignature))
	if _, err := io.ReadFull(s.r, sig); err != nil {
		return err
	}
	if string(sig) != pngSignature {
		return malformed("png", "it does not start with the PNG signature")
	}
	s.w.Write(sig)
	for {
		end, err := s.chunk()
		if err != nil || end {
			return err
		}
	}
}

// chunk handles one chunk; end is true after IEND.
func (s *pngStripper) chunk() (end bool, err error) {
	var h [8]byte
	if _, err := io.ReadFull(s.r, h[:]); err != nil {
		return false, err
	}
	length, typ := int64(binary.BigEndian.Uint32(h[:4])), string(h[4:])
	if length > maxPNGChunk || !isChunkType(h[4:]) {
		return false, malformed("png", "a chunk of type %q and length %d", h[4:], length)
	}
	n := length + 4 // data and CRC
	switch {
	case typ == "IEND":
		s.w.Write(h[:])
		if err := copyN(s.w, s.r, n); err != nil {
			return false, err
		}
		if hasMore(s.r) {
			s.res.removed(KindTrailer)
		}
		return true, nil
	case 'A' <= typ[0] && typ[0] <= 'Z', pngKept[typ]:
		s.w.Write(h[:])
		return false, copyN(s.w, s.r, n)
	case typ == "eXIf":
		return false, s.exif(length)
	case typ == "tEXt", typ == "zTXt", typ == "iTXt":
		keyword, _ := s.r.Peek(int(min(length, maxPNGKeyword)))
		s.res.removed(textKind(keyword))
	default:
		s.res.removed(KindOther) // tIME, private and unknown chunks
	}
	return false, discard(s.r, n)
}

// isChunkType reports whether t is four ASCII letters.
func isChunkType(t []byte) bool {
	for _, c := range t {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// textKind names the metadata a text chunk with this keyword carries.
func textKind(keyword []byte) string {
	k, _, _ := bytes.Cut(keyword, []byte{0})
	switch string(bytes.ToLower(k)) {
	case "xml:com.adobe.xmp", "raw profile type xmp":
		return KindXMP
	case "raw profile type exif", "raw profile type app1":
		return KindEXIF
	case "raw profile type iptc", "raw profile type 8bim":
		return KindIPTC
	}
	return KindComment
}

// exif drops an eXIf chunk of length bytes (and its CRC) and, for the
// first one, writes back a minimal eXIf chunk with its orientation unless
// it is normal.
func (s *pngStripper) exif(length int64) error {
	s.res.removed(KindEXIF)
	if s.exifSeen {
		return discard(s.r, length+4)
	}
	s.exifSeen = true
	b := make([]byte, min(length, maxEXIFRead))
	if _, err := io.ReadFull(s.r, b); err != nil {
		return err
	}
	if err := discard(s.r, length-int64(len(b))+4); err != nil {
		return err
	}
	o := exifOrientation(b)
	if !keepsOrientation(o) {
		return nil
	}
	s.res.Orientation = o
	return writePNGChunk(s.w, "eXIf", orientationTIFF(o))
}

// writePNGChunk writes a chunk with its CRC.
func writePNGChunk(w io.Writer, typ string, data []byte) error {
	body := append([]byte(typ), data...)
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.Write(body)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(body))
	_, err := w.Write(b.Bytes())
	return err
}
