package imaging

import (
	"context"
	"runtime"
)

// Processor turns untrusted uploads into clean WebP, GIF and AVIF images.
// It is safe for concurrent use; each call runs libvips on one thread, so
// bound the number of concurrent calls with a worker pool.
type Processor struct {
	config Config
}

// NewProcessor validates cfg, calls Startup and returns a Processor. It
// returns an error for an invalid Config or a libvips that cannot be set up.
func NewProcessor(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := Startup(); err != nil {
		return nil, err
	}
	return &Processor{config: cfg.withDefaults()}, nil
}

// Config returns the limits and settings p works with, defaults applied.
func (p *Processor) Config() Config { return p.config }

// Process validates src against filename (magic bytes and extension, then
// a header-only size check before any decoding), and then decodes it once:
// auto-oriented, converted to sRGB, shrunk to fit o's box and stripped of
// all metadata, it is encoded as WebP. An animated GIF is passed through as
// GIF instead, its frames untouched and its metadata removed.
//
// Process returns a *picpipe.Error (possibly wrapped) for input the client
// must fix: unsupported_format, too_many_pixels, decode_failed and
// invalid_request (bad Options, and picpipe.ErrEmptyFile for an empty src). Any other error, such as
// ctx's error or an encoder failure, is internal and worth a retry.
func (p *Processor) Process(ctx context.Context, src []byte, filename string, o Options) (*Output, error) {
	return p.run(ctx, src, filename, o, "webp", webpSteps)
}

// AVIF encodes the AVIF variant of src with the same validation and steps
// as Process and an explicit libaom speed (Config.AVIFSpeed). It returns a
// *picpipe.Error of code unsupported_format for a GIF or any animated
// input: those have no AVIF variant. Its other errors are those of Process.
func (p *Processor) AVIF(ctx context.Context, src []byte, filename string, o Options) (*Output, error) {
	return p.run(ctx, src, filename, o, "avif", avifSteps)
}

// run drives the inspect steps and then steps on one locked OS thread, so
// that libvips's per-thread state can be released at the end.
func (p *Processor) run(ctx context.Context, src []byte, filename string, o Options, target string, steps []step) (*Output, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer releaseThread()

	pctx := &pipelineContext{
		ctx: ctx, config: p.config, options: o.withDefaults(),
		src: src, filename: filename, target: target,
	}
	defer pctx.close()
	if err := pctx.run(inspectSteps); err != nil {
		return nil, err
	}
	if err := pctx.run(steps); err != nil {
		return nil, err
	}
	return pctx.output, nil
}
