package sniff

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// The RAR samples are built from the format specifications (RAR 4.x
// technote.txt and the RAR 5.0 archive format), as Debian ships no RAR
// encoder: an archive holding one stored file. bsdtar (libarchive) lists
// and extracts both.

// rar4 returns a RAR 4 archive storing name with data.
func rar4(name string, data []byte) []byte {
	var b bytes.Buffer
	b.Write(rar4Marker)
	rar4Block(&b, 0x73, 0x0000, make([]byte, 6)) // archive header: two reserved fields
	var f bytes.Buffer
	le := binary.LittleEndian
	f.Write(le.AppendUint32(nil, uint32(len(data))))        // PACK_SIZE
	f.Write(le.AppendUint32(nil, uint32(len(data))))        // UNP_SIZE
	f.WriteByte(0)                                          // HOST_OS: MS-DOS
	f.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(data))) // FILE_CRC
	f.Write(le.AppendUint32(nil, 0x5a210000))               // FTIME: 2025-01-01 00:00 (DOS)
	f.Write([]byte{20, 0x30})                               // UNP_VER 2.0, METHOD store
	f.Write(le.AppendUint16(nil, uint16(len(name))))
	f.Write(le.AppendUint32(nil, 0x20)) // ATTR: archive
	f.WriteString(name)
	rar4Block(&b, 0x74, 0x8000, f.Bytes())
	b.Write(data)
	rar4Block(&b, 0x7b, 0x4000, nil) // end of archive
	return b.Bytes()
}

// rar4Block writes a RAR 4 block: HEAD_CRC, HEAD_TYPE, HEAD_FLAGS,
// HEAD_SIZE and the rest of the header.
func rar4Block(b *bytes.Buffer, typ byte, flags uint16, rest []byte) {
	h := []byte{typ}
	h = binary.LittleEndian.AppendUint16(h, flags)
	h = binary.LittleEndian.AppendUint16(h, uint16(7+len(rest)))
	h = append(h, rest...)
	b.Write(binary.LittleEndian.AppendUint16(nil, uint16(crc32.ChecksumIEEE(h))))
	b.Write(h)
}

// rar5 returns a RAR 5 archive storing name with data.
func rar5(name string, data []byte) []byte {
	var b bytes.Buffer
	b.Write(rar5Marker)
	rar5Block(&b, vints(1, 0, 0))                                             // main archive header: type, flags, archive flags
	f := vints(2, 0x0002, uint64(len(data)), 0x0004, uint64(len(data)), 0x20) // type, flags (data area), data size, file flags (CRC), size, attributes
	f = binary.LittleEndian.AppendUint32(f, crc32.ChecksumIEEE(data))
	f = append(f, vints(0, 0, uint64(len(name)))...) // compression: version 0, store; host OS Windows; name length
	f = append(f, name...)
	rar5Block(&b, f)
	b.Write(data)
	rar5Block(&b, vints(5, 0, 0)) // end of archive
	return b.Bytes()
}

// rar5Block writes a RAR 5 header: CRC-32, size, then h.
func rar5Block(b *bytes.Buffer, h []byte) {
	sized := append(binary.AppendUvarint(nil, uint64(len(h))), h...)
	b.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(sized)))
	b.Write(sized)
}

func vints(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

func TestRARSamples(t *testing.T) {
	for name, b := range map[string][]byte{"v4": rar4("a.txt", []byte("hello\n")), "v5": rar5("a.txt", []byte("hello\n"))} {
		if got, what := Detect(b, "a.rar"); got != TypeRAR {
			t.Errorf("%s: Detect = %v (%s), want rar", name, got, what)
		}
	}
}
