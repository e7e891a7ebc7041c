package sniff

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// HEIF-family files (AVIF, HEIC) start with an ISO-BMFF "ftyp" box: a major
// brand and a list of compatible brands. The major brand alone is not
// enough: "mif1" (and "msf1", "miaf") only says "some HEIF image", and both
// AVIF and HEIC encoders write it, so the codec is then decided by the
// compatible brands.

// avifBrands and heicBrands name the codec-specific brands; structural
// brands name the generic HEIF/MIAF ones that defer to the compatible list.
var (
	avifBrands       = []string{"avif", "avis"}
	heicBrands       = []string{"heic", "heix", "hevc", "hevx"}
	structuralBrands = []string{"mif1", "msf1", "miaf"}
)

// isFtyp reports whether header starts with an ftyp box.
func isFtyp(header []byte) bool {
	return len(header) >= 12 && header[0] == 0 && bytes.Equal(header[4:8], []byte("ftyp"))
}

// detectFtyp classifies an ftyp-led header as AVIF or HEIC by its brands.
func detectFtyp(header []byte) (Format, string, bool) {
	major, compatible := ftypBrands(header)
	if f, ok := brandFormat(major); ok {
		return f, f.MIME, true
	}
	if contains(structuralBrands, major) {
		for _, b := range compatible {
			if f, ok := brandFormat(b); ok {
				return f, f.MIME, true
			}
		}
	}
	all := append([]string{major}, compatible...)
	return Format{}, fmt.Sprintf("an ISO media file with brands %s", strings.Join(all, ", ")), false
}

// brandFormat maps a codec-specific brand to its format.
func brandFormat(brand string) (Format, bool) {
	switch {
	case contains(avifBrands, brand):
		return AVIF, true
	case contains(heicBrands, brand):
		return HEIC, true
	}
	return Format{}, false
}

// ftypBrands returns the major and compatible brands of the ftyp box at the
// start of header, reading no further than header or the box itself.
func ftypBrands(header []byte) (major string, compatible []string) {
	major = printable(header[8:12])
	end := len(header)
	if size := int(binary.BigEndian.Uint32(header)); size >= 16 && size < end {
		end = size
	}
	// Bytes 12..16 are the minor version; brands follow, four bytes each.
	for i := 16; i+4 <= end && len(compatible) < 64; i += 4 {
		compatible = append(compatible, printable(header[i:i+4]))
	}
	return major, compatible
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
