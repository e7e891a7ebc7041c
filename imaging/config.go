package imaging

import (
	"fmt"

	"picpipe/imaging/sniff"
)

// Defaults applied to the zero values of Config fields.
const (
	// DefaultMaxEdge is the longest width or height accepted, in pixels.
	DefaultMaxEdge = sniff.DefaultMaxEdge
	// DefaultMaxPixels is the pixel budget, width × height × frames: 100
	// megapixels, e.g. a 10000×10000 still or 40 frames of 1600×1562.
	// Decoded at 4 bytes a pixel that is about 400 MB at the very worst.
	DefaultMaxPixels = sniff.DefaultMaxPixels
	// DefaultMaxFrames is the most frames an image's container may hold:
	// 1000, 40 s of animation at 25 frames a second.
	DefaultMaxFrames = sniff.DefaultMaxFrames
	// DefaultAVIFSpeed is the libaom speed (libvips effort 9−speed), chosen
	// on the curve make bench measures (bytes, SSIM and CPU per MP over
	// speeds 6–9 and four qualities): at speed 8 the AVIF of quality 82
	// matches the WebP's SSIM at 0.83× its bytes for about 1.5× its CPU;
	// speed 7 spent 2.3× as much for a point that was no better.
	DefaultAVIFSpeed = 8
)

// Config bounds what a Processor accepts and how hard it works. The zero
// value is ready to use: every zero field means its default.
type Config struct {
	// MaxEdge is the longest width or height allowed, in pixels, checked on
	// the header before decoding. 0 means DefaultMaxEdge.
	MaxEdge int
	// MaxPixels is the budget of width × height × frames, checked on the
	// container and the header before decoding. The frames are counted in
	// the container itself, for every format that has them: GIF, WebP,
	// APNG and HEIF/AVIF sequences (whose output is their still image:
	// the file may still reach a decoder that plays them all). 0 means
	// DefaultMaxPixels.
	MaxPixels int64
	// MaxFrames is the most frames an image may hold, however small, checked
	// on the container before anything is decoded. 0 means DefaultMaxFrames.
	MaxFrames int
	// AVIFSpeed is the libaom speed, 1 (slow, smallest) to 9 (fastest).
	// 0 means DefaultAVIFSpeed, never libaom's slowest setting.
	AVIFSpeed int
}

// Validate returns an error when a field is out of range.
func (c Config) Validate() error {
	switch {
	case c.MaxEdge < 0:
		return fmt.Errorf("imaging: MaxEdge %d is negative", c.MaxEdge)
	case c.MaxPixels < 0:
		return fmt.Errorf("imaging: MaxPixels %d is negative", c.MaxPixels)
	case c.MaxFrames < 0:
		return fmt.Errorf("imaging: MaxFrames %d is negative", c.MaxFrames)
	case c.AVIFSpeed < 0 || c.AVIFSpeed > 9:
		return fmt.Errorf("imaging: AVIFSpeed %d is outside 0-9", c.AVIFSpeed)
	}
	return nil
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.MaxEdge == 0 {
		c.MaxEdge = DefaultMaxEdge
	}
	if c.MaxPixels == 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.MaxFrames == 0 {
		c.MaxFrames = DefaultMaxFrames
	}
	if c.AVIFSpeed == 0 {
		c.AVIFSpeed = DefaultAVIFSpeed
	}
	return c
}

// avifEffort converts the libaom speed to the libvips effort.
func (c Config) avifEffort() int { return 9 - c.AVIFSpeed }
