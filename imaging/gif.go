package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image/gif"
)

// A GIF file is a header, a logical screen descriptor with an optional
// global colour table, then blocks: image descriptors (0x2C) with their
// LZW data, extensions (0x21) and a trailer (0x3B). Metadata lives in
// comment extensions, plain text extensions and application extensions
// (XMP "XMP DataXMP", ICC "ICCRGBG1", ...). Only graphic control
// extensions (frame delay, disposal, transparency) and the looping
// application extensions are part of the animation.

// Block introducers and extension labels.
const (
	gifExtension  = 0x21
	gifImage      = 0x2C
	gifTrailer    = 0x3B
	gifGraphicCtl = 0xF9
	gifApp        = 0xFF
)

// gifLoopApps are the application extensions that only carry the loop
// count, the ones kept.
var gifLoopApps = map[string]bool{"NETSCAPE2.0": true, "ANIMEXTS1.0": true}

var errGIFTruncated = errors.New("imaging: GIF is truncated")

// gifInfo is what stripGIF learns while rebuilding a GIF.
type gifInfo struct {
	Width, Height int // logical screen
	Frames        int
}

// gifReader walks the bytes of a GIF.
type gifReader struct {
	b   []byte
	off int
}

// take returns the next n bytes.
func (r *gifReader) take(n int) ([]byte, error) {
	if n < 0 || r.off+n > len(r.b) {
		return nil, errGIFTruncated
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

// subBlocks returns the data sub-blocks at the reader, terminator included.
func (r *gifReader) subBlocks() ([]byte, error) {
	start := r.off
	for {
		n, err := r.take(1)
		if err != nil {
			return nil, err
		}
		if n[0] == 0 {
			return r.b[start:r.off], nil
		}
		if _, err := r.take(int(n[0])); err != nil {
			return nil, err
		}
	}
}

// colorTable returns the colour table announced by a packed field.
func (r *gifReader) colorTable(packed byte) ([]byte, error) {
	if packed&0x80 == 0 {
		return nil, nil
	}
	return r.take(3 << (packed&0x07 + 1))
}

// stripGIF rebuilds a GIF from its header, colour tables, frames, graphic
// control and loop extensions, dropping every other extension and anything
// after the trailer. The frames' LZW data are copied unchanged.
func stripGIF(data []byte) ([]byte, gifInfo, error) {
	r := &gifReader{b: data}
	var out bytes.Buffer
	info, err := r.screen(&out)
	if err != nil {
		return nil, info, err
	}
	for {
		intro, err := r.take(1)
		if err != nil {
			return nil, info, err
		}
		switch intro[0] {
		case gifTrailer:
			out.WriteByte(gifTrailer)
			return out.Bytes(), info, nil
		case gifImage:
			info.Frames++
			err = r.frame(&out)
		case gifExtension:
			err = r.extension(&out)
		default:
			err = fmt.Errorf("imaging: GIF has an unknown block %#x at %d", intro[0], r.off-1)
		}
		if err != nil {
			return nil, info, err
		}
	}
}

// screen copies the header, screen descriptor and global colour table.
func (r *gifReader) screen(out *bytes.Buffer) (gifInfo, error) {
	head, err := r.take(13)
	if err != nil {
		return gifInfo{}, err
	}
	if v := string(head[:6]); v != "GIF87a" && v != "GIF89a" {
		return gifInfo{}, fmt.Errorf("imaging: not a GIF (%q)", v)
	}
	table, err := r.colorTable(head[10])
	if err != nil {
		return gifInfo{}, err
	}
	out.Write(head)
	out.Write(table)
	return gifInfo{
		Width:  int(binary.LittleEndian.Uint16(head[6:])),
		Height: int(binary.LittleEndian.Uint16(head[8:])),
	}, nil
}

// frame copies an image descriptor, its colour table and its LZW data.
func (r *gifReader) frame(out *bytes.Buffer) error {
	desc, err := r.take(9)
	if err != nil {
		return err
	}
	table, err := r.colorTable(desc[8])
	if err != nil {
		return err
	}
	lzw, err := r.take(1)
	if err != nil {
		return err
	}
	blocks, err := r.subBlocks()
	if err != nil {
		return err
	}
	out.WriteByte(gifImage)
	for _, b := range [][]byte{desc, table, lzw, blocks} {
		out.Write(b)
	}
	return nil
}

// extension copies a graphic control or loop extension and skips the rest.
func (r *gifReader) extension(out *bytes.Buffer) error {
	label, err := r.take(1)
	if err != nil {
		return err
	}
	blocks, err := r.subBlocks()
	if err != nil {
		return err
	}
	if label[0] == gifGraphicCtl || label[0] == gifApp && isLoopApp(blocks) {
		out.WriteByte(gifExtension)
		out.WriteByte(label[0])
		out.Write(blocks)
	}
	return nil
}

// isLoopApp reports whether application extension sub-blocks start with a
// loop-count application identifier.
func isLoopApp(blocks []byte) bool {
	return len(blocks) >= 12 && blocks[0] == 11 && gifLoopApps[string(blocks[1:12])]
}

// decodeGIFFrames decodes every frame of data, a GIF as stripGIF rebuilt
// it, with Go's GIF decoder, one at a time: each frame, with the
// extensions before it, is decoded as a GIF of its own on the same screen
// and colour table, and dropped. Go's decoder refuses what it refuses in a
// whole GIF (bad LZW data, a frame outside the screen, too much or too
// little pixel data), but only one frame is ever in memory, where
// gif.DecodeAll keeps them all. ctx is checked between frames.
func decodeGIFFrames(ctx context.Context, data []byte) error {
	r := &gifReader{b: data}
	if _, err := r.screen(new(bytes.Buffer)); err != nil {
		return err
	}
	head, start := data[:r.off], r.off // the frame's own blocks start here
	var one bytes.Buffer
	for {
		intro, err := r.take(1)
		if err != nil {
			return err
		}
		switch intro[0] {
		case gifTrailer:
			return nil
		case gifExtension:
			err = r.extension(new(bytes.Buffer))
		case gifImage:
			if err = r.frame(new(bytes.Buffer)); err != nil {
				return err
			}
			one.Reset()
			one.Write(head)
			one.Write(data[start:r.off])
			one.WriteByte(gifTrailer)
			if _, err = gif.Decode(bytes.NewReader(one.Bytes())); err != nil {
				return fmt.Errorf("imaging: GIF frame at %d: %w", start, err)
			}
			start = r.off
			err = ctx.Err()
		default:
			err = fmt.Errorf("imaging: GIF has an unknown block %#x at %d", intro[0], r.off-1)
		}
		if err != nil {
			return err
		}
	}
}
