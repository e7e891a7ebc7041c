package sniff

import (
	"encoding/binary"
	"math"
)

// bmffWalk follows the boxes of an ISO-BMFF file (HEIF, AVIF) for image
// sequences: a still HEIF keeps its images as items in meta, a sequence
// (avis, msf1) keeps its frames as the samples of a track in moov. It
// descends moov/trak/mdia/minf/stbl and reads each track's header (tkhd:
// width and height), handler (hdlr) and sample count (stsz or stz2); the
// frames are the samples of the longest visual track. A track counts as
// soon as it is read, unless its handler, read before, is not visual.
type bmffWalk struct {
	s     *Structure
	c     chunker
	ends  [8]int64 // ends of the open container boxes, innermost last
	depth int
	end   int64 // end of the box being read

	// the track being read
	handler string
	w, h    int
}

// bmffContainers are the boxes descended into.
var bmffContainers = map[string]bool{"moov": true, "trak": true, "mdia": true, "minf": true, "stbl": true}

// bmffVisual are the handlers of tracks whose samples are pictures ("":
// not read yet).
var bmffVisual = map[string]bool{"pict": true, "vide": true, "auxv": true, "": true}

// toEOF is the end of a box that runs to the end of the file.
const toEOF = math.MaxInt64

func newBMFFWalk(s *Structure) *bmffWalk {
	b := &bmffWalk{s: s}
	b.c.read(8, b.box)
	return b
}

// parentEnd is where the innermost open box ends.
func (b *bmffWalk) parentEnd() int64 {
	if b.depth == 0 {
		return toEOF
	}
	return b.ends[b.depth-1]
}

// box starts a box from its 32-bit size and type.
func (b *bmffWalk) box(h []byte) {
	start := b.c.pos - 8
	typ := string(h[4:8])
	switch size := int64(binary.BigEndian.Uint32(h)); {
	case size == 0: // to the end of the enclosing box
		b.open(typ, b.parentEnd())
	case size == 1: // a 64-bit size follows
		b.c.read(8, func(l []byte) {
			size := binary.BigEndian.Uint64(l)
			if size < 16 || size > uint64(toEOF-start) {
				b.lost()
				return
			}
			b.open(typ, start+int64(size))
		})
	case size < 8:
		b.lost()
	default:
		b.open(typ, start+size)
	}
}

// open handles a box whose header ends here and whose payload ends at end.
func (b *bmffWalk) open(typ string, end int64) {
	if end > b.parentEnd() || end < b.c.pos {
		b.lost()
		return
	}
	b.end = end
	switch {
	case bmffContainers[typ] && b.depth < len(b.ends):
		if typ == "trak" {
			b.handler, b.w, b.h = "", 0, 0
		}
		b.ends[b.depth] = end
		b.depth++
		b.after(b.c.pos)
	case typ == "tkhd":
		b.field(4, b.trackHeader)
	case typ == "hdlr":
		b.field(12, func(d []byte) { b.handler = string(d[8:12]); b.close() })
	case typ == "stsz" || typ == "stz2":
		b.field(12, func(d []byte) { b.count(int64(binary.BigEndian.Uint32(d[8:]))); b.close() })
	default:
		b.close()
	}
}

// trackHeader skips to the width and height of a tkhd box, after its
// version and flags (d).
func (b *bmffWalk) trackHeader(d []byte) {
	skip := int64(72) // version 0: 32-bit times
	if d[0] == 1 {
		skip = 84
	}
	if b.c.pos+skip+8 > b.end {
		b.close()
		return
	}
	b.c.pass(skip)
	b.c.read(8, func(d []byte) {
		// 16.16 fixed point
		b.w, b.h = int(binary.BigEndian.Uint32(d)>>16), int(binary.BigEndian.Uint32(d[4:])>>16)
		b.count(0)
		b.close()
	})
}

// count records a visual track's samples and size.
func (b *bmffWalk) count(samples int64) {
	if bmffVisual[b.handler] {
		b.s.Frames = max(b.s.Frames, samples)
		b.s.canvas(b.w, b.h)
	}
}

// field reads the next n bytes of the box into f, if the box has them.
func (b *bmffWalk) field(n int, f func([]byte)) {
	if b.c.pos+int64(n) > b.end {
		b.close()
		return
	}
	b.c.read(n, f)
}

// close passes the rest of the current box and goes on after it.
func (b *bmffWalk) close() {
	if b.end == toEOF {
		b.c.end() // nothing follows a box that runs to the end
		return
	}
	b.c.pass(b.end - b.c.pos - b.c.skip)
	b.after(b.end)
}

// after closes the open boxes that end at pos and reads the next box.
func (b *bmffWalk) after(pos int64) {
	for b.depth > 0 && b.ends[b.depth-1] <= pos {
		b.depth--
	}
	b.c.read(8, b.box)
}

func (b *bmffWalk) lost() {
	b.s.Lost = true
	b.c.end()
}
