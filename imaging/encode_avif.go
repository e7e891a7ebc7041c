package imaging

// encodeAVIF encodes the image as 8-bit AVIF with libaom at the configured
// speed, the quality mapped by Options.avifQuality.
func encodeAVIF(pctx *pipelineContext) error {
	o := pctx.options
	data, err := pctx.image.saveAVIF(o.avifQuality(), o.Lossless, pctx.config.avifEffort())
	if err != nil {
		return err
	}
	pctx.output = &Output{
		Data: data, Format: "avif", MIME: "image/avif",
		Width: pctx.image.Width(), Height: pctx.image.Height(),
	}
	return nil
}
