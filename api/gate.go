package api

import (
	"bytes"
	"io"

	"picpipe"
	"picpipe/imaging/sniff"
)

// gate is what an upload passes through on its way to the store: check
// judges the first bytes (with the file name, "" while it is not known
// yet) and names their media type; wrap sees the whole stream go by; done
// judges what wrap saw once the stream ended.
type gate interface {
	check(header []byte, filename string) (mime string, err error)
	wrap(r io.Reader) io.Reader
	done() error
}

// imageGate admits images: an accepted type whose extension agrees, no
// larger than the pixel limits where the header tells the size, and, for a
// JPEG, a stream that reaches an end-of-image marker. All of it is read
// from the bytes as they pass, without decoding, so a pixel bomb or a
// truncated upload is refused before anything is queued.
type imageGate struct {
	maxEdge   int
	maxPixels int64
	mime      string
	end       jpegEnd
}

func (s *Server) imageGate() *imageGate {
	return &imageGate{maxEdge: s.cfg.MaxEdge, maxPixels: s.cfg.MaxPixels}
}

func (g *imageGate) check(header []byte, filename string) (string, error) {
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

func (g *imageGate) wrap(r io.Reader) io.Reader {
	g.end.r = r
	return &g.end
}

func (g *imageGate) done() error {
	if g.mime == sniff.JPEG.MIME && !g.end.seen && !g.end.lost {
		return picpipe.Errorf(picpipe.ECodeDecodeFailed, "the JPEG data is truncated: it has no end-of-image marker")
	}
	return nil
}

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

// fileGate admits general files: an accepted type whose extension agrees.
type fileGate struct{ t sniff.FileType }

func (g *fileGate) check(header []byte, filename string) (string, error) {
	t, err := sniff.File(header, filename)
	g.t = t
	return t.MIME, err
}

func (g *fileGate) wrap(r io.Reader) io.Reader { return r }
func (g *fileGate) done() error                { return nil }
