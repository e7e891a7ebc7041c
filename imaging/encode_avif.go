package imaging

// encodeAVIF encodes the image as 8-bit AVIF with libaom at the configured
// speed, the quality mapped by Options.avifQuality. Like encodeWebP it
// pulls the pixels from the lazy load pipeline (heifsave gathers them
// itself), and blames the input for a failure only if it cannot be
// decoded alone.
func encodeAVIF(pctx *pipelineContext) error {
	o := pctx.options
	data, err := pctx.image.saveAVIF(o.avifQuality(), o.Lossless, pctx.config.avifEffort())
	if err != nil {
		if derr := decodesAlone(pctx); derr != nil {
			return decodeFailed(derr)
		}
		return err
	}
	pctx.output = &Output{
		Data: data, Format: "avif", MIME: "image/avif",
		Width: pctx.image.Width(), Height: pctx.image.Height(),
	}
	return nil
}
