package strip

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"io"
	"slices"
)

// items neutralizes the metadata items of a meta box.
func (s *bmffStripper) items(mb metaBoxes) error {
	meta, err := s.itemInfo(*mb.iinf)
	if err != nil || len(meta) == 0 {
		return err
	}
	if mb.pitm != nil {
		primary, err := s.primaryItem(*mb.pitm)
		if err != nil {
			return err
		}
		if _, ok := meta[primary]; ok {
			return malformed(s.format, "its primary item is metadata")
		}
	}
	if mb.iloc == nil {
		return malformed(s.format, "it has items but no iloc box")
	}
	return s.zeroItems(*mb.iloc, mb.idat, meta)
}

// itemInfo renames the metadata item entries of iinf and returns their
// item IDs, each with the kind of metadata it holds.
func (s *bmffStripper) itemInfo(iinf bmffBox) (map[uint32]string, error) {
	var h [4]byte
	if iinf.end-iinf.body < 6 {
		return nil, malformed(s.format, "its iinf box is too short")
	}
	if _, err := s.ra.ReadAt(h[:1], iinf.body); err != nil {
		return nil, err
	}
	first := iinf.body + 4 + 2 // version, flags, 16-bit entry count
	if h[0] != 0 {
		first += 2 // 32-bit entry count
	}
	meta, seen := map[uint32]string{}, map[uint32]bool{}
	err := s.walk(min(first, iinf.end), iinf.end, func(b bmffBox) error {
		if b.typ != "infe" {
			return nil
		}
		return s.itemEntry(b, meta, seen)
	})
	return meta, err
}

// maxInfeRead is how much of an infe box itemEntry reads: enough for the
// item type, name and content type of a metadata item.
const maxInfeRead = 512

// itemEntry renames an infe box (version 2 or 3) of a metadata item, and
// records its item ID in meta. Older versions have no item type and stay.
// seen holds the item IDs met so far: an item described twice could be
// metadata and image at once.
func (s *bmffStripper) itemEntry(b bmffBox, meta map[uint32]string, seen map[uint32]bool) error {
	if s.infe == nil {
		s.infe = make([]byte, maxInfeRead)
	}
	p := s.infe[:min(b.end-b.body, maxInfeRead)]
	if _, err := s.ra.ReadAt(p, b.body); err != nil {
		return err
	}
	if len(p) < 1 || p[0] < 2 {
		return nil
	}
	idSize := 2
	if p[0] >= 3 {
		idSize = 4
	}
	typeAt := 4 + idSize + 2 // version and flags, item ID, protection index
	if len(p) < typeAt+4 {
		return malformed(s.format, "an infe box is too short")
	}
	id := uint32(binary.BigEndian.Uint16(p[4:]))
	if idSize == 4 {
		id = binary.BigEndian.Uint32(p[4:])
	}
	if seen[id] {
		return malformed(s.format, "item %d has two entries", id)
	}
	seen[id] = true
	kind := itemKind(string(p[typeAt:typeAt+4]), p[typeAt+4:])
	if kind == "" {
		return nil
	}
	meta[id] = kind
	s.res.removed(kind)
	s.rename(b.body+int64(typeAt), b.body+int64(typeAt)+4, b.end)
	return nil
}

// itemKind returns the kind of metadata an item of this type holds, or ""
// for an item that is not metadata. rest is the infe payload after the
// item type: the item name, then for "mime" the content type.
func itemKind(itemType string, rest []byte) string {
	switch itemType {
	case "Exif":
		return KindEXIF
	case "mime":
		_, after, _ := bytes.Cut(rest, []byte{0}) // skip the item name
		contentType, _, _ := bytes.Cut(after, []byte{0})
		if bytes.Contains(bytes.ToLower(contentType), []byte("rdf+xml")) {
			return KindXMP
		}
		return KindOther
	case "uri ":
		return KindOther
	}
	return ""
}

// primaryItem reads the item ID of a pitm box.
func (s *bmffStripper) primaryItem(b bmffBox) (uint32, error) {
	var p [8]byte
	n := min(b.end-b.body, 8)
	if n < 6 {
		return 0, malformed(s.format, "its pitm box is too short")
	}
	if _, err := s.ra.ReadAt(p[:n], b.body); err != nil {
		return 0, err
	}
	if p[0] == 0 {
		return uint32(binary.BigEndian.Uint16(p[4:])), nil
	}
	if n < 8 {
		return 0, malformed(s.format, "its pitm box is too short")
	}
	return binary.BigEndian.Uint32(p[4:]), nil
}

// extent is one extent of an item, as iloc gives it.
type extent struct {
	item      uint32
	method    uint8 // construction method: 0 file, 1 idat, 2 item
	dataRef   uint16
	off, size uint64 // size 0: to the end of the file or idat
}

