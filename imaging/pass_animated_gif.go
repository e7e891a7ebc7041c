package imaging

import (
	"bytes"
	"fmt"
)

// passAnimatedGIF passes an animated GIF through without re-encoding: its
// blocks are rebuilt without comments, application data other than the
// loop count (XMP, ICC, ...) and trailing bytes, and every frame of the
// result must decode with Go's memory-safe GIF decoder, one frame at a
// time (decodeGIFFrames), so that no more than one frame is ever held. A
// still GIF goes on to WebP. The frames were counted and budgeted from the
// container before (checkContainer, checkBudget).
func passAnimatedGIF(pctx *pipelineContext) error {
	if pctx.format.Name != "gif" || !pctx.animated() {
		return nil
	}
	data, info, err := stripGIF(pctx.src)
	if err != nil {
		return decodeFailed(err)
	}
	if err := decodeGIFFrames(pctx.ctx, data); err != nil {
		return decodeFailed(err)
	}
	pctx.output = &Output{
		Data: data, Format: "gif", MIME: "image/gif",
		Width: info.Width, Height: info.Height, Original: true,
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
