package strip

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"testing"

	"picpipe"
)

// chunk returns a PNG chunk with its CRC.
func chunk(typ, data string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ+data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE([]byte(typ+data)))
}

// pngOf returns the signature, the chunks and IEND. Strip does not decode,
// so the data need not make a picture.
func pngOf(chunks ...[]byte) []byte {
	return slices.Concat(append(append([][]byte{[]byte(pngSignature)}, chunks...), chunk("IEND", ""))...)
}

var (
	ihdr = chunk("IHDR", "\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00")
	idat = chunk("IDAT", "\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01")
)

func TestStripPNGChunks(t *testing.T) {
	exif := func(o uint32) []byte { return chunk("eXIf", string(tiff(binary.BigEndian, orientationEntry(o)))) }
	colour := [][]byte{chunk("iCCP", "icc\x00\x00zz"), chunk("cHRM", string(make([]byte, 32))), chunk("gAMA", "\x00\x00\xb1\x8f"),
		chunk("sRGB", "\x00"), chunk("cICP", "\x01\x0d\x00\x01"), chunk("sBIT", "\x08\x08\x08\x08"),
		chunk("pHYs", "\x00\x00\x0b\x13\x00\x00\x0b\x13\x01"), chunk("bKGD", "\x00\x00\x00\x00\x00\x00")}
	apng := [][]byte{chunk("acTL", "\x00\x00\x00\x02\x00\x00\x00\x00"), chunk("fcTL", string(make([]byte, 26))), idat,
		chunk("fcTL", "\x00\x00\x00\x01"+string(make([]byte, 22))), chunk("fdAT", "\x00\x00\x00\x02\x78\x9c")}
	tests := []struct {
		name        string
		in, want    [][]byte
		removed     []string
		orientation int
	}{
		{"colour and transparency kept", slices.Concat([][]byte{ihdr}, colour, [][]byte{chunk("tRNS", "\x00"), idat}),
			slices.Concat([][]byte{ihdr}, colour, [][]byte{chunk("tRNS", "\x00"), idat}), nil, 0},
		{"APNG kept", slices.Concat([][]byte{ihdr}, apng), slices.Concat([][]byte{ihdr}, apng), nil, 0},
		{"text", [][]byte{ihdr, chunk("tEXt", "Comment\x00hi"), chunk("zTXt", "Title\x00\x00x"), chunk("iTXt", "Author\x00\x00\x00\x00\x00me"), idat},
			[][]byte{ihdr, idat}, []string{KindComment}, 0},
		{"XMP, EXIF and IPTC in text chunks", [][]byte{ihdr, chunk("iTXt", "XML:com.adobe.xmp\x00\x00\x00\x00\x00<x/>"),
			chunk("zTXt", "Raw profile type exif\x00\x00x"), chunk("zTXt", "Raw profile type iptc\x00\x00x"), idat},
			[][]byte{ihdr, idat}, []string{KindEXIF, KindXMP, KindIPTC}, 0},
		{"eXIf with an orientation", [][]byte{ihdr, exif(6), idat}, [][]byte{ihdr, chunk("eXIf", string(orientationTIFF(6))), idat},
			[]string{KindEXIF}, 6},
		{"eXIf with the normal orientation", [][]byte{ihdr, exif(1), idat}, [][]byte{ihdr, idat}, []string{KindEXIF}, 0},
		{"two eXIf: the first counts", [][]byte{ihdr, exif(2), idat, exif(7)}, [][]byte{ihdr, chunk("eXIf", string(orientationTIFF(2))), idat},
			[]string{KindEXIF}, 2},
		{"time, private and unknown ancillary chunks", [][]byte{ihdr, chunk("tIME", "\x07\xe8\x01\x02\x03\x04\x05"), chunk("sPLT", "p\x00\x08"),
			chunk("iDOT", "x"), chunk("caNv", "y"), chunk("dSIG", "z"), idat}, [][]byte{ihdr, idat}, []string{KindOther}, 0},
		{"unknown critical chunk kept", [][]byte{ihdr, chunk("CgBI", "\x00"), idat}, [][]byte{ihdr, chunk("CgBI", "\x00"), idat}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := strip(t, pngOf(tt.in...), "png")
			if want := pngOf(tt.want...); !bytes.Equal(out, want) {
				t.Errorf("Strip output =\n%q\nwant\n%q", out, want)
			}
			if !slices.Equal(res.Removed, tt.removed) || res.Orientation != tt.orientation {
				t.Errorf("Strip = %+v; want Removed %v, Orientation %d", res, tt.removed, tt.orientation)
			}
		})
	}
}

func TestStripPNGMalformed(t *testing.T) {
	sig := pngSignature
	tests := []struct{ name, in string }{
		{"no signature", "\x89PNG\r\n\x1a\x00"},
		{"no IEND", sig + string(ihdr) + string(idat)},
		{"a chunk overrunning the file", sig + string(ihdr) + "\x00\x00\x10\x00IDATxx"},
		{"a chunk length over 2^31-1", sig + string(ihdr) + "\x80\x00\x00\x00IDAT"},
		{"a chunk type that is not letters", sig + string(ihdr) + "\x00\x00\x00\x00ID1T\x00\x00\x00\x00"},
		{"a dropped chunk overrunning the file", sig + string(ihdr) + "\x00\x00\x10\x00tEXtComment"},
		{"an eXIf overrunning the file", sig + string(ihdr) + "\x00\x00\x10\x00eXIfMM\x00*"},
		{"a cut chunk header", sig + "\x00\x00\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Strip(&bytes.Buffer{}, bytes.NewReader([]byte(tt.in)), "png")
			if code := picpipe.ErrorCode(err); code != picpipe.ECodeDecodeFailed {
				t.Errorf("Strip error = %v (code %q); want code %q", err, code, picpipe.ECodeDecodeFailed)
			}
		})
	}
}
