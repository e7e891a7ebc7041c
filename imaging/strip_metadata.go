package imaging

// stripMetadata removes every metadata field from the decoded image (EXIF,
// XMP, IPTC, ICC profile, comments, orientation, ...), keeping only the
// frame delays and loop count of an animation. The encoders' own "strip"
// flag is not trusted alone: libvips 8.14's WebP saver writes EXIF and XMP
// despite it. Removing the fields here keeps them out of every encoder;
// cleanWebP and verifyOutput then deal with the encoded container.
func stripMetadata(pctx *pipelineContext) error {
	im, err := pctx.image.strip()
	if err != nil {
		return err
	}
	pctx.setImage(im)
	return nil
}
