package strip

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"picpipe"
)

// seg returns a JPEG marker segment.
func seg(m byte, payload string) []byte {
	b := []byte{0xFF, m}
	b = binary.BigEndian.AppendUint16(b, uint16(2+len(payload)))
	return append(b, payload...)
}

// jpegBody is the structure of a JPEG after its metadata: tables, frame
// header, two scans whose data have stuffed bytes, restart markers and a
// fill byte, and EOI. Strip does not decode, so the numbers need not
// make a picture.
var jpegBody = bytes.Join([][]byte{
	seg(0xDB, "\x00"+string(make([]byte, 64))), // DQT
	seg(0xC2, "\x08\x00\x10\x00\x10\x01\x01\x11\x00"),
	seg(0xC4, "\x00\x00"), // DHT
	seg(markerSOS, "\x01\x01\x00\x00\x00\x00"),
	[]byte("\x12\x34\xff\x00\x56\xff\xd0\x78\xff\xd7\x9a"),
	seg(0xDD, "\x00\x04"), // DRI between scans
	seg(markerSOS, "\x01\x01\x00\x01\x05\x00"),
	[]byte("\xff\x00\xff\x00\xab\xff\xff"),
	{0xFF, markerEOI},
}, nil)

// jpegOf returns SOI, the segments and jpegBody.
func jpegOf(segments ...[]byte) []byte {
	return slices.Concat(append(append([][]byte{{0xFF, markerSOI}}, segments...), jpegBody)...)
}

func TestStripJPEGSegments(t *testing.T) {
	jfif := "JFIF\x00\x01\x02\x01\x00\x48\x00\x48"
	tests := []struct {
		name        string
		in, want    [][]byte
		removed     []string
		orientation int
	}{
		{"no metadata", nil, nil, nil, 0},
		{"JFIF", [][]byte{seg(0xE0, jfif+"\x00\x00")}, [][]byte{seg(0xE0, jfif+"\x00\x00")}, nil, 0},
		{"JFIF thumbnail", [][]byte{seg(0xE0, jfif+"\x02\x01"+"rgbrgb")}, [][]byte{seg(0xE0, jfif+"\x00\x00")},
			[]string{KindThumbnail}, 0},
		{"JFXX thumbnail", [][]byte{seg(0xE0, jfif+"\x00\x00"), seg(0xE0, "JFXX\x00\x10thumb")},
			[][]byte{seg(0xE0, jfif+"\x00\x00")}, []string{KindThumbnail}, 0},
		{"EXIF with an orientation", [][]byte{seg(0xE1, exifHeader+string(tiff(binary.LittleEndian, [4]uint32{0x010F, 2, 4, 0}, orientationEntry(8))))},
			[][]byte{seg(0xE1, exifHeader+string(orientationTIFF(8)))}, []string{KindEXIF}, 8},
		{"EXIF with the normal orientation", [][]byte{seg(0xE1, exifHeader+string(tiff(binary.BigEndian, orientationEntry(1))))},
			nil, []string{KindEXIF}, 0},
		{"two EXIF segments: the first counts", [][]byte{
			seg(0xE1, exifHeader+string(tiff(binary.BigEndian, orientationEntry(3)))),
			seg(0xE1, exifHeader+string(tiff(binary.BigEndian, orientationEntry(6)))),
		}, [][]byte{seg(0xE1, exifHeader+string(orientationTIFF(3)))}, []string{KindEXIF}, 3},
		{"XMP and extended XMP", [][]byte{
			seg(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"),
			seg(0xE1, "http://ns.adobe.com/xmp/extension/\x00"+"0123456789ABCDEF0123456789ABCDEF<rdf/>"),
		}, nil, []string{KindXMP}, 0},
		{"ICC kept, MPF and FlashPix dropped", [][]byte{
			seg(0xE2, "ICC_PROFILE\x00\x01\x01profile"), seg(0xE2, "MPF\x00II*\x00"), seg(0xE2, "FPXR\x00\x00"),
		}, [][]byte{seg(0xE2, "ICC_PROFILE\x00\x01\x01profile")}, []string{KindOther}, 0},
		{"Photoshop IPTC", [][]byte{seg(0xED, "Photoshop 3.0\x008BIM\x04\x04")}, nil, []string{KindIPTC}, 0},
		{"Adobe kept, other APP14 dropped", [][]byte{seg(0xEE, "Adobe\x00\x64\x00\x00\x00\x00\x02"), seg(0xEE, "Ducky")},
			[][]byte{seg(0xEE, "Adobe\x00\x64\x00\x00\x00\x00\x02")}, []string{KindOther}, 0},
		{"vendor segments", [][]byte{seg(0xE3, "Meta"), seg(0xE4, ""), seg(0xEA, "AROT"), seg(0xEB, "JP"), seg(0xEC, "Ducky"), seg(0xEF, "x")},
			nil, []string{KindOther}, 0},
		{"APP0 that is not JFIF", [][]byte{seg(0xE0, "AVI1\x00")}, nil, []string{KindOther}, 0},
		{"comment", [][]byte{seg(markerCOM, "SecretComment")}, nil, []string{KindComment}, 0},
		{"fill bytes before a marker", [][]byte{{0xFF, 0xFF}, seg(markerCOM, "c"), {0xFF}, seg(0xE2, "ICC_PROFILE\x00")},
			[][]byte{seg(0xE2, "ICC_PROFILE\x00")}, []string{KindComment}, 0},
		{"standalone marker kept", [][]byte{{0xFF, 0x01}}, [][]byte{{0xFF, 0x01}}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := strip(t, jpegOf(tt.in...), "jpeg")
			if want := jpegOf(tt.want...); !bytes.Equal(out, want) {
				t.Errorf("Strip output =\n%q\nwant\n%q", out, want)
			}
			if !slices.Equal(res.Removed, tt.removed) || res.Orientation != tt.orientation {
				t.Errorf("Strip = %+v; want Removed %v, Orientation %d", res, tt.removed, tt.orientation)
			}
		})
	}
}

