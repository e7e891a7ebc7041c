package imaging

import (
	"fmt"

	"picpipe/imaging/sniff"
)

// verifyOutput checks the encoded output independently of the encoder: it
// must sniff as the format it claims, have a size, and (WebP) carry no
// chunk other than image data, (AVIF) no metadata item, or (GIF) no
// metadata extension. A failure is an
// internal error: the input was fine, our output is not.
func verifyOutput(pctx *pipelineContext) error {
	out := pctx.output
	f, err := sniff.Image(out.Data, "")
	if err != nil || f.Name != out.Format {
		return fmt.Errorf("imaging: %s output sniffs as %q (%v)", out.Format, f.Name, err)
	}
	if out.Width <= 0 || out.Height <= 0 {
		return fmt.Errorf("imaging: %s output is %dx%d", out.Format, out.Width, out.Height)
	}
	switch out.Format {
	case "webp":
		return checkWebPClean(out.Data)
	case "avif":
		return checkAVIFClean(out.Data)
	case "gif":
		return checkGIFClean(out.Data)
	}
	return nil
}
