package imaging

// refuseAnimated ends an AVIF request for a GIF or an animated WebP: a GIF
// stays GIF (or becomes WebP), an animation stays WebP, and neither gets an
// AVIF variant.
func refuseAnimated(pctx *pipelineContext) error {
	if pctx.format.Name == "gif" || pctx.animated() {
		return unsupported("no AVIF variant is made for %s input (animated: %t)",
			pctx.format.Name, pctx.animated())
	}
	return nil
}
