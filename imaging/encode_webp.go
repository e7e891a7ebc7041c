package imaging

// encodeWebP encodes the image as WebP with the requested quality or
// losslessly; an animation stays animated.
//
// It pulls the pixels straight from the lazy load pipeline: libvips 8.14's
// webpsave gathers them into a frame buffer of its own, so decoding into
// memory first would hold a second copy of the image — 72 MB
// more for a 24 MP photo. A failure of the loader surfacing here is the
// input's fault (decode_failed); any other is the encoder's (internal). The
// libvips error buffer is shared by every thread, so its message cannot
// tell them apart: on failure the input is decoded again alone, and if that
// fails too the input is to blame.
func encodeWebP(pctx *pipelineContext) error {
	o := pctx.options
	data, err := pctx.image.saveWebP(o.Quality, o.Lossless)
	if err != nil {
		if derr := decodesAlone(pctx); derr != nil {
			return decodeFailed(derr)
		}
		return err
	}
	pctx.output = &Output{
		Data: data, Format: "webp", MIME: "image/webp",
		Width: pctx.image.Width(), Height: pctx.image.Height(),
	}
	return nil
}

// decodesAlone builds the load pipeline again and decodes it into memory,
// returning the failure if there is one.
func decodesAlone(pctx *pipelineContext) error {
	im, err := pctx.load()
	if err != nil {
		return err
	}
	defer im.Close()
	mem, err := im.copyMemory()
	if err != nil {
		return err
	}
	mem.Close()
	return nil
}
