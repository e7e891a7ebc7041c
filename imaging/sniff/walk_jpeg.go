package sniff

import (
	"bytes"
	"encoding/binary"
)

// JPEGLayout is what a JPEG's frame header (SOF) and scan headers (SOS)
// declare, and how much entropy-coded data its scans hold.
type JPEGLayout struct {
	// SOF is the code of the start-of-frame marker: 0xC0 baseline, 0xC1
	// extended sequential, 0xC2 progressive (the Huffman-coded processes),
	// 0xC3 lossless, 0xC5 to 0xC7 hierarchical, 0xC9 to 0xCF arithmetic
	// coding; 0 while none was seen.
	SOF byte
	// Width and Height are the size the frame header declares.
	Width, Height int
	// Coded counts the entropy-coded bytes of the scans.
	Coded int64
	// Needed is the fewest entropy-coded bytes a Huffman-coded frame of
	// that size and sampling needs: each block of each component is coded
	// at least once, with at least 2 bits in a sequential scan (a DC code
	// and an end-of-block code) or 1 in a progressive one (a DC code).
	Needed int64
	// Uncoded reports a component of the frame that no scan codes (in a
	// progressive frame: no DC scan): a decoder would fill it with grey.
	Uncoded bool
}

// jpegComponents bounds the components followed (libjpeg takes 10).
const jpegComponents = 10

// jpegWalk follows the marker structure of a JPEG stream to its
// end-of-image marker. Segment payloads (metadata, embedded thumbnails,
// tables) are skipped but for the frame and scan headers, and
// entropy-coded data escapes every FF, so only a real end of image counts.
// A stream whose structure it cannot follow is Lost.
type jpegWalk struct {
	s      *Structure
	state  int
	skip   int  // payload bytes of the current segment still to pass
	hi     byte // the high byte of a segment length
	marker byte // the marker whose segment is being passed
	seg    [6 + 3*jpegComponents]byte
	segN   int // bytes of seg kept
	comps  [jpegComponents]jpegComponent
	ncomp  int
}

// jpegComponent is one component of the frame.
type jpegComponent struct {
	id     byte
	blocks int64
	coded  bool
}

const (
	jpegMarker    = iota // expecting FF
	jpegCode             // expecting a marker code
	jpegLenHi            // expecting the segment length
	jpegLenLo            //
	jpegPayload          // passing a segment payload
	jpegEntropy          // in entropy-coded data
	jpegEntropyFF        // after an FF in entropy-coded data
)

func newJPEGWalk(s *Structure) *jpegWalk { return &jpegWalk{s: s} }

func (j *jpegWalk) feed(b []byte) {
	for len(b) > 0 && !j.s.Ended && !j.s.Lost {
		switch j.state {
		case jpegPayload:
			k := min(j.skip, len(b))
			j.segN += copy(j.seg[j.segN:], b[:k])
			j.skip -= k
			b = b[k:]
			if j.skip == 0 {
				j.endSegment()
			}
			continue
		case jpegEntropy:
			k := bytes.IndexByte(b, 0xff)
			if k < 0 {
				j.s.JPEG.Coded += int64(len(b))
				return
			}
			j.s.JPEG.Coded += int64(k)
			b = b[k:]
			j.state = jpegEntropyFF
		default:
			j.step(b[0])
		}
		b = b[1:]
	}
}

// step takes one byte outside payloads and runs of entropy-coded data.
func (j *jpegWalk) step(c byte) {
	switch j.state {
	case jpegMarker:
		if c != 0xff {
			j.s.Lost = true
		}
		j.state = jpegCode
	case jpegCode, jpegEntropyFF:
		j.code(c)
	case jpegLenHi:
		j.hi, j.state = c, jpegLenLo
	case jpegLenLo:
		if j.skip = int(j.hi)<<8 | int(c) - 2; j.skip < 0 {
			j.s.Lost = true
		}
		j.state, j.segN = jpegPayload, 0
		if j.skip == 0 {
			j.endSegment()
		}
	}
}

// code takes the byte after an FF.
func (j *jpegWalk) code(c byte) {
	entropy := j.state == jpegEntropyFF
	switch {
	case c == 0xff: // fill byte: the code follows
	case c == 0xd9:
		j.s.Ended = true
	case entropy && c == 0x00: // stuffed FF
		j.s.JPEG.Coded++
		j.state = jpegEntropy
	case entropy && c >= 0xd0 && c <= 0xd7: // restart marker
		j.state = jpegEntropy
	case c == 0xd8 || c == 0x01 || c >= 0xd0 && c <= 0xd7: // standalone markers
		j.state = jpegMarker
	default:
		j.marker, j.state = c, jpegLenHi
	}
}

// endSegment leaves a passed segment: a start-of-scan header is followed
// by entropy-coded data, anything else by the next marker.
func (j *jpegWalk) endSegment() {
	seg := j.seg[:j.segN]
	switch {
	case j.marker == 0xda:
		j.scan(seg)
		j.state = jpegEntropy
		return
	case isSOF(j.marker) && j.s.JPEG.SOF == 0:
		j.frame(seg)
	}
	j.state = jpegMarker
}

// isSOF reports whether code is a start-of-frame marker (C0 to CF but
// DHT C4, JPG C8 and DAC CC).
func isSOF(code byte) bool {
	return code >= 0xc0 && code <= 0xcf && code != 0xc4 && code != 0xc8 && code != 0xcc
}

// frame reads a frame header: precision, height, width, then an id, the
// sampling factors and a table for each component.
func (j *jpegWalk) frame(seg []byte) {
	l := &j.s.JPEG
	l.SOF = j.marker
	if len(seg) < 6 || seg[5] == 0 || int(seg[5]) > jpegComponents || len(seg) < 6+3*int(seg[5]) {
		return // a decoder refuses it
	}
	l.Height, l.Width = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
	j.ncomp = int(seg[5])
	hmax, vmax := 1, 1
	for i := range j.ncomp {
		hv := seg[7+3*i]
		hmax, vmax = max(hmax, int(hv>>4)), max(vmax, int(hv&15))
	}
	bits := int64(2)
	if l.SOF == 0xc2 {
		bits = 1
	}
	for i := range j.ncomp {
		hv := seg[7+3*i]
		w := ceilDiv(ceilDiv(l.Width*int(hv>>4), hmax), 8)
		h := ceilDiv(ceilDiv(l.Height*int(hv&15), vmax), 8)
		j.comps[i] = jpegComponent{id: seg[6+3*i], blocks: int64(w) * int64(h)}
		l.Needed += j.comps[i].blocks
	}
	l.Needed = (l.Needed*bits + 7) / 8
	l.Uncoded = true
}

// scan reads a scan header: the components, then the spectral selection
// (a progressive DC scan starts at 0) and successive approximation.
func (j *jpegWalk) scan(seg []byte) {
	if len(seg) < 1 || len(seg) < 1+2*int(seg[0])+3 {
		return // a decoder refuses it
	}
	ns := int(seg[0])
	dc := j.s.JPEG.SOF != 0xc2 || seg[1+2*ns] == 0
	uncoded := false
	for i := range j.ncomp {
		c := &j.comps[i]
		for k := range ns {
			if dc && seg[1+2*k] == c.id {
				c.coded = true
			}
		}
		uncoded = uncoded || !c.coded
	}
	j.s.JPEG.Uncoded = uncoded
}

func ceilDiv(a, b int) int {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
