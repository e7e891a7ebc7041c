package imaging

// cleanWebP removes, from the encoded WebP, every chunk that is not image
// data (EXIF, "XMP ", ICCP and unknown chunks) and clears the VP8X flags
// that announce them. It is needed, not belt and braces: libvips 8.14.1's
// WebP saver ignores "strip" (it wrote the camera's EXIF and XMP), and even
// after stripMetadata removed every field it still writes an EXIF chunk
// that it rebuilds from the image's resolution.
func cleanWebP(pctx *pipelineContext) error {
	data, err := stripWebP(pctx.output.Data)
	if err != nil {
		return err
	}
	pctx.output.Data = data
	return nil
}
