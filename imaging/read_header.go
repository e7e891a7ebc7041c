package imaging

import (
	"strings"
)

// readHeader opens the source with libvips, reading the header only, and
// records size, frames and orientation. The loader libvips picks must be
// the one the sniffed format calls for: a file that sniffs as one format
// and parses as another is refused.
func readHeader(pctx *pipelineContext) error {
	loader := findLoader(pctx.src)
	if want := pctx.format.Loader(); want == "" || !strings.Contains(loader, want) {
		return unsupported("the file looks like %s but is not readable as one", pctx.format.Name)
	}
	im, err := openHeader(pctx.src)
	if err != nil {
		return decodeFailed(err)
	}
	defer im.Close()
	pctx.header = header{
		Loader: loader,
		Width:  im.Width(), Height: im.Height(), Pages: im.Pages(),
		Orientation: im.Orientation(),
		ForeignICC:  im.ForeignICC(),
	}
	return nil
}
