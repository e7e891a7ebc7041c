package imaging

import (
	"picpipe"
	"picpipe/imaging/sniff"
)

// sniffSource checks magic bytes and extension, and pins the source for
// libvips, which reads it in place from here on.
func sniffSource(pctx *pipelineContext) error {
	if len(pctx.src) == 0 {
		return picpipe.ErrEmptyFile
	}
	f, err := sniff.Image(pctx.src, pctx.filename)
	if err != nil {
		return err
	}
	pctx.format = f
	pctx.pinner.Pin(&pctx.src[0])
	return nil
}