func TestStripJPEGTrailer(t *testing.T) {
	in := append(jpegOf(), "\xff\xd8MPF image with its own EXIF"...)
	out, res := strip(t, in, "jpeg")
	if !bytes.Equal(out, jpegOf()) || !slices.Equal(res.Removed, []string{KindTrailer}) {
		t.Errorf("Strip = %+v, %q; want the image up to EOI and Removed [Trailer]", res, out)
	}
}

func TestStripJPEGMalformed(t *testing.T) {
	soi := "\xff\xd8"
	tests := []struct{ name, in string }{
		{"no SOI", "\xff\xd9"},
		{"a second SOI", soi + soi},
		{"a segment length of 1", soi + "\xff\xe0\x00\x01"},
		{"a segment overrunning the file", soi + "\xff\xe0\x00\x10JFIF"},
		{"an APP1 overrunning the file", soi + "\xff\xe1\x00\x40Exif\x00\x00"},
		{"a byte where a marker should be", soi + "\x00"},
		{"stuffing outside a scan", soi + "\xff\x00"},
		{"no EOI after a scan", soi + "\xff\xda\x00\x02\x12\x34"},
		{"no EOI at all", soi + string(seg(0xDB, "q"))},
		{"fill bytes up to the end", soi + "\xff\xff"},
		{"an 0xFF at the end of a scan", soi + "\xff\xda\x00\x02\x12\xff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Strip(&bytes.Buffer{}, bytes.NewReader([]byte(tt.in)), "jpeg")
			if code := picpipe.ErrorCode(err); code != picpipe.ECodeDecodeFailed {
				t.Errorf("Strip error = %v (code %q); want code %q", err, code, picpipe.ECodeDecodeFailed)
			}
		})
	}
}
