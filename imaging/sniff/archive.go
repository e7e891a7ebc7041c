package sniff

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// RAR and 7z archives, each checked past its signature: the first header
// that must follow it, with its checksum where the header shows it.

var (
	rar4Marker = []byte("Rar!\x1a\x07\x00")     // RAR 1.5 to 4.x
	rar5Marker = []byte("Rar!\x1a\x07\x01\x00") // RAR 5 and later
	sevenZip   = []byte("7z\xbc\xaf\x27\x1c")
)

// detectRAR recognises a RAR 4 archive (the marker block, then the archive
// header, type 0x73, whose CRC16 is the low half of a CRC-32) and a RAR 5
// one (the marker, then a main archive header, type 1, or an archive
// encryption header, type 4, with its CRC-32).
func detectRAR(h []byte) (Type, string, bool) {
	var ok bool
	switch {
	case bytes.HasPrefix(h, rar4Marker):
		ok = rar4Header(h[len(rar4Marker):])
	case bytes.HasPrefix(h, rar5Marker):
		ok = rar5Header(h[len(rar5Marker):])
	default:
		return Unknown, "", false
	}
	if !ok {
		return Unknown, "a RAR signature without a valid archive header", true
	}
	return TypeRAR, TypeRAR.MIME(), true
}

// rar4Header checks a RAR 4 archive header: HEAD_CRC, HEAD_TYPE 0x73,
// HEAD_FLAGS, HEAD_SIZE (13 at least); the CRC covers HEAD_TYPE to the
// header's end. A header cut by h is judged on what it shows.
func rar4Header(b []byte) bool {
	if len(b) < 7 {
		return len(b) < 3 || b[2] == 0x73
	}
	size := int(binary.LittleEndian.Uint16(b[5:]))
	if b[2] != 0x73 || size < 13 {
		return false
	}
	return size > len(b) || uint16(crc32.ChecksumIEEE(b[2:size])) == binary.LittleEndian.Uint16(b)
}

// rar5Header checks a RAR 5 header: CRC-32, then the header size and type
// as variable-length integers; the CRC covers the size field and the
// header.
func rar5Header(b []byte) bool {
	if len(b) < 6 {
		return true // a cut header: the marker is all there is to judge
	}
	size, n := binary.Uvarint(b[4:])
	if n <= 0 || size == 0 || size > 1<<21 {
		return false
	}
	typ, m := binary.Uvarint(b[4+n:])
	if m <= 0 || (typ != 1 && typ != 4) {
		return false
	}
	end := 4 + n + int(size)
	return end > len(b) || crc32.ChecksumIEEE(b[4:end]) == binary.LittleEndian.Uint32(b)
}

// detect7z recognises a 7z archive: the signature, major version 0 and a
// start header (the next header's offset, size and CRC) whose CRC-32
// matches.
func detect7z(h []byte) (Type, string, bool) {
	if !bytes.HasPrefix(h, sevenZip) {
		return Unknown, "", false
	}
	if len(h) >= 32 && (h[6] != 0 || crc32.ChecksumIEEE(h[12:32]) != binary.LittleEndian.Uint32(h[8:12])) {
		return Unknown, "a 7z signature without a valid start header", true
	}
	return Type7Z, Type7Z.MIME(), true
}
