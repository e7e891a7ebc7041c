package sniff

import "picpipe"

// DefaultMaxFrames is the most frames an image may hold unless configured
// otherwise: 1000 frames is 40 s of animation at 25 frames a second.
// Frames cost work and memory in a decoder (and in a browser) even when
// they are tiny, so their number is bounded besides the pixel budget.
const DefaultMaxFrames = 1000

// DefaultMaxEdge is the longest width or height an image may have unless
// configured otherwise, in pixels.
const DefaultMaxEdge = 8000

// DefaultMaxPixels is the pixel budget unless configured otherwise:
// 100 megapixels in all the frames of an image.
const DefaultMaxPixels = 100_000_000

// CheckFrames returns a *picpipe.Error of code too_many_pixels when s holds
// more than maxFrames frames, or more than maxPixels pixels in all its
// frames: Frames × width × height, each side the larger of the canvas of
// s and the one given (a decoder's reading of the header; 0 for none).
// The frames are those of the container, counted whether or not a
// particular decoder would decode them all: the file may reach one that
// does.
func (s Structure) CheckFrames(maxFrames int, maxPixels int64, width, height int) error {
	if s.Frames > int64(maxFrames) {
		return picpipe.Errorf(picpipe.ECodeTooManyPixels,
			"the image has %d frames; at most %d are allowed", s.Frames, maxFrames)
	}
	const side = 1 << 30 // sides are clamped so that their product fits
	w, h := min(max(s.Width, width), side), min(max(s.Height, height), side)
	if area := int64(w) * int64(h); area > 0 && max(s.Frames, 1) > maxPixels/area {
		return picpipe.Errorf(picpipe.ECodeTooManyPixels,
			"the image has %d frames of %d×%d pixels; at most %d pixels are allowed in all frames",
			max(s.Frames, 1), w, h, maxPixels)
	}
	return nil
}

// CheckJPEG judges a whole JPEG from its structure, before any decoding.
// It returns a *picpipe.Error of code
//
//   - unsupported_format for a JPEG not coded by Huffman coding (baseline,
//     extended sequential or progressive): arithmetic coding fits an
//     8000×8000 grey frame in 125 bytes, and the lossless and hierarchical
//     processes are not web formats;
//   - decode_failed for a JPEG without its end-of-image marker, whose
//     scans leave a component uncoded, or whose scans hold fewer bytes
//     than its declared frame needs (JPEGLayout.Needed): a decoder would
//     make up the missing pixels as grey, at the full declared size.
//
// It returns nil for other formats, and for a JPEG whose structure the
// walker lost (the decoder refuses those).
func (s Structure) CheckJPEG() error {
	l := s.JPEG
	switch {
	case s.Format != "jpeg":
		return nil
	case l.SOF > 0xc2:
		return picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the JPEG uses the %s process; only baseline and progressive JPEGs are accepted", jpegProcess(l.SOF))
	case s.Lost:
		return nil
	case !s.Ended:
		return picpipe.Errorf(picpipe.ECodeDecodeFailed, "the JPEG data is truncated: it has no end-of-image marker")
	case l.SOF == 0:
		return picpipe.Errorf(picpipe.ECodeDecodeFailed, "the JPEG has no frame header")
	case l.Uncoded:
		return picpipe.Errorf(picpipe.ECodeDecodeFailed, "the JPEG's scans leave a colour component uncoded")
	case l.Coded < l.Needed:
		return picpipe.Errorf(picpipe.ECodeDecodeFailed,
			"the JPEG declares %d×%d pixels but holds %d bytes of image data; that size needs at least %d",
			l.Width, l.Height, l.Coded, l.Needed)
	}
	return nil
}

// jpegProcess names the coding process of a start-of-frame code.
func jpegProcess(sof byte) string {
	switch sof {
	case 0xc3:
		return "lossless"
	case 0xc5, 0xc6, 0xc7:
		return "hierarchical"
	}
	return "arithmetic-coded"
}
