package sniff

import "encoding/binary"

const pngSignature = "\x89PNG\r\n\x1a\n"

// pngWalk follows the chunks of a PNG: a length, a type, the data and a
// CRC. An animated PNG announces its frame count in acTL and gives each
// frame an fcTL chunk; acTL's count is a claim, so the fcTL chunks are
// counted too and the larger number stands. Without acTL a PNG is a still,
// whatever fcTL chunks it carries (decoders ignore them).
type pngWalk struct {
	s       *Structure
	c       chunker
	left    int64 // data bytes of the current chunk not yet read
	animed  bool  // acTL seen
	claimed int64 // acTL's num_frames
	fcTL    int64
}

func newPNGWalk(s *Structure) *pngWalk {
	p := &pngWalk{s: s}
	p.c.pass(int64(len(pngSignature)))
	p.c.read(8, p.chunk)
	return p
}

// chunk starts a chunk from its length and type.
func (p *pngWalk) chunk(b []byte) {
	n := int64(binary.BigEndian.Uint32(b))
	if n > 1<<31-1 {
		p.s.Lost = true
		p.c.end()
		return
	}
	p.left = n
	switch string(b[4:8]) {
	case "IHDR":
		p.field(13, func(d []byte) {
			p.s.canvas(int(binary.BigEndian.Uint32(d)), int(binary.BigEndian.Uint32(d[4:])))
		})
	case "acTL":
		p.field(8, func(d []byte) {
			p.animed, p.claimed = true, int64(binary.BigEndian.Uint32(d))
			p.count()
		})
	case "fcTL":
		p.field(26, func(d []byte) {
			be := binary.BigEndian
			p.fcTL++
			p.s.canvas(int(be.Uint32(d[12:]))+int(be.Uint32(d[4:])), int(be.Uint32(d[16:]))+int(be.Uint32(d[8:])))
			p.count()
		})
	case "IEND":
		p.s.Ended = true
		p.c.end()
	default:
		p.done()
	}
}

// field reads the first n data bytes of the chunk into f, if it has them.
func (p *pngWalk) field(n int, f func([]byte)) {
	if p.left < int64(n) {
		p.done()
		return
	}
	p.c.read(n, func(d []byte) {
		p.left -= int64(n)
		f(d)
		p.done()
	})
}

// done passes the rest of the chunk and its CRC.
func (p *pngWalk) done() {
	p.c.pass(p.left + 4)
	p.c.read(8, p.chunk)
}

// count sets the frame count of an animated PNG.
func (p *pngWalk) count() {
	if p.animed {
		p.s.Frames = max(p.claimed, p.fcTL, 1)
	}
}
