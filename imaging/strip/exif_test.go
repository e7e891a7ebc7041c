package strip

import (
	"encoding/binary"
	"testing"
)

// tiff builds an EXIF block in the byte order order whose IFD0 holds the
// given entries (tag, type, count, value).
func tiff(order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}, entries ...[4]uint32) []byte {
	b := make([]byte, 8, 8+2+12*len(entries)+4)
	if order.String() == binary.LittleEndian.String() {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	order.PutUint32(b[4:], 8)
	b = order.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = order.AppendUint16(b, uint16(e[0]))
		b = order.AppendUint16(b, uint16(e[1]))
		b = order.AppendUint32(b, e[2])
		b = order.AppendUint16(b, uint16(e[3]))
		b = append(b, 0, 0)
	}
	return append(b, 0, 0, 0, 0)
}

// orientationEntry is an IFD entry Orientation = o.
func orientationEntry(o uint32) [4]uint32 { return [4]uint32{tagOrientation, 3, 1, o} }

func TestEXIFOrientation(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	make0 := [4]uint32{0x010F, 2, 4, 0}
	tests := []struct {
		name string
		exif []byte
		want int
	}{
		{"little-endian", tiff(le, make0, orientationEntry(6)), 6},
		{"big-endian", tiff(be, orientationEntry(8)), 8},
		{"after the JPEG header", append([]byte(exifHeader), tiff(be, orientationEntry(3))...), 3},
		{"normal", tiff(le, orientationEntry(1)), 1},
		{"none", tiff(le, make0), 0},
		{"out of range", tiff(le, orientationEntry(9)), 0},
		{"zero", tiff(le, orientationEntry(0)), 0},
		{"not a SHORT", tiff(le, [4]uint32{tagOrientation, 4, 1, 6}), 0},
		{"two values", tiff(le, [4]uint32{tagOrientation, 3, 2, 6}), 0},
		{"cut in IFD0", tiff(le, make0, orientationEntry(6))[:20], 0},
		{"IFD0 beyond the end", []byte("MM\x00*\x00\x00\xff\xff"), 0},
		{"IFD0 inside the header", []byte("MM\x00*\x00\x00\x00\x04\x00\x00"), 0},
		{"not TIFF", []byte("hello, world"), 0},
		{"empty", nil, 0},
		{"the minimal block", orientationTIFF(5), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exifOrientation(tt.exif); got != tt.want {
				t.Errorf("exifOrientation = %d; want %d", got, tt.want)
			}
		})
	}
}
