package imaging

// encodeWebP encodes the image as WebP with the requested quality or
// losslessly; an animation stays animated.
func encodeWebP(pctx *pipelineContext) error {
	o := pctx.options
	data, err := pctx.image.saveWebP(o.Quality, o.Lossless)
	if err != nil {
		return err
	}
	pctx.output = &Output{
		Data: data, Format: "webp", MIME: "image/webp",
		Width: pctx.image.Width(), Height: pctx.image.Height(),
	}
	return nil
}
