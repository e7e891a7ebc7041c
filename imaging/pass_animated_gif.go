package imaging

import (
	"bytes"
	"fmt"
	"image/gif"
)

// passAnimatedGIF passes an animated GIF through without re-encoding: its
// blocks are rebuilt without comments, application data other than the
// loop count (XMP, ICC, ...) and trailing bytes, and the result must decode
// completely with Go's memory-safe GIF decoder. A still GIF goes on to WebP.
func passAnimatedGIF(pctx *pipelineContext) error {
	if pctx.format.Name != "gif" || !pctx.animated() {
		return nil
	}
	data, info, err := stripGIF(pctx.src)
	if err != nil {
		return decodeFailed(err)
	}
	if _, err := gif.DecodeAll(bytes.NewReader(data)); err != nil {
		return decodeFailed(err)
	}
	pctx.output = &Output{
		Data: data, Format: "gif", MIME: "image/gif",
		Width: info.Width, Height: info.Height,
	}
	pctx.done = true
	return verifyOutput(pctx)
}

// checkGIFClean returns an error if data still has a block stripGIF drops.
func checkGIFClean(data []byte) error {
	clean, _, err := stripGIF(data)
	if err != nil {
		return err
	}
	if !bytes.Equal(clean, data) {
		return fmt.Errorf("imaging: GIF output has metadata blocks (%d bytes)", len(data)-len(clean))
	}
	return nil
}
