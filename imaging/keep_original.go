package imaging

import (
	"bytes"

	"picpipe/imaging/strip"
)

// keepOriginal serves the source itself, with its metadata removed
// losslessly (package strip: the coded pixels are copied byte for byte),
// instead of the encode when that is no larger and shows the same
// picture: the source is already of the target format (a WebP for the
// WebP, an AVIF for the AVIF), the encode has the source's size (no
// resize took effect: a box the image already fits in changes nothing),
// the source needs no turning (orientation 1, so no EXIF orientation has
// to stay) and no colour conversion (no ICC profile but sRGB's own, which
// the encode would have converted to sRGB and dropped). Re-encoding such a file can
// only lose detail, and for one already compressed well it grows it: a
// 2 KB AVIF became a 5 KB one. Quality and lossless then change nothing
// worth bytes: the encode is a copy of the source's own pixels, which the
// source holds exactly.
//
// The kept source passes the checks of an encode (verifyOutput: no chunk,
// item or profile besides the image's own); if stripping or a check
// fails, the encode stands.
func keepOriginal(pctx *pipelineContext) error {
	out := pctx.output
	if !pctx.displaysAsEncoded() {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(len(pctx.src))
	res, err := strip.Strip(&buf, bytes.NewReader(pctx.src), pctx.format.Name)
	if err != nil || res.Orientation != 0 || buf.Len() > len(out.Data) {
		return nil
	}
	kept := &Output{Data: buf.Bytes(), Format: out.Format, MIME: out.MIME,
		Width: out.Width, Height: out.Height, Original: true}
	if verifyOutput(&pipelineContext{output: kept}) != nil {
		return nil
	}
	pctx.output = kept
	return nil
}

// displaysAsEncoded reports whether the source, as it is, shows what the
// encode in pctx.output shows: the same format, size and orientation,
// and colours without a profile to convert.
func (pctx *pipelineContext) displaysAsEncoded() bool {
	h, out := pctx.header, pctx.output
	return pctx.format.Name == out.Format && h.Orientation <= 1 && !h.ForeignICC &&
		h.Width == out.Width && h.Height == out.Height
}
