package sniff

import "bytes"

// Structure is what the container of an image file declares and holds,
// learnt by following its structure (see Walker) without decoding a pixel.
// A decoder's own count can be capped (libvips stops counting GIF frames
// at 4097) or trust a claim (APNG's acTL); these counts come from the
// container itself.
type Structure struct {
	// Format is the container followed: "jpeg", "png", "gif", "webp" or
	// "isobmff" (HEIF, AVIF), or "" for bytes the walker does not know.
	Format string
	// Width and Height are the canvas: the largest area a frame is drawn
	// on as the container declares it (the GIF logical screen or a frame
	// reaching past it, PNG's IHDR or an APNG frame, WebP's VP8X canvas or
	// a still's bitstream header, an ISO-BMFF track header); 0 where the
	// container does not say (JPEG, a HEIF still).
	Width, Height int
	// Frames is how many frames the container holds, 1 for a still: GIF
	// image descriptors, WebP ANMF chunks, APNG fcTL chunks (or acTL's
	// claimed count when that is larger), the samples of the longest
	// visual track of an ISO-BMFF image sequence.
	Frames int64
	// Ended reports that the container's end was reached: JPEG's
	// end-of-image marker, PNG's IEND, GIF's trailer, the end of the size
	// a RIFF header declares. Bytes after it are not looked at.
	Ended bool
	// Lost reports that the bytes stopped following the format's
	// structure. What was counted before still stands; the rest is left
	// to the decoder, which refuses such files.
	Lost bool
	// JPEG is what a JPEG's frame and scan headers declare.
	JPEG JPEGLayout
}

// Walker follows the structure of an image file as its bytes are written
// to it, as the bytes of an upload pass: JPEG markers and segments, PNG
// chunks, GIF blocks, RIFF chunks and ISO-BMFF boxes, skipping payloads
// and pixel data unread. It keeps a few hundred bytes of state whatever
// the input, never fails and never decodes. The zero Walker is ready.
type Walker struct {
	s      Structure
	head   [12]byte // the first bytes, until the format is known
	n      int
	picked bool
	feed   func([]byte) // the format's walker
}

// Walk follows b whole and returns its Structure.
func Walk(b []byte) Structure {
	var w Walker
	w.Write(b)
	return w.Structure()
}

// Write implements io.Writer. It never returns an error.
func (w *Walker) Write(p []byte) (int, error) {
	n := len(p)
	if !w.picked {
		k := copy(w.head[w.n:], p)
		w.n += k
		p = p[k:]
		if w.n < len(w.head) {
			return n, nil
		}
		w.pick()
		if w.feed != nil {
			w.feed(w.head[:])
		}
	}
	if w.feed != nil && len(p) > 0 {
		w.feed(p)
	}
	return n, nil
}

// Structure returns what the bytes written so far hold.
func (w *Walker) Structure() Structure {
	s := w.s
	if s.Frames == 0 && s.Format != "" {
		s.Frames = 1
	}
	return s
}

// pick chooses the format's walker from the first bytes.
func (w *Walker) pick() {
	w.picked = true
	h := w.head[:]
	switch {
	case bytes.HasPrefix(h, []byte("\xff\xd8\xff")):
		w.s.Format, w.feed = "jpeg", newJPEGWalk(&w.s).feed
	case bytes.HasPrefix(h, []byte(pngSignature)):
		w.s.Format, w.feed = "png", newPNGWalk(&w.s).c.feed
	case bytes.HasPrefix(h, []byte("GIF8")):
		w.s.Format, w.feed = "gif", newGIFWalk(&w.s).c.feed
	case string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP":
		w.s.Format, w.feed = "webp", newWebPWalk(&w.s).c.feed
	case string(h[4:8]) == "ftyp":
		w.s.Format, w.feed = "isobmff", newBMFFWalk(&w.s).c.feed
	}
}

// canvas widens the canvas of s to width × height.
func (s *Structure) canvas(width, height int) {
	s.Width, s.Height = max(s.Width, width), max(s.Height, height)
}

// chunker drives the walkers of chunked containers: it collects the few
// bytes of a header a walker asks for (read), hands them to it, and skips
// what the walker passes over (pass), counting the position.
type chunker struct {
	buf  [32]byte
	n    int
	need int
	skip int64
	pos  int64 // bytes consumed
	next func(b []byte)
	stop bool
}

// feed consumes p.
func (c *chunker) feed(p []byte) {
	for len(p) > 0 && !c.stop {
		if c.skip > 0 {
			k := int(min(c.skip, int64(len(p))))
			c.skip -= int64(k)
			c.pos += int64(k)
			p = p[k:]
			continue
		}
		k := copy(c.buf[c.n:c.need], p)
		c.n += k
		c.pos += int64(k)
		p = p[k:]
		if c.n == c.need {
			c.n = 0
			c.next(c.buf[:c.need])
		}
	}
}

// read asks for the next n bytes (1 to len(buf)), after any pending skip,
// to be handed to next.
func (c *chunker) read(n int, next func([]byte)) {
	c.need, c.next = n, next
}

// pass skips the next n bytes.
func (c *chunker) pass(n int64) {
	if n > 0 {
		c.skip += n
	}
}

// end stops the walk: the container ended or cannot be followed.
func (c *chunker) end() { c.stop = true }
