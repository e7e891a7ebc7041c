package imaging

// decodePixels runs the decode (and the orientation, colour and resize work
// that loadImage queued) into memory. Every failure here comes from the
// input — corrupt or truncated data — so it is decode_failed; the encoders
// then work on clean pixels, and their failures are internal.
//
// The WebP and AVIF encoders need the whole image in memory anyway, so
// this costs no extra peak memory, only a copy.
func decodePixels(pctx *pipelineContext) error {
	im, err := pctx.image.copyMemory()
	if err != nil {
		return decodeFailed(err)
	}
	pctx.setImage(im)
	return nil
}
