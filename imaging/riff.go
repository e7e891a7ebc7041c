package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// A WebP file is a RIFF container: "RIFF", a little-endian size, "WEBP",
// then chunks of a four-character code, a little-endian size and a payload
// padded to an even length. Metadata lives in its own chunks (EXIF, "XMP ",
// ICCP), announced by flags in the VP8X chunk.

// VP8X flag bits that announce metadata chunks.
const (
	vp8xICC  = 0x20
	vp8xEXIF = 0x08
	vp8xXMP  = 0x04
)

// imageChunks are the WebP chunks that carry pixels or animation, the only
// ones cleanWebP keeps at the top level; frameChunks may appear inside an
// ANMF frame.
var (
	imageChunks = map[string]bool{"VP8 ": true, "VP8L": true, "VP8X": true, "ALPH": true, "ANIM": true, "ANMF": true}
	frameChunks = map[string]bool{"VP8 ": true, "VP8L": true, "ALPH": true}
)

var errNotWebP = errors.New("imaging: not a RIFF/WebP file")

// riffChunk is one chunk of a RIFF file.
type riffChunk struct {
	ID   string
	Data []byte
}

// webpChunks parses the chunks of a WebP file.
func webpChunks(data []byte) ([]riffChunk, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, errNotWebP
	}
	size := int64(binary.LittleEndian.Uint32(data[4:8]))
	if size+8 > int64(len(data)) || size < 4 {
		return nil, fmt.Errorf("imaging: RIFF size %d does not match %d bytes", size, len(data))
	}
	return parseChunks(data[12 : 8+size])
}

// parseChunks splits a sequence of RIFF chunks.
func parseChunks(b []byte) ([]riffChunk, error) {
	var chunks []riffChunk
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, errors.New("imaging: short RIFF chunk header")
		}
		n := int64(binary.LittleEndian.Uint32(b[4:8]))
		if n > int64(len(b)-8) {
			return nil, fmt.Errorf("imaging: RIFF chunk %q overruns the file", b[:4])
		}
		chunks = append(chunks, riffChunk{ID: string(b[:4]), Data: b[8 : 8+n]})
		b = b[8+n:]
		if n%2 == 1 && len(b) > 0 {
			b = b[1:] // padding byte
		}
	}
	return chunks, nil
}

// stripWebP rebuilds a WebP file from its image chunks only, clearing the
// metadata flags of VP8X. The pixels are not touched.
func stripWebP(data []byte) ([]byte, error) {
	chunks, err := webpChunks(data)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	body.WriteString("WEBP")
	for _, c := range chunks {
		if !imageChunks[c.ID] {
			continue
		}
		if c.ID == "VP8X" && len(c.Data) > 0 {
			c.Data = append([]byte{c.Data[0] &^ (vp8xICC | vp8xEXIF | vp8xXMP)}, c.Data[1:]...)
		}
		writeChunk(&body, c)
	}
	var out bytes.Buffer
	out.Grow(8 + body.Len())
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

// writeChunk appends c with its size and padding.
func writeChunk(w *bytes.Buffer, c riffChunk) {
	w.WriteString(c.ID)
	binary.Write(w, binary.LittleEndian, uint32(len(c.Data)))
	w.Write(c.Data)
	if len(c.Data)%2 == 1 {
		w.WriteByte(0)
	}
}

// checkWebPClean returns an error if data has any chunk besides image
// chunks, at the top level or inside an animation frame, or a VP8X flag
// announcing metadata.
func checkWebPClean(data []byte) error {
	chunks, err := webpChunks(data)
	if err != nil {
		return err
	}
	for _, c := range chunks {
		if !imageChunks[c.ID] {
			return fmt.Errorf("imaging: WebP output has a %q chunk", c.ID)
		}
		if err := checkChunk(c); err != nil {
			return err
		}
	}
	return nil
}

// checkChunk checks the inside of a VP8X or ANMF chunk.
func checkChunk(c riffChunk) error {
	switch {
	case c.ID == "VP8X" && len(c.Data) > 0 && c.Data[0]&(vp8xICC|vp8xEXIF|vp8xXMP) != 0:
		return fmt.Errorf("imaging: WebP output announces metadata (VP8X flags %#x)", c.Data[0])
	case c.ID == "ANMF" && len(c.Data) >= 16:
		frame, err := parseChunks(c.Data[16:])
		if err != nil {
			return err
		}
		for _, f := range frame {
			if !frameChunks[f.ID] {
				return fmt.Errorf("imaging: WebP frame has a %q chunk", f.ID)
			}
		}
	}
	return nil
}
