package strip

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"io"
	"slices"
	"strings"
)

// HEIC and AVIF files are ISO-BMFF (HEIF) files: boxes of a big-endian
// size and a type, some holding boxes of their own. The image is described
// by the items of the top-level meta box: meta/iinf lists them (one infe
// box each, with an item type), meta/iloc says where each item's bytes are
// (extents in the file, usually in mdat, or in meta/idat), meta/iprp
// holds their properties (codec configuration, colour, irot and imir).
// EXIF is an item of type "Exif", XMP an item of type "mime" with content
// type application/rdf+xml.
//
// Offsets in iloc are absolute, so stripISOBMFF changes no size: it
// rewrites the file in place. A metadata item keeps its entry but gets an
// item type no reader knows ("free") and an empty name, and its bytes are
// overwritten with zeros; a metadata box becomes a "free" box of zeros.
// The output has the size of the input, and every byte of coded image
// data, every property (irot, imir, colr) and every offset is unchanged.

// bmffFreeType is the type given to metadata items and boxes.
const bmffFreeType = "free"

// bmffMetadataBoxes are the boxes stripISOBMFF turns into free boxes,
// wherever it looks (the top level, meta, moov and trak): user data,
// vendor extensions (XMP in a uuid box), XML, JUMBF (C2PA) and HEIF's
// user description property.
var bmffMetadataBoxes = map[string]bool{"udta": true, "uuid": true, "jumb": true, "xml ": true, "bxml": true, "XMP_": true}

// xmpUUID is the user type of a uuid box that holds XMP.
const xmpUUID = "\xbe\x7a\xcf\xcb\x97\xa9\x42\xe8\x9c\x71\x99\x94\x91\xe3\xaf\xac"

// maxItemExtents bounds the item extents stripISOBMFF keeps track of.
const maxItemExtents = 1 << 16

// bmffBox is the place of a box in the file.
type bmffBox struct {
	typ  string
	off  int64 // of the header
	body int64 // of the payload
	end  int64
}

// span is a range of file offsets, end excluded.
type span struct{ start, end int64 }

// patch replaces n bytes at off with data, or with zeros if data is nil.
type patch struct {
	off, n int64
	data   []byte
}

type bmffStripper struct {
	format  string // "heic" or "avif", for messages
	ra      io.ReaderAt
	size    int64
	res     *Result
	patches []patch
	mdats   []span // payloads of top-level mdat boxes
	metas   []bmffBox
	infe    []byte // read buffer of itemEntry
}

// stripISOBMFF returns the stripper of a HEIF format. It keeps every box
// and item but the metadata: EXIF, XMP and other metadata items (types
// "Exif", "mime", "uri "), and the boxes in bmffMetadataBoxes. See above
// for how.
func stripISOBMFF(format string) stripper {
	return func(w *bufio.Writer, src io.ReadSeeker, res *Result) error {
		size, err := sourceSize(src)
		if err != nil {
			return err
		}
		s := &bmffStripper{format: format, ra: readerAt(src), size: size, res: res}
		return s.strip(w)
	}
}

// strip plans the patches and copies the file with them.
func (s *bmffStripper) strip(w *bufio.Writer) error {
	first := true
	err := s.walk(0, s.size, func(b bmffBox) error {
		if first && b.typ != "ftyp" {
			return malformed(s.format, "it does not start with an ftyp box")
		}
		first = false
		return s.topLevel(b)
	})
	if err != nil {
		return err
	}
	for _, m := range s.metas { // after the walk: s.mdats is complete
		if err := s.meta(m); err != nil {
			return err
		}
	}
	return s.copy(w)
}

// walk calls fn for each box between off and end.
func (s *bmffStripper) walk(off, end int64, fn func(bmffBox) error) error {
	for off < end {
		b, err := s.box(off, end)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		off = b.end
	}
	return nil
}

// box reads the header of the box at off, which must end by end.
func (s *bmffStripper) box(off, end int64) (bmffBox, error) {
	var h [16]byte
	if end-off < 8 {
		return bmffBox{}, malformed(s.format, "a box header is cut short")
	}
	if _, err := s.ra.ReadAt(h[:min(16, end-off)], off); err != nil {
		return bmffBox{}, err
	}
	size, hdr := int64(binary.BigEndian.Uint32(h[:])), int64(8)
	switch size {
	case 0: // to the end of the container
		size = end - off
	case 1:
		if end-off < 16 {
			return bmffBox{}, malformed(s.format, "a large box header is cut short")
		}
		size, hdr = int64(binary.BigEndian.Uint64(h[8:])), 16
	}
	if size < hdr || size > end-off {
		return bmffBox{}, malformed(s.format, "box %q has a bad size %d", printable(h[4:8]), size)
	}
	return bmffBox{typ: string(h[4:8]), off: off, body: off + hdr, end: off + size}, nil
}

