package imaging

import "picpipe/imaging/sniff"

// structureOf walks the source's container once and keeps the result.
func (pctx *pipelineContext) structureOf() sniff.Structure {
	if !pctx.walked {
		pctx.structure, pctx.walked = sniff.Walk(pctx.src), true
	}
	return pctx.structure
}

// animated reports whether the source is a GIF or WebP whose container
// holds more than one frame: the formats whose frames are decoded (an
// APNG, a HEIF sequence yield their still image only).
func (pctx *pipelineContext) animated() bool {
	f := pctx.format.Name
	return pctx.structureOf().Frames > 1 && (f == "gif" || f == "webp")
}

// checkBudget refuses, from the header alone, an image with an edge over
// MaxEdge, or more than MaxPixels pixels in all the frames its container
// holds at the size libvips reads (see checkContainer).
func checkBudget(pctx *pipelineContext) error {
	h, cfg := pctx.header, pctx.config
	if h.Width <= 0 || h.Height <= 0 {
		return unsupported("the image has no pixels (%dx%d)", h.Width, h.Height)
	}
	if h.Width > cfg.MaxEdge || h.Height > cfg.MaxEdge {
		return tooManyPixels("the image is %dx%d pixels; the longest edge allowed is %d",
			h.Width, h.Height, cfg.MaxEdge)
	}
	return pctx.structureOf().CheckFrames(cfg.MaxFrames, cfg.MaxPixels, h.Width, h.Height)
}
