package strip

import (
	"bytes"
	"slices"
	"testing"

	"picpipe"
)

// gifHeader is a GIF89a header and a 1×1 screen with a global colour
// table of two colours.
const gifHeader = "GIF89a\x01\x00\x01\x00\x80\x00\x00" + "\x00\x00\x00\xff\xff\xff"

// gifOf returns a GIF of the blocks and the trailer.
func gifOf(blocks ...[]byte) []byte {
	return slices.Concat(append(append([][]byte{[]byte(gifHeader)}, blocks...), []byte{gifTrailer})...)
}

// subBlocks encodes data as sub-blocks and the empty one.
func subBlocks(data ...string) []byte {
	var b []byte
	for _, d := range data {
		b = append(append(b, byte(len(d))), d...)
	}
	return append(b, 0)
}

// ext returns an extension block.
func ext(label byte, data ...string) []byte {
	return append([]byte{gifExtension, label}, subBlocks(data...)...)
}

// gifImageBlock returns an image; local adds a local colour table of four
// colours.
func gifImageBlock(local bool) []byte {
	d := []byte{gifImage, 0, 0, 0, 0, 1, 0, 1, 0, 0}
	if local {
		d[9] = 0x81
		d = append(d, make([]byte, 12)...)
	}
	return append(append(d, 2), subBlocks("\x4c\x01")...)
}

func TestStripGIFBlocks(t *testing.T) {
	loop := ext(gifApplication, "NETSCAPE2.0", "\x01\x00\x00")
	anim := ext(gifApplication, "ANIMEXTS1.0", "\x01\x00\x00")
	icc := ext(gifApplication, "ICCRGBG1012", "\x00\x00\x02\x30lcms", "more")
	gce := ext(gifGraphicControl, "\x04\x00\x0a\x00")
	text := ext(gifPlainText, "\x00\x00\x00\x00\x01\x00\x01\x00\x01\x01\x00\x01", "Hello")
	tests := []struct {
		name     string
		in, want [][]byte
		removed  []string
	}{
		{"animation and colour kept", [][]byte{loop, anim, icc, gce, gifImageBlock(true), gce, gifImageBlock(false)},
			[][]byte{loop, anim, icc, gce, gifImageBlock(true), gce, gifImageBlock(false)}, nil},
		{"plain text kept", [][]byte{text, gifImageBlock(false)}, [][]byte{text, gifImageBlock(false)}, nil},
		{"comment", [][]byte{ext(gifComment, "SecretComment"), gifImageBlock(false), ext(gifComment, "again")},
			[][]byte{gifImageBlock(false)}, []string{KindComment}},
		{"XMP", [][]byte{gifImageBlock(false), ext(gifApplication, "XMP DataXMP", "<x:xmpmeta/>", "\x01\xff\xfe")},
			[][]byte{gifImageBlock(false)}, []string{KindXMP}},
		{"IPTC", [][]byte{ext(gifApplication, "MGK8BIM0000", "8BIM"), ext(gifApplication, "MGKIPTC0000", "\x1c\x02"), gifImageBlock(false)},
			[][]byte{gifImageBlock(false)}, []string{KindIPTC}},
		{"unknown application, label and empty application", [][]byte{ext(gifApplication, "ACMEAPP1.00", "x"), ext(0x99, "y"), ext(gifApplication), gifImageBlock(false)},
			[][]byte{gifImageBlock(false)}, []string{KindOther}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := strip(t, gifOf(tt.in...), "gif")
			if want := gifOf(tt.want...); !bytes.Equal(out, want) {
				t.Errorf("Strip output =\n%q\nwant\n%q", out, want)
			}
			if !slices.Equal(res.Removed, tt.removed) || res.Orientation != 0 {
				t.Errorf("Strip = %+v; want Removed %v, Orientation 0", res, tt.removed)
			}
		})
	}
}

func TestStripGIFTrailer(t *testing.T) {
	in := append(gifOf(gifImageBlock(false)), "<?php ?>"...)
	out, res := strip(t, in, "gif")
	if !bytes.Equal(out, gifOf(gifImageBlock(false))) || !slices.Equal(res.Removed, []string{KindTrailer}) {
		t.Errorf("Strip = %+v, %q; want the image up to its trailer and Removed [Trailer]", res, out)
	}
}

func TestStripGIFMalformed(t *testing.T) {
	image := string(gifImageBlock(false))
	tests := []struct{ name, in string }{
		{"not GIF", "GIF90a\x01\x00\x01\x00\x00\x00\x00;"},
		{"a cut colour table", gifHeader[:16]},
		{"an unknown block", gifHeader + "\x00"},
		{"no trailer", gifHeader + image},
		{"a cut sub-block", gifHeader + "\x21\xfe\x10abc"},
		{"a cut image descriptor", gifHeader + "\x2c\x00\x00"},
		{"a cut application identifier", gifHeader + "\x21\xff\x0bNETS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Strip(&bytes.Buffer{}, bytes.NewReader([]byte(tt.in)), "gif")
			if code := picpipe.ErrorCode(err); code != picpipe.ECodeDecodeFailed {
				t.Errorf("Strip error = %v (code %q); want code %q", err, code, picpipe.ECodeDecodeFailed)
			}
		})
	}
}
