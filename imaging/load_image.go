package imaging

// loadImage builds the lazy libvips pipeline for the source: load with
// shrink-on-load (JPEG, WebP, HEIF), rotate upright by the EXIF
// orientation, convert to sRGB through the attached ICC profile if it is
// not sRGB's own (header.ForeignICC), and shrink to fit the box of
// Options, never enlarging. Nothing is decoded yet; damaged input (see
// failOn) fails when the pixels are pulled.
//
// Without an attached profile, or with the standard sRGB one, the pixels
// are taken as sRGB already (the web default), which saves a colour
// transform on most uploads.
func loadImage(pctx *pipelineContext) error {
	im, err := pctx.load()
	if err != nil {
		return decodeFailed(err)
	}
	pctx.setImage(im)
	return nil
}

// load builds the load pipeline of loadImage. A JPEG it owns the decoding
// of (ownsJPEGDecode) is decoded here at its DCT scale, which checks its
// scan data on the way; one its decoder does not take (progressive,
// CMYK) is scanned (jpegScan) and goes to libvips like every other image.
func (pctx *pipelineContext) load() (*vipsImage, error) {
	width, height := pctx.options.box()
	if pctx.ownsJPEGDecode() {
		im, err := jpegLoadScaled(pctx.src, pctx.jpegShrink(), pctx.header.Orientation)
		if err != nil {
			return nil, err
		}
		if im != nil {
			defer im.Close()
			return im.thumbnail(width, height)
		}
		if err := jpegScan(pctx.src); err != nil {
			return nil, err
		}
	}
	return thumbnail(pctx.src, width, height, pctx.animated(), pctx.header.ForeignICC, pctx.loadFailOn(), pctx.jpegShrink())
}

// ownsJPEGDecode reports whether load decodes the JPEG itself, at its DCT
// scale: one that shrinks by 2 or more, without an ICC profile to convert
// through. That decoding checks the scan data as checkJPEGScan would, so
// the JPEG's entropy-coded data is decoded once rather than twice (the
// check alone was 15 to 20% of a thumbnail's CPU).
func (pctx *pipelineContext) ownsJPEGDecode() bool {
	return pctx.format.Name == "jpeg" && !pctx.header.ForeignICC && pctx.jpegShrink() > 1
}

// jpegShrink is the DCT scaling (1, 2, 4 or 8) a JPEG is decoded at: the
// largest that leaves the decode at least as large as the box's binding
// side wants, as imgproxy and sharp choose it. libvips's own choice leaves
// a further factor of two (see pp_thumbnail), which doubles the decoding
// of most thumbnails for no visible gain.
func (pctx *pipelineContext) jpegShrink() int {
	if pctx.format.Name != "jpeg" {
		return 1
	}
	w, h := pctx.header.Width, pctx.header.Height
	if pctx.header.Orientation >= 5 { // shown turned a quarter
		w, h = h, w
	}
	bw, bh := pctx.options.box()
	f := max(float64(w)/float64(bw), float64(h)/float64(bh))
	for _, n := range []int{8, 4, 2} {
		if f >= float64(n) {
			return n
		}
	}
	return 1
}

// loadFailOn is the damage that makes decoding the source fail. A JPEG fails
// on any libjpeg warning: libjpeg reports corrupt entropy-coded data
// ("premature end of data segment", "bad Huffman code", "extraneous bytes
// before marker") as warnings only and decodes on, filling what it could
// not read with grey, so at fail_on=truncated a JPEG whose scan data is
// garbage, or that was cut short and given an end marker, comes out half
// grey. No real JPEG we tried warns (265 files from Debian packages and
// Go modules, photographs and camera files among them). libvips 8.14
// misses a warning in the last rows, which checkJPEGScan covers. The other
// formats fail on truncation only.
func (pctx *pipelineContext) loadFailOn() failOn {
	if pctx.format.Name == "jpeg" {
		return failOnWarning
	}
	return failOnTruncated
}
