// Package snifftest builds hostile image files for tests: animations of
// thousands of frames, image sequences, PNGs whose frame count is a lie.
// They are built in memory from a few hundred bytes each time, so none is
// committed; a 48,000-frame GIF takes a few milliseconds.
package snifftest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
)

// GIF returns an animated GIF of frames frames of width × height pixels
// (at least 1×1), each a uniform colour: a valid file that Go's decoder and
// libvips both read.
func GIF(frames, width, height int) []byte {
	pal := color.Palette{color.Black, color.White}
	im := image.NewPaletted(image.Rect(0, 0, width, height), pal)
	var one bytes.Buffer
	if err := gif.EncodeAll(&one, &gif.GIF{Image: []*image.Paletted{im}, Delay: []int{2}}); err != nil {
		panic(err)
	}
	b := one.Bytes()
	// The frame is everything from its graphic control extension to the
	// trailer; the header, screen, colour table and loop block come before.
	start := bytes.Index(b, []byte{0x21, 0xf9})
	frame := b[start : len(b)-1]
	out := bytes.NewBuffer(make([]byte, 0, start+frames*len(frame)+1))
	out.Write(b[:start])
	for range frames {
		out.Write(frame)
	}
	out.WriteByte(0x3b)
	return out.Bytes()
}

// WebP returns the container of an animated WebP: a width × height VP8X
// canvas, an ANIM chunk and frames ANMF chunks, each holding a VP8L header
// of a full-canvas frame. Its structure is sound but its pixel data is
// not: it is refused, or it fails to decode.
func WebP(frames, width, height int) []byte {
	le24 := func(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }
	var body bytes.Buffer
	body.WriteString("WEBP")
	riffChunk(&body, "VP8X", append(append([]byte{0x02, 0, 0, 0}, le24(width-1)...), le24(height-1)...))
	riffChunk(&body, "ANIM", make([]byte, 6))
	var frame bytes.Buffer
	frame.Write(le24(0))
	frame.Write(le24(0))
	frame.Write(le24(width - 1))
	frame.Write(le24(height - 1))
	frame.Write(le24(40))
	frame.WriteByte(0)
	bits := uint32(width-1) | uint32(height-1)<<14
	vp8l := binary.LittleEndian.AppendUint32([]byte{0x2f}, bits)
	riffChunk(&frame, "VP8L", append(vp8l, 0, 0, 0))
	for range frames {
		riffChunk(&body, "ANMF", frame.Bytes())
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	out.Write(binary.LittleEndian.AppendUint32(nil, uint32(body.Len())))
	out.Write(body.Bytes())
	return out.Bytes()
}

// APNG returns a width × height PNG (a uniform still that decoders read)
// with an acTL chunk claiming claimed frames and frames fcTL chunks, each
// for a full-size frame, before its image data.
func APNG(claimed, frames, width, height int) []byte {
	var still bytes.Buffer
	if err := png.Encode(&still, image.NewGray(image.Rect(0, 0, width, height))); err != nil {
		panic(err)
	}
	b := still.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	var out bytes.Buffer
	out.Write(b[:ihdrEnd])
	be := binary.BigEndian
	pngChunk(&out, "acTL", be.AppendUint32(be.AppendUint32(nil, uint32(claimed)), 0))
	for i := range frames {
		fc := be.AppendUint32(nil, uint32(i))
		fc = be.AppendUint32(fc, uint32(width))
		fc = be.AppendUint32(fc, uint32(height))
		fc = append(fc, make([]byte, 8)...) // x, y offsets
		fc = append(fc, 0, 1, 0, 10, 0, 0)  // delay 1/10, dispose, blend
		pngChunk(&out, "fcTL", fc)
	}
	out.Write(b[ihdrEnd:])
	return out.Bytes()
}

// HEIFSequence returns the boxes of an image sequence: an ftyp box of
// major brand major ("avis" for AVIF, "msf1" for HEIC) and a moov box with
// one picture track of samples samples of width × height. It has no
// primary image: it is refused, or fails to decode.
func HEIFSequence(major string, samples, width, height int) []byte {
	be := binary.BigEndian
	compat := "avifmif1msf1miaf"
	if major != "avis" {
		compat = "heicmif1msf1hevc"
	}
	tkhd := make([]byte, 84)
	be.PutUint32(tkhd[76:], uint32(width)<<16)
	be.PutUint32(tkhd[80:], uint32(height)<<16)
	hdlr := append(make([]byte, 8), []byte("pict\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")...)
	stsz := be.AppendUint32(make([]byte, 8), uint32(samples))
	stbl := box("stbl", box("stsz", stsz))
	mdia := box("mdia", append(box("hdlr", hdlr), box("minf", stbl)...))
	moov := box("moov", box("trak", append(box("tkhd", tkhd), mdia...)))
	ftyp := box("ftyp", []byte(major+"\x00\x00\x00\x00"+compat))
	return append(ftyp, moov...)
}

// box returns an ISO-BMFF box.
func box(typ string, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(payload)))
	return append(append(b, typ...), payload...)
}

// riffChunk writes a RIFF chunk: a little-endian size and padding.
func riffChunk(w *bytes.Buffer, id string, data []byte) {
	w.WriteString(id)
	w.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(data))))
	w.Write(data)
	if len(data)%2 == 1 {
		w.WriteByte(0)
	}
}

// pngChunk writes a PNG chunk: a big-endian size and a CRC.
func pngChunk(w *bytes.Buffer, id string, data []byte) {
	w.Write(binary.BigEndian.AppendUint32(nil, uint32(len(data))))
	w.WriteString(id)
	w.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(id))
	crc.Write(data)
	w.Write(binary.BigEndian.AppendUint32(nil, crc.Sum32()))
}
