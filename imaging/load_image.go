package imaging

// loadImage builds the lazy libvips pipeline for the source: load with
// shrink-on-load (JPEG, WebP, HEIF), rotate upright by the EXIF
// orientation, convert to sRGB through the attached ICC profile if there is
// one, and shrink to fit the box of Options, never enlarging. Nothing is
// decoded yet; truncated input will fail when the pixels are pulled.
//
// Without an attached profile the pixels are taken as sRGB already (the web
// default), which saves a colour transform on most uploads.
func loadImage(pctx *pipelineContext) error {
	width, height := pctx.options.box()
	im, err := thumbnail(pctx.src, width, height, pctx.animated(), pctx.header.HasICC)
	if err != nil {
		return decodeFailed(err)
	}
	pctx.setImage(im)
	return nil
}
