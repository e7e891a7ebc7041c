package strip

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"picpipe"
)

// rc returns a RIFF chunk, padded to an even size.
func rc(id, data string) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// webpOf returns a RIFF WebP file of the chunks. Strip does not decode,
// so the bitstreams need not make a picture.
func webpOf(chunks ...[]byte) []byte {
	body := slices.Concat(append([][]byte{[]byte("WEBP")}, chunks...)...)
	return slices.Concat([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body))), body)
}

// vp8x returns a VP8X chunk with the flags for a 16×16 canvas.
func vp8x(flags byte) []byte { return rc("VP8X", string([]byte{flags, 0, 0, 0, 15, 0, 0, 15, 0, 0})) }

// anmf returns an ANMF frame of the chunks.
func anmf(chunks ...[]byte) []byte {
	return rc("ANMF", string(slices.Concat(append([][]byte{make([]byte, anmfHeaderSize)}, chunks...)...)))
}

// unpadded drops the padding byte at the end of a WebP file, as some
// writers do, with a RIFF size that counts what is left.
func unpadded(b []byte) []byte {
	b = bytes.Clone(b[:len(b)-1])
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestStripWebPChunks(t *testing.T) {
	const vp8xICC, vp8xAlpha, vp8xAnim = 0x20, 0x10, 0x02
	vp8 := rc("VP8 ", "\x10\x02\x00\x9d\x01\x2a\x10\x00\x10\x00")
	vp8l := rc("VP8L", "\x2f\x0f\xc0\x03")
	exif := func(o uint32) []byte {
		return rc("EXIF", exifHeader+string(tiff(binary.LittleEndian, orientationEntry(o))))
	}
	minimal := rc("EXIF", string(orientationTIFF(6)))
	xmp := rc("XMP ", "<x:xmpmeta>SecretCreator</x:xmpmeta>")
	tests := []struct {
		name        string
		in, want    []byte
		removed     []string
		orientation int
	}{
		{"simple file", webpOf(vp8), webpOf(vp8), nil, 0},
		{"orientation kept with the EXIF flag", webpOf(vp8x(vp8xEXIF|vp8xXMP), vp8, exif(6), xmp),
			webpOf(vp8x(vp8xEXIF), vp8, minimal), []string{KindEXIF, KindXMP}, 6},
		{"normal orientation: EXIF flag cleared, ICC kept", webpOf(vp8x(vp8xICC|vp8xEXIF|vp8xXMP|vp8xAlpha), rc("ICCP", "icc"), rc("ALPH", "a"), vp8, exif(1), xmp),
			webpOf(vp8x(vp8xICC|vp8xAlpha), rc("ICCP", "icc"), rc("ALPH", "a"), vp8), []string{KindEXIF, KindXMP}, 0},
		{"no VP8X: no EXIF written back", webpOf(vp8l, exif(6)), webpOf(vp8l), []string{KindEXIF}, 0},
		{"unknown chunks", webpOf(vp8x(0), vp8, rc("UNKN", "odd"), rc("IPTC", "k")), webpOf(vp8x(0), vp8), []string{KindOther}, 0},
		{"frames", webpOf(vp8x(vp8xAnim|vp8xEXIF), rc("ANIM", "\xff\xff\xff\xff\x00\x00"), anmf(rc("ALPH", "a"), vp8, rc("UNKN", "odd")), anmf(vp8l, rc("XMP ", "x")), exif(6)),
			webpOf(vp8x(vp8xAnim|vp8xEXIF), rc("ANIM", "\xff\xff\xff\xff\x00\x00"), anmf(rc("ALPH", "a"), vp8), anmf(vp8l), minimal),
			[]string{KindEXIF, KindXMP, KindOther}, 6},
		{"missing last padding byte", unpadded(webpOf(vp8x(0), vp8, rc("ALPH", "a"))), webpOf(vp8x(0), vp8, rc("ALPH", "a")), nil, 0},
		{"trailer", append(webpOf(vp8), "SecretTrailer"...), webpOf(vp8), []string{KindTrailer}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := strip(t, tt.in, "webp")
			if !bytes.Equal(out, tt.want) {
				t.Errorf("Strip output =\n%q\nwant\n%q", out, tt.want)
			}
			if !slices.Equal(res.Removed, tt.removed) || res.Orientation != tt.orientation {
				t.Errorf("Strip = %+v; want Removed %v, Orientation %d", res, tt.removed, tt.orientation)
			}
		})
	}
}

func TestStripWebPMalformed(t *testing.T) {
	vp8 := rc("VP8 ", "\x10\x02\x00\x9d\x01\x2a\x10\x00\x10\x00")
	sized := func(b []byte, size uint32) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint32(b[4:], size)
		return b
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"not RIFF", []byte("RIFX\x04\x00\x00\x00WEBP")},
		{"not WEBP", []byte("RIFF\x04\x00\x00\x00WAVE")},
		{"a RIFF size beyond the file", sized(webpOf(vp8), 1000)},
		{"a chunk overrunning the RIFF", webpOf([]byte("VP8 \xff\x00\x00\x00xx"))},
		{"a cut chunk header", webpOf(vp8, []byte("VP8"))},
		{"a short VP8X", webpOf(rc("VP8X", "\x00\x00"), vp8)},
		{"a short ANMF", webpOf(vp8x(0x02), rc("ANMF", "\x00\x00"))},
		{"a frame chunk overrunning its frame", webpOf(vp8x(0x02), rc("ANMF", string(make([]byte, 16))+"VP8 \x20\x00\x00\x00"))},
		{"a cut header", []byte("RIFF\x04\x00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Strip(&bytes.Buffer{}, bytes.NewReader(tt.in), "webp")
			if code := picpipe.ErrorCode(err); code != picpipe.ECodeDecodeFailed {
				t.Errorf("Strip error = %v (code %q); want code %q", err, code, picpipe.ECodeDecodeFailed)
			}
		})
	}
}
