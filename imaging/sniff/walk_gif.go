package sniff

import "encoding/binary"

// gifWalk counts the image descriptors of a GIF: a header and logical
// screen descriptor with an optional global colour table, then blocks:
// images (0x2C, a descriptor, an optional local colour table, the LZW code
// size and data sub-blocks), extensions (0x21, a label and sub-blocks) and
// the trailer (0x3B).
type gifWalk struct {
	s *Structure
	c chunker
}

func newGIFWalk(s *Structure) *gifWalk {
	g := &gifWalk{s: s}
	g.c.read(13, g.screen)
	return g
}

// colorTable is the size of the colour table a packed field announces.
func colorTable(packed byte) int64 {
	if packed&0x80 == 0 {
		return 0
	}
	return 3 << (packed&0x07 + 1)
}

func (g *gifWalk) screen(b []byte) {
	if v := string(b[:6]); v != "GIF87a" && v != "GIF89a" {
		g.lost()
		return
	}
	g.s.canvas(int(binary.LittleEndian.Uint16(b[6:])), int(binary.LittleEndian.Uint16(b[8:])))
	g.c.pass(colorTable(b[10]))
	g.c.read(1, g.block)
}

func (g *gifWalk) block(b []byte) {
	switch b[0] {
	case 0x2C:
		g.c.read(9, g.image)
	case 0x21:
		g.c.read(1, g.extension)
	case 0x3B:
		g.s.Ended = true
		g.c.end()
	default:
		g.lost()
	}
}

// image counts a frame and widens the canvas to the frame's extent: a
// decoder that grows the screen to fit a frame draws that much.
func (g *gifWalk) image(b []byte) {
	g.s.Frames++
	le := binary.LittleEndian
	g.s.canvas(int(le.Uint16(b[0:]))+int(le.Uint16(b[4:])), int(le.Uint16(b[2:]))+int(le.Uint16(b[6:])))
	g.c.pass(colorTable(b[8]) + 1) // and the LZW minimum code size
	g.c.read(1, g.subBlock)
}

func (g *gifWalk) extension([]byte) { g.c.read(1, g.subBlock) }

// subBlock passes one data sub-block; a zero length ends the run.
func (g *gifWalk) subBlock(b []byte) {
	if b[0] == 0 {
		g.c.read(1, g.block)
		return
	}
	g.c.pass(int64(b[0]))
	g.c.read(1, g.subBlock)
}

func (g *gifWalk) lost() {
	g.s.Lost = true
	g.c.end()
}
