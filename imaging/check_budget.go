package imaging

// animated reports whether the source is a multi-frame GIF or WebP: the
// formats whose frames are decoded (HEIC and AVIF yield their primary image
// only).
func (pctx *pipelineContext) animated() bool {
	f := pctx.format.Name
	return pctx.header.Pages > 1 && (f == "gif" || f == "webp")
}

// frames is how many frames will be decoded.
func (pctx *pipelineContext) frames() int64 {
	if pctx.animated() {
		return int64(pctx.header.Pages)
	}
	return 1
}

// checkBudget refuses, from the header alone, an image with an edge over
// MaxEdge or more than MaxPixels pixels in all its frames.
func checkBudget(pctx *pipelineContext) error {
	h, cfg := pctx.header, pctx.config
	if h.Width <= 0 || h.Height <= 0 {
		return unsupported("the image has no pixels (%dx%d)", h.Width, h.Height)
	}
	if h.Width > cfg.MaxEdge || h.Height > cfg.MaxEdge {
		return tooManyPixels("the image is %dx%d pixels; the longest edge allowed is %d",
			h.Width, h.Height, cfg.MaxEdge)
	}
	if n := int64(h.Width) * int64(h.Height) * pctx.frames(); n > cfg.MaxPixels {
		return tooManyPixels("the image has %d pixels (%dx%d, %d frames); at most %d are allowed",
			n, h.Width, h.Height, pctx.frames(), cfg.MaxPixels)
	}
	return nil
}
