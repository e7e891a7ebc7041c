package strip

import (
	"bytes"
	"encoding/binary"
)

// EXIF is a TIFF structure: a byte-order mark, the offset of the first
// directory (IFD0), then directories of 12-byte entries. The orientation is
// the SHORT tag 0x0112 of IFD0. JPEG APP1 segments (and some WebP EXIF
// chunks) put "Exif\0\0" before it.

// maxEXIFRead is how much of an EXIF block Strip reads to find its
// orientation; a JPEG APP1 segment cannot be longer.
const maxEXIFRead = 64 << 10

// exifHeader is the prefix of EXIF in JPEG APP1 segments.
const exifHeader = "Exif\x00\x00"

const tagOrientation = 0x0112

// exifOrientation returns the orientation (1 to 8) in IFD0 of the EXIF
// block b, or 0 when b has none, a bad one, or is not EXIF. Only b is
// read: an IFD0 beyond its end counts as none.
func exifOrientation(b []byte) int {
	b = bytes.TrimPrefix(b, []byte(exifHeader))
	if len(b) < 8 {
		return 0
	}
	var order binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 0
	}
	ifd := uint64(order.Uint32(b[4:]))
	if ifd < 8 || ifd+2 > uint64(len(b)) {
		return 0
	}
	return ifdOrientation(b[ifd:], order)
}

// ifdOrientation finds the orientation entry in the directory d.
func ifdOrientation(d []byte, order binary.ByteOrder) int {
	n, entries := int(order.Uint16(d)), d[2:]
	for i := 0; i < n && 12*(i+1) <= len(entries); i++ {
		e := entries[12*i : 12*(i+1)]
		if order.Uint16(e) != tagOrientation {
			continue
		}
		const typeShort = 3
		if order.Uint16(e[2:]) != typeShort || order.Uint32(e[4:]) != 1 {
			return 0
		}
		if v := int(order.Uint16(e[8:])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// orientationTIFF returns the smallest EXIF block that says orientation o:
// a big-endian TIFF header and an IFD0 of that one entry, 26 bytes.
func orientationTIFF(o int) []byte {
	return []byte{
		'M', 'M', 0, 42, 0, 0, 0, 8, // header, IFD0 at offset 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, // Orientation, SHORT, 1 value
		0, 0, 0, 0, // no next IFD
	}
}

// keepsOrientation reports whether orientation o needs to be written back:
// a valid one other than the normal 1.
func keepsOrientation(o int) bool {
	return o >= 2 && o <= 8
}
