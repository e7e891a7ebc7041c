package sniff

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
)

// compound builds a version 3 compound file (512-byte sectors) whose root
// storage has class ID clsid and holds one stream, name, in regular
// sectors (stream is padded to the 4096-byte mini-stream cutoff). With
// streamFirst the stream takes sector 0, as in Word's own saves, and the
// FAT and the directory follow it; otherwise they take sectors 0 and 1.
// olefile (python3-olefile) reads what it builds.
func compound(name string, clsid, stream []byte, streamFirst bool) []byte {
	if len(stream) < 4096 {
		stream = append(stream, make([]byte, 4096-len(stream))...)
	}
	n := uint32((len(stream) + 511) / 512)
	streamAt, fatAt, dirAt := uint32(2), uint32(0), uint32(1)
	if streamFirst {
		streamAt, fatAt, dirAt = 0, n, n+1
	}
	const free, end, fatSect, noStream = 0xffffffff, 0xfffffffe, 0xfffffffd, 0xffffffff
	fat := make([]uint32, 128)
	for i := range fat {
		fat[i] = free
	}
	for i := uint32(0); i < n; i++ {
		fat[streamAt+i] = streamAt + i + 1
	}
	fat[streamAt+n-1], fat[fatAt], fat[dirAt] = end, fatSect, end

	le := binary.LittleEndian
	h := append([]byte{}, oleMagic...)
	h = append(h, make([]byte, 16)...)                              // header class ID
	h = le.AppendUint16(h, 0x3e)                                    // minor version
	h = le.AppendUint16(h, 3)                                       // major version
	h = le.AppendUint16(h, 0xfffe)                                  // byte order
	h = le.AppendUint16(h, 9)                                       // sector shift
	h = le.AppendUint16(h, 6)                                       // mini sector shift
	h = append(h, make([]byte, 6+4)...)                             // reserved, directory sectors (0 in v3)
	h = le.AppendUint32(h, 1)                                       // FAT sectors
	h = le.AppendUint32(h, dirAt)                                   // first directory sector
	h = le.AppendUint32(h, 0)                                       // transaction signature
	h = le.AppendUint32(h, 4096)                                    // mini stream cutoff
	h = append(h, le.AppendUint32(le.AppendUint32(nil, end), 0)...) // mini FAT: none
	h = append(h, le.AppendUint32(le.AppendUint32(nil, end), 0)...) // DIFAT sectors: none
	h = le.AppendUint32(h, fatAt)
	for len(h) < 512 {
		h = le.AppendUint32(h, free)
	}

	sectors := make([][]byte, n+2)
	for i := uint32(0); i < n; i++ {
		sectors[streamAt+i] = stream[i*512 : (i+1)*512]
	}
	var fb []byte
	for _, v := range fat {
		fb = le.AppendUint32(fb, v)
	}
	sectors[fatAt] = fb
	dir := dirEntry("Root Entry", 5, 1, clsid, end, 0)
	dir = append(dir, dirEntry(name, 2, noStream, nil, streamAt, len(stream))...)
	dir = append(dir, dirEntry("", 0, noStream, nil, 0, 0)...)
	dir = append(dir, dirEntry("", 0, noStream, nil, 0, 0)...)
	sectors[dirAt] = dir
	return append(h, bytes.Join(sectors, nil)...)
}

// dirEntry builds a 128-byte directory entry.
func dirEntry(name string, typ byte, child uint32, clsid []byte, start uint32, size int) []byte {
	le := binary.LittleEndian
	e := make([]byte, 0, 128)
	u := utf16.Encode([]rune(name))
	for _, c := range u {
		e = le.AppendUint16(e, c)
	}
	e = append(e, make([]byte, 64-len(e))...)
	nameLen := 0
	if name != "" {
		nameLen = 2 * (len(u) + 1)
	}
	e = le.AppendUint16(e, uint16(nameLen))
	e = append(e, typ, 1)                                           // type, colour black
	e = le.AppendUint32(le.AppendUint32(e, 0xffffffff), 0xffffffff) // no siblings
	e = le.AppendUint32(e, child)
	e = append(e, append(clsid, make([]byte, 16-len(clsid))...)...)
	e = append(e, make([]byte, 4+8+8)...) // state bits, times
	e = le.AppendUint32(e, start)
	return le.AppendUint64(e, uint64(size))
}

var (
	wordClassID  = wordClassIDs[0]
	excelClassID = []byte("\x20\x08\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")
	wordFIBStart = []byte("\xec\xa5\xc1\x00")                 // wIdent 0xA5EC, nFib 193
	biffBOF      = []byte("\x09\x08\x10\x00\x00\x06\x05\x00") // Excel's BIFF8 BOF record
)
