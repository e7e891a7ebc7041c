package sniff

import "encoding/binary"

// webpWalk follows the chunks of a WebP RIFF container: a four-character
// code, a little-endian size and a payload padded to an even length. The
// canvas is VP8X's (or a still's bitstream header's) and each ANMF chunk
// is a frame.
type webpWalk struct {
	s   *Structure
	c   chunker
	at  int64 // where the next chunk starts
	end int64 // where the RIFF size says the file ends
}

func newWebPWalk(s *Structure) *webpWalk {
	w := &webpWalk{s: s, at: 12}
	w.c.read(12, w.riff)
	return w
}

func (w *webpWalk) riff(b []byte) {
	w.end = 8 + int64(binary.LittleEndian.Uint32(b[4:]))
	w.next()
}

// next reads the next chunk header, or ends at the declared size.
func (w *webpWalk) next() {
	if w.at+8 > w.end {
		w.s.Ended = true
		w.c.end()
		return
	}
	w.c.pass(w.at - w.c.pos)
	w.c.read(8, w.chunk)
}

func (w *webpWalk) chunk(b []byte) {
	n := int64(binary.LittleEndian.Uint32(b[4:]))
	start := w.c.pos
	w.at = start + n + n&1
	le24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	field := func(size int64, f func([]byte)) {
		if n < size {
			w.next()
			return
		}
		w.c.read(int(size), func(d []byte) { f(d); w.next() })
	}
	switch string(b[:4]) {
	case "VP8X":
		field(10, func(d []byte) { w.s.canvas(le24(d[4:])+1, le24(d[7:])+1) })
	case "ANMF":
		field(16, func(d []byte) {
			w.s.Frames++
			w.s.canvas(2*le24(d)+le24(d[6:])+1, 2*le24(d[3:])+le24(d[9:])+1)
		})
	case "VP8 ":
		field(10, func(d []byte) {
			if d[3] == 0x9d && d[4] == 0x01 && d[5] == 0x2a {
				le := binary.LittleEndian
				w.s.canvas(int(le.Uint16(d[6:])&0x3fff), int(le.Uint16(d[8:])&0x3fff))
			}
		})
	case "VP8L":
		field(5, func(d []byte) {
			if d[0] == 0x2f {
				bits := binary.LittleEndian.Uint32(d[1:])
				w.s.canvas(int(bits&0x3fff)+1, int(bits>>14&0x3fff)+1)
			}
		})
	default:
		w.next()
	}
}