// printable renders a four-character code safely for messages.
func printable(b []byte) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, string(b))
}

// topLevel handles a top-level box.
func (s *bmffStripper) topLevel(b bmffBox) error {
	switch {
	case b.typ == "meta":
		s.metas = append(s.metas, b)
	case b.typ == "mdat":
		s.mdats = append(s.mdats, span{b.body, b.end})
	case b.typ == "moov":
		return s.walk(b.body, b.end, s.movie)
	case bmffMetadataBoxes[b.typ]:
		return s.free(b)
	}
	return nil
}

// movie handles a box in moov or trak (image sequences): user data and
// metadata boxes go, tracks are looked into.
func (s *bmffStripper) movie(b bmffBox) error {
	switch {
	case b.typ == "trak":
		return s.walk(b.body, b.end, s.movie)
	case b.typ == "meta", bmffMetadataBoxes[b.typ]:
		return s.free(b)
	}
	return nil
}

// free turns b into a free box of zeros.
func (s *bmffStripper) free(b bmffBox) error {
	kind := KindOther
	if b.typ == "uuid" || b.typ == "XMP_" {
		var u [16]byte
		if n, _ := s.ra.ReadAt(u[:min(16, b.end-b.body)], b.body); n == 16 && string(u[:]) == xmpUUID || b.typ == "XMP_" {
			kind = KindXMP
		}
	}
	s.res.removed(kind)
	s.rename(b.off+4, b.body, b.end)
	return nil
}

// rename gives the four bytes at typeOff the free type, and zeros
// [zeroFrom, end).
func (s *bmffStripper) rename(typeOff, zeroFrom, end int64) {
	s.patches = append(s.patches, patch{off: typeOff, n: 4, data: []byte(bmffFreeType)})
	if end > zeroFrom {
		s.patches = append(s.patches, patch{off: zeroFrom, n: end - zeroFrom})
	}
}

// metaBoxes are the boxes of a meta box that stripISOBMFF reads.
type metaBoxes struct {
	iinf, iloc, idat, pitm *bmffBox
}

// meta handles a top-level meta box: its metadata boxes and items.
func (s *bmffStripper) meta(m bmffBox) error {
	if m.end-m.body < 4 {
		return malformed(s.format, "its meta box is too short")
	}
	var mb metaBoxes
	err := s.walk(m.body+4, m.end, func(b bmffBox) error {
		switch b.typ {
		case "iinf":
			mb.iinf = &b
		case "iloc":
			mb.iloc = &b
		case "idat":
			mb.idat = &b
		case "pitm":
			mb.pitm = &b
		case "iprp":
			return s.walk(b.body, b.end, s.properties)
		}
		if bmffMetadataBoxes[b.typ] {
			return s.free(b)
		}
		return nil
	})
	if err != nil || mb.iinf == nil {
		return err
	}
	return s.items(mb)
}

// properties handles a box of iprp: in ipco, the user description
// property (udes) goes; the others (colr, irot, imir, …) stay.
func (s *bmffStripper) properties(b bmffBox) error {
	if b.typ != "ipco" {
		return nil
	}
	return s.walk(b.body, b.end, func(p bmffBox) error {
		if p.typ == "udes" || bmffMetadataBoxes[p.typ] {
			return s.free(p)
		}
		return nil
	})
}

// copy writes the file with the patches applied.
func (s *bmffStripper) copy(w *bufio.Writer) error {
	slices.SortFunc(s.patches, func(a, b patch) int { return cmp.Compare(a.off, b.off) })
	pos := int64(0)
	for _, p := range s.patches {
		if p.off < pos {
			return unsupported(s.format, "metadata overlaps other data")
		}
		if err := copyRange(w, s.ra, pos, p.off-pos); err != nil {
			return err
		}
		if p.data != nil {
			w.Write(p.data)
		} else if err := writeZeros(w, p.n); err != nil {
			return err
		}
		pos = p.off + p.n
	}
	return copyRange(w, s.ra, pos, s.size-pos)
}
