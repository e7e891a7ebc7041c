package imaging

// cleanWebP removes, from the encoded WebP, every chunk that is not image
// data (EXIF, "XMP ", ICCP and unknown chunks) and clears the VP8X flags
// that announce them. It is the second line of defence after
// stripMetadata, and it was the one that mattered on libvips 8.14.1, whose
// WebP saver ignores "strip".
func cleanWebP(pctx *pipelineContext) error {
	data, err := stripWebP(pctx.output.Data)
	if err != nil {
		return err
	}
	pctx.output.Data = data
	return nil
}
