package sniff

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// ISO base media files (AVIF, HEIC, MP4, MOV) start with an "ftyp" box: a
// major brand and a list of compatible brands. The major brand names the
// file's own kind: "avif", "heic", "isom", "mp42", "qt  ", … It is not
// always enough for images: "mif1" (and "msf1", "miaf") only says "some
// HEIF image", and both AVIF and HEIC encoders write it, so the codec is
// then decided by the compatible brands. An MP4 may list "mif1" or "avif"
// among its compatible brands and stays an MP4; an AVIF never has an MP4
// major brand.

// The brands that decide a type. Structural brands are the generic HEIF
// and MIAF ones that defer to the compatible list.
var (
	avifBrands       = []string{"avif", "avis"}
	heicBrands       = []string{"heic", "heix", "hevc", "hevx"}
	structuralBrands = []string{"mif1", "msf1", "miaf"}
	// mp4Brands are the major brands of MPEG-4 video: ISO base media and
	// its MP4, AVC, AV1, DASH, Flash, Apple M4V, Sony and Nero profiles.
	// Audio-only (M4A), 3GPP and JPEG 2000 brands are not among them.
	mp4Brands = []string{
		"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9",
		"mp41", "mp42", "mp71", "avc1", "av01", "dash", "f4v ", "M4V ", "M4VH", "M4VP",
		"MSNV", "XAVC", "NDAS", "mmp4",
	}
	movBrands = []string{"qt  "}
)

// isFtyp reports whether header starts with an ftyp box.
func isFtyp(header []byte) bool {
	return len(header) >= 12 && header[0] == 0 && bytes.Equal(header[4:8], []byte("ftyp"))
}

// detectFtyp classifies an ftyp-led header by its brands.
func detectFtyp(h []byte) (Type, string, bool) {
	if !isFtyp(h) {
		return Unknown, "", false
	}
	major, compatible := ftypBrands(h)
	brands := strings.Join(append([]string{major}, compatible...), ", ")
	t := brandType(major)
	if t == Unknown && contains(structuralBrands, major) {
		for _, b := range compatible {
			if t = brandType(b); t.Class() == ClassRaster {
				break
			}
			t = Unknown // a structural major brand defers to image brands only
		}
	}
	if t == Unknown {
		return Unknown, "an ISO media file with brands " + brands, true
	}
	return t, fmt.Sprintf("%s (brands %s)", t.MIME(), brands), true
}

// brandType maps a brand that decides a type to it.
func brandType(brand string) Type {
	switch {
	case contains(avifBrands, brand):
		return TypeAVIF
	case contains(heicBrands, brand):
		return TypeHEIC
	case contains(mp4Brands, brand):
		return TypeMP4
	case contains(movBrands, brand):
		return TypeMOV
	}
	return Unknown
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

// quickTimeAtoms may open a QuickTime movie written before ftyp existed.
var quickTimeAtoms = []string{"moov", "mdat", "wide", "free", "skip", "pnot"}

// detectQuickTime recognises a QuickTime movie without an ftyp box: a
// binary file whose first atom is one of quickTimeAtoms with a valid size,
// followed (when the header shows it) by another atom with a four-letter
// name.
func detectQuickTime(h []byte) (Type, string, bool) {
	if len(h) < 8 || !contains(quickTimeAtoms, string(h[4:8])) || isText(h) {
		return Unknown, "", false
	}
	size := int64(binary.BigEndian.Uint32(h))
	if size > 1 && size < 8 {
		return Unknown, "", false
	}
	if size >= 8 && size+8 <= int64(len(h)) && !isFourCC(h[size+4:size+8]) {
		return Unknown, "", false
	}
	return TypeMOV, TypeMOV.MIME() + " (QuickTime atoms without ftyp)", true
}

// isFourCC reports whether b is a four-character code of letters, digits
// and spaces, as atom names are.
func isFourCC(b []byte) bool {
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ' ') {
			return false
		}
	}
	return len(b) == 4
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
