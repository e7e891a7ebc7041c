package intake

import (
	"bytes"
	"io"
)

// jpegEnd follows the marker structure of a JPEG stream as it passes, to
// tell whether the image reaches its end-of-image marker. Segment payloads
// (metadata, embedded thumbnails, tables) are skipped and entropy-coded
// data escapes every FF, so only a real end of image counts; bytes after
// it are not looked at. A stream whose structure it cannot follow is left
// for the decoder to judge (lost).
type jpegEnd struct {
	r      io.Reader
	state  int
	skip   int  // payload bytes of the current segment still to pass
	hi     byte // the high byte of a segment length
	marker byte // the marker whose segment is being passed
	seen   bool // the end-of-image marker passed
	lost   bool
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

func (j *jpegEnd) Read(p []byte) (int, error) {
	n, err := j.r.Read(p)
	if !j.seen && !j.lost {
		j.scan(p[:n])
	}
	return n, err
}

func (j *jpegEnd) scan(b []byte) {
	for len(b) > 0 && !j.seen && !j.lost {
		switch j.state {
		case jpegPayload:
			k := min(j.skip, len(b))
			j.skip -= k
			b = b[k:]
			if j.skip == 0 {
				j.endSegment()
			}
			continue
		case jpegEntropy:
			k := bytes.IndexByte(b, 0xff)
			if k < 0 {
				return
			}
			b = b[k:]
			j.state = jpegEntropyFF
		default:
			j.step(b[0])
		}
		b = b[1:]
	}
}

// step takes one byte outside payloads and runs of entropy-coded data.
func (j *jpegEnd) step(c byte) {
	switch j.state {
	case jpegMarker:
		if c != 0xff {
			j.lost = true
		}
		j.state = jpegCode
	case jpegCode, jpegEntropyFF:
		j.code(c)
	case jpegLenHi:
		j.hi, j.state = c, jpegLenLo
	case jpegLenLo:
		if j.skip = int(j.hi)<<8 | int(c) - 2; j.skip < 0 {
			j.lost = true
		}
		j.state = jpegPayload
		if j.skip == 0 {
			j.endSegment()
		}
	}
}

// code takes the byte after an FF.
func (j *jpegEnd) code(c byte) {
	entropy := j.state == jpegEntropyFF
	switch {
	case c == 0xff: // fill byte: the code follows
	case c == 0xd9:
		j.seen = true
	case entropy && (c == 0x00 || c >= 0xd0 && c <= 0xd7): // stuffed FF, restart marker
		j.state = jpegEntropy
	case c == 0xd8 || c == 0x01 || c >= 0xd0 && c <= 0xd7: // standalone markers
		j.state = jpegMarker
	default:
		j.marker, j.state = c, jpegLenHi
	}
}

// endSegment leaves a passed segment: a start-of-scan header is followed
// by entropy-coded data, anything else by the next marker.
func (j *jpegEnd) endSegment() {
	if j.marker == 0xda {
		j.state = jpegEntropy
	} else {
		j.state = jpegMarker
	}
}