// zeroItems overwrites the bytes of the metadata items with zeros, after
// checking that no other item shares them.
func (s *bmffStripper) zeroItems(iloc bmffBox, idat *bmffBox, meta map[uint32]string) error {
	extents, err := s.itemLocations(iloc)
	if err != nil {
		return err
	}
	var zero, other []span
	for _, e := range extents {
		sp, inFile, err := s.extentSpan(e, idat)
		if err != nil {
			return err
		}
		_, isMeta := meta[e.item]
		switch {
		case isMeta && e.method == 2:
			return unsupported(s.format, "a metadata item is built from other items")
		case !isMeta && e.method == 2:
			other = append(other, span{0, s.size}) // may use any item's bytes
		case isMeta && inFile:
			if e.method == 0 && !s.inMediaData(sp) {
				return unsupported(s.format, "a metadata item lies outside the media data")
			}
			zero = append(zero, sp)
		case inFile:
			other = append(other, sp)
		}
	}
	zero = mergeSpans(zero)
	if overlaps(zero, other) {
		return unsupported(s.format, "a metadata item shares bytes with another item")
	}
	for _, z := range zero {
		s.patches = append(s.patches, patch{off: z.start, n: z.end - z.start})
	}
	return nil
}

// extentSpan returns the file offsets of an extent; inFile is false for
// data in another file (a data reference) or built from items.
func (s *bmffStripper) extentSpan(e extent, idat *bmffBox) (sp span, inFile bool, err error) {
	base, end := int64(0), s.size
	switch {
	case e.method == 2 || e.method == 0 && e.dataRef != 0:
		return span{}, false, nil
	case e.method == 1 && idat == nil:
		return span{}, false, malformed(s.format, "an item is in an idat box that is missing")
	case e.method == 1:
		base, end = idat.body, idat.end
	case e.method != 0:
		return span{}, false, malformed(s.format, "an item has construction method %d", e.method)
	}
	size := e.size
	if size == 0 && e.off <= uint64(end-base) {
		size = uint64(end-base) - e.off
	}
	if e.off > uint64(end-base) || size > uint64(end-base)-e.off {
		return span{}, false, malformed(s.format, "item %d lies beyond its container", e.item)
	}
	start := base + int64(e.off)
	return span{start, start + int64(size)}, true, nil
}

// inMediaData reports whether sp lies in the payload of one mdat box.
func (s *bmffStripper) inMediaData(sp span) bool {
	for _, m := range s.mdats {
		if m.start <= sp.start && sp.end <= m.end {
			return true
		}
	}
	return false
}

// mergeSpans sorts spans and joins those that touch or overlap.
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var out []span
	for _, sp := range spans {
		if sp.start == sp.end {
			continue
		}
		if n := len(out); n > 0 && sp.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, sp.end)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// overlaps reports whether any span of others shares a byte with the
// sorted, disjoint spans of zero.
func overlaps(zero, others []span) bool {
	for _, o := range others {
		// the first zero span that ends after o starts
		i, _ := slices.BinarySearchFunc(zero, o.start, func(z span, t int64) int { return cmp.Compare(z.end, t+1) })
		if i < len(zero) && zero[i].start < o.end && o.start < o.end {
			return true
		}
	}
	return false
}

// itemLocations reads the extents of every item in an iloc box (versions
// 0 to 2), reading the box in pieces.
func (s *bmffStripper) itemLocations(iloc bmffBox) ([]extent, error) {
	f := &fieldReader{r: bufio.NewReaderSize(io.NewSectionReader(s.ra, iloc.body, iloc.end-iloc.body), 4096)}
	version := uint8(f.uint(1))
	f.uint(3) // flags
	sizes := f.uint(2)
	offSize, lenSize := int(sizes>>12&15), int(sizes>>8&15)
	baseSize, indexSize := int(sizes>>4&15), int(sizes&15)
	if version > 2 {
		return nil, unsupported(s.format, "its iloc box has version %d", version)
	}
	if version == 0 {
		indexSize = 0
	}
	for _, n := range []int{offSize, lenSize, baseSize, indexSize} {
		if n != 0 && n != 4 && n != 8 {
			return nil, malformed(s.format, "its iloc box has a field of %d bytes", n)
		}
	}
	idSize := 2
	if version == 2 {
		idSize = 4
	}
	count := f.uint(idSize)
	var extents []extent
	for i := uint64(0); i < count && f.err == nil; i++ {
		e := extent{item: uint32(f.uint(idSize))}
		if version > 0 {
			e.method = uint8(f.uint(2) & 15)
		}
		e.dataRef = uint16(f.uint(2))
		base := f.uint(baseSize)
		n := f.uint(2)
		if uint64(len(extents))+n > maxItemExtents {
			return nil, unsupported(s.format, "it has more than %d item extents", maxItemExtents)
		}
		for j := uint64(0); j < n && f.err == nil; j++ {
			f.uint(indexSize)
			e.off, e.size = base+f.uint(offSize), f.uint(lenSize)
			if e.off < base {
				return nil, malformed(s.format, "item %d has an offset beyond 64 bits", e.item)
			}
			extents = append(extents, e)
		}
	}
	if f.err != nil {
		return nil, malformed(s.format, "its iloc box is shorter than its entries")
	}
	return extents, nil
}

// fieldReader reads big-endian fields and keeps the first error.
type fieldReader struct {
	r   *bufio.Reader
	err error
}

// uint reads a field of size bytes (0 to 8); a field of 0 bytes is 0.
func (f *fieldReader) uint(size int) uint64 {
	if f.err != nil || size == 0 {
		return 0
	}
	var b [8]byte
	_, f.err = io.ReadFull(f.r, b[8-size:])
	return binary.BigEndian.Uint64(b[:])
}
