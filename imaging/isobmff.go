package imaging

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// An AVIF file is an ISO-BMFF file: boxes of a big-endian size and a type.
// Its items are listed in meta/iinf (one infe box each, with an item type);
// EXIF and XMP would be items of type "Exif" and "mime", and an ICC profile
// a colr property of type "prof" or "rICC" in meta/iprp/ipco.

// avifItemTypes are the item types a clean AVIF may have: coded images,
// grids of them, and "free", the type package strip gives a metadata item
// of a kept original (keepOriginal) after zeroing its bytes.
var avifItemTypes = map[string]bool{"av01": true, "grid": true, "free": true}

// bmffBox is one box of an ISO-BMFF file.
type bmffBox struct {
	Type string
	Data []byte // the payload after the header
}

// parseBoxes splits a sequence of boxes.
func parseBoxes(b []byte) ([]bmffBox, error) {
	var boxes []bmffBox
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, errors.New("imaging: short box header")
		}
		size, hdr := uint64(binary.BigEndian.Uint32(b)), uint64(8)
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return nil, errors.New("imaging: short large box header")
			}
			size, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hdr || size > uint64(len(b)) {
			return nil, fmt.Errorf("imaging: box %q has a bad size %d", b[4:8], size)
		}
		boxes = append(boxes, bmffBox{Type: string(b[4:8]), Data: b[hdr:size]})
		b = b[size:]
	}
	return boxes, nil
}

// child returns the first box of type t in boxes.
func child(boxes []bmffBox, t string) (bmffBox, bool) {
	for _, b := range boxes {
		if b.Type == t {
			return b, true
		}
	}
	return bmffBox{}, false
}

// fullBoxChildren parses the boxes inside a full box (after version and
// flags) with skip more bytes of fields before them.
func fullBoxChildren(b bmffBox, skip int) ([]bmffBox, error) {
	if len(b.Data) < 4+skip {
		return nil, fmt.Errorf("imaging: short %q box", b.Type)
	}
	return parseBoxes(b.Data[4+skip:])
}

// checkAVIFClean returns an error if data has an item other than coded
// images (no Exif, no XMP) or an embedded ICC profile.
func checkAVIFClean(data []byte) error {
	top, err := parseBoxes(data)
	if err != nil {
		return err
	}
	meta, ok := child(top, "meta")
	if !ok {
		return errors.New("imaging: AVIF output has no meta box")
	}
	boxes, err := fullBoxChildren(meta, 0)
	if err != nil {
		return err
	}
	if err := checkItems(boxes); err != nil {
		return err
	}
	return checkNoICC(boxes)
}

// checkItems checks the item types listed in iinf.
func checkItems(meta []bmffBox) error {
	iinf, ok := child(meta, "iinf")
	if !ok || len(iinf.Data) < 4 {
		return errors.New("imaging: AVIF output has no item list")
	}
	countSize := 2
	if iinf.Data[0] != 0 {
		countSize = 4
	}
	entries, err := fullBoxChildren(iinf, countSize)
	if err != nil {
		return err
	}
	for _, e := range entries {
		t, err := infeType(e)
		if err != nil {
			return err
		}
		if !avifItemTypes[t] {
			return fmt.Errorf("imaging: AVIF output has an item of type %q", t)
		}
	}
	return nil
}

// infeType returns the item type of an infe box (version 2 or 3).
func infeType(e bmffBox) (string, error) {
	if e.Type != "infe" || len(e.Data) < 4 || e.Data[0] < 2 {
		return "", fmt.Errorf("imaging: unexpected item entry %q", e.Type)
	}
	off := 4 + 2 + 2 // version/flags, item_ID (16 bits), protection index
	if e.Data[0] >= 3 {
		off += 2 // 32-bit item_ID
	}
	if len(e.Data) < off+4 {
		return "", errors.New("imaging: short item entry")
	}
	return string(e.Data[off : off+4]), nil
}

// checkNoICC refuses a colr property that embeds an ICC profile.
func checkNoICC(meta []bmffBox) error {
	iprp, ok := child(meta, "iprp")
	if !ok {
		return nil
	}
	props, err := parseBoxes(iprp.Data)
	if err != nil {
		return err
	}
	ipco, _ := child(props, "ipco")
	items, err := parseBoxes(ipco.Data)
	if err != nil {
		return err
	}
	for _, p := range items {
		if p.Type == "colr" && len(p.Data) >= 4 && (string(p.Data[:4]) == "prof" || string(p.Data[:4]) == "rICC") {
			return errors.New("imaging: AVIF output embeds an ICC profile")
		}
	}
	return nil
}
