package sniff

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
)

// Dimensions reads the stored width and height of a PNG, GIF, JPEG or
// WebP from its first bytes, without decoding any pixel. ok is false when
// the header does not hold them (a JPEG whose metadata runs past header,
// AVIF and HEIC, whose sizes sit deep in their boxes): the caller then
// leaves the check to the decoder.
func Dimensions(header []byte) (width, height int, ok bool) {
	var cfg image.Config
	var err error
	switch {
	case bytes.HasPrefix(header, []byte("\x89PNG\r\n\x1a\n")):
		cfg, err = png.DecodeConfig(bytes.NewReader(header))
	case bytes.HasPrefix(header, []byte("GIF8")):
		cfg, err = gif.DecodeConfig(bytes.NewReader(header))
	case bytes.HasPrefix(header, []byte("\xff\xd8\xff")):
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(header))
	case len(header) >= 30 && string(header[0:4]) == "RIFF" && string(header[8:12]) == "WEBP":
		return webpDimensions(header)
	default:
		return 0, 0, false
	}
	if err != nil {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, true
}

// webpDimensions reads the canvas of an extended (VP8X), lossy (VP8) or
// lossless (VP8L) WebP.
func webpDimensions(h []byte) (int, int, bool) {
	le24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	switch string(h[12:16]) {
	case "VP8X":
		return le24(h[24:27]) + 1, le24(h[27:30]) + 1, true
	case "VP8 ":
		if h[23] != 0x9d || h[24] != 0x01 || h[25] != 0x2a {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(h[26:28]) & 0x3fff), int(binary.LittleEndian.Uint16(h[28:30]) & 0x3fff), true
	case "VP8L":
		if h[20] != 0x2f {
			return 0, 0, false
		}
		bits := binary.LittleEndian.Uint32(h[21:25])
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, true
	}
	return 0, 0, false
}
