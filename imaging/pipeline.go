package imaging

import (
	"context"
	"runtime"

	"picpipe/imaging/sniff"
)

// A step is one stage of processing. Steps run in order over one
// pipelineContext; the context is checked between steps. A step that
// completes the output early sets pctx.done.
type step func(pctx *pipelineContext) error

// The pipelines. inspect runs first for every request and touches only
// the container and headers; the encode pipelines then decode once and
// encode once.
var (
	inspectSteps = []step{sniffSource, checkContainer, readHeader, checkBudget}
	webpSteps    = []step{passAnimatedGIF, checkJPEGScan, loadImage, stripMetadata, encodeWebP, cleanWebP, verifyOutput, keepOriginal}
	avifSteps    = []step{refuseAnimated, checkJPEGScan, loadImage, stripMetadata, encodeAVIF, verifyOutput, keepOriginal}
)

// header is what readHeader learns without decoding.
type header struct {
	Loader        string // libvips loader class
	Width, Height int    // as stored, before orientation
	Pages         int    // frames, 1 for a still
	Orientation   int    // EXIF orientation 1-8
	ForeignICC    bool   // an ICC profile other than sRGB is attached (vipsImage.ForeignICC)
}

// pipelineContext carries one image through the steps.
type pipelineContext struct {
	ctx      context.Context
	config   Config
	options  Options
	src      []byte
	filename string
	target   string // "webp" or "avif"

	format    sniff.Format    // set by sniffSource
	structure sniff.Structure // the container, see structureOf
	walked    bool            // structure is set
	header    header          // set by readHeader
	image     *vipsImage      // the current libvips image, owned here
	output    *Output         // set by the encode steps
	done      bool            // output is final; skip the remaining steps

	pinner runtime.Pinner // keeps src in place while libvips reads it
}

// setImage replaces the current image, dropping the old reference.
func (pctx *pipelineContext) setImage(im *vipsImage) {
	pctx.image.Close()
	pctx.image = im
}

// close releases the image and unpins the source.
func (pctx *pipelineContext) close() {
	pctx.setImage(nil)
	pctx.pinner.Unpin()
}

// run executes steps in order until one fails, the output is final or the
// context ends.
func (pctx *pipelineContext) run(steps []step) error {
	for _, s := range steps {
		if err := pctx.ctx.Err(); err != nil {
			return err
		}
		if err := s(pctx); err != nil {
			return err
		}
		if pctx.done {
			return nil
		}
	}
	return nil
}
