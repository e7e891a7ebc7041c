package main

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/h2non/bimg"
)

// The SSIM constants of Wang et al. 2004 for 8-bit samples: C1 = (K1·L)²
// and C2 = (K2·L)² with K1 = 0.01, K2 = 0.03, L = 255.
const (
	ssimC1 = (0.01 * 255) * (0.01 * 255)
	ssimC2 = (0.03 * 255) * (0.03 * 255)
	// ssimWin is the side of the square window, ssimStep its stride.
	ssimWin, ssimStep = 8, 4
)

// luma is an image's luma plane, Y = 0.299R + 0.587G + 0.114B, row by row.
type luma struct {
	w, h int
	y    []float32
}

// lumaRGB takes the luma of w×h 8-bit RGB pixels, 3 bytes each, row by row.
func lumaRGB(w, h int, rgb []byte) *luma {
	l := &luma{w: w, h: h, y: make([]float32, w*h)}
	for i := range l.y {
		p := rgb[3*i : 3*i+3]
		l.y[i] = 0.299*float32(p[0]) + 0.587*float32(p[1]) + 0.114*float32(p[2])
	}
	return l
}

// decodeLuma decodes an encoded image with libvips (through bimg) as a
// browser shows it: turned upright by its EXIF orientation, converted to
// sRGB through its ICC profile if it has one (as picpipe does), flattened
// onto white, 8 bits a band. bimg has no raw output: the pixels come as
// an uncompressed TIFF, which costs a copy where a PNG would cost a deflate
// and an inflate (three times the decode, for the AVIF curve's hundreds).
func decodeLuma(buf []byte) (*luma, error) {
	tiff, err := bimg.NewImage(buf).Process(bimg.Options{
		Type: bimg.TIFF, StripMetadata: true,
		OutputICC: "srgb", Background: bimg.Color{R: 255, G: 255, B: 255},
	})
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	w, h, rgb, err := readRawTIFF(tiff)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return lumaRGB(w, h, rgb), nil
}

// readRawTIFF reads the pixels of the TIFF libvips's tiffsave writes by
// default for an 8-bit sRGB image: one IFD, uncompressed, 3 interleaved
// 8-bit unsigned samples a pixel, in strips. Anything else is an error.
func readRawTIFF(b []byte) (w, h int, rgb []byte, err error) {
	var bo binary.ByteOrder
	switch {
	case len(b) < 8:
		return 0, 0, nil, errors.New("tiff: too short")
	case string(b[:4]) == "II*\x00":
		bo = binary.LittleEndian
	case string(b[:4]) == "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0, 0, nil, errors.New("tiff: no TIFF header")
	}
	tags, err := tiffTags(b, bo, int(bo.Uint32(b[4:])))
	if err != nil {
		return 0, 0, nil, err
	}
	one := func(tag uint16, def uint32) uint32 {
		if v := tags[tag]; len(v) == 1 {
			return v[0]
		}
		return def
	}
	w, h = int(one(256, 0)), int(one(257, 0))
	for _, v := range tags[258] { // BitsPerSample
		if v != 8 {
			return 0, 0, nil, fmt.Errorf("tiff: %d bits a sample", v)
		}
	}
	if one(259, 1) != 1 || one(277, 1) != 3 || one(284, 1) != 1 || one(339, 1) != 1 || len(tags[338]) > 0 {
		return 0, 0, nil, errors.New("tiff: not uncompressed interleaved 8-bit RGB")
	}
	offs, counts := tags[273], tags[279] // StripOffsets, StripByteCounts
	if len(offs) != len(counts) {
		return 0, 0, nil, errors.New("tiff: strips do not match")
	}
	rgb = make([]byte, 0, 3*w*h)
	for i, off := range offs {
		end := uint64(off) + uint64(counts[i])
		if end > uint64(len(b)) {
			return 0, 0, nil, errors.New("tiff: strip past the end")
		}
		rgb = append(rgb, b[off:end]...)
	}
	if len(rgb) != 3*w*h || w == 0 || h == 0 {
		return 0, 0, nil, fmt.Errorf("tiff: %d bytes of pixels for %dx%d", len(rgb), w, h)
	}
	return w, h, rgb, nil
}

// tiffTags reads the SHORT and LONG values of the IFD at off, by tag.
func tiffTags(b []byte, bo binary.ByteOrder, off int) (map[uint16][]uint32, error) {
	if off+2 > len(b) {
		return nil, errors.New("tiff: IFD past the end")
	}
	n := int(bo.Uint16(b[off:]))
	if off+2+12*n > len(b) {
		return nil, errors.New("tiff: IFD past the end")
	}
	tags := map[uint16][]uint32{}
	for i := range n {
		e := b[off+2+12*i : off+14+12*i]
		typ, count := bo.Uint16(e[2:]), int(bo.Uint32(e[4:]))
		size := map[uint16]int{3: 2, 4: 4}[typ] // SHORT, LONG
		if size == 0 {
			continue
		}
		vals := e[8:12]
		if count*size > 4 {
			at := int(bo.Uint32(e[8:]))
			if count > len(b) || at+count*size > len(b) {
				return nil, errors.New("tiff: value past the end")
			}
			vals = b[at : at+count*size]
		}
		v := make([]uint32, count)
		for j := range v {
			if size == 2 {
				v[j] = uint32(bo.Uint16(vals[2*j:]))
			} else {
				v[j] = bo.Uint32(vals[4*j:])
			}
		}
		tags[bo.Uint16(e)] = v
	}
	return tags, nil
}

// ssim is the mean SSIM (Wang et al. 2004) of the luma of a and b over
// 8×8 windows with a stride of 4 and equal weights in a window (libwebp's
// and the original paper's simpler variant, rather than the 11×11
// Gaussian): 1 for identical images, lower the more b's structure,
// contrast and brightness depart from a's. The images must be of one size,
// at least one window.
func ssim(a, b *luma) (float64, error) {
	if a.w != b.w || a.h != b.h {
		return 0, fmt.Errorf("ssim: sizes differ: %dx%d and %dx%d", a.w, a.h, b.w, b.h)
	}
	if a.w < ssimWin || a.h < ssimWin {
		return 0, fmt.Errorf("ssim: %dx%d is smaller than one %d×%d window", a.w, a.h, ssimWin, ssimWin)
	}
	var sum float64
	var n int
	for y := 0; y+ssimWin <= a.h; y += ssimStep {
		for x := 0; x+ssimWin <= a.w; x += ssimStep {
			sum += windowSSIM(a, b, x, y)
			n++
		}
	}
	return sum / float64(n), nil
}

// windowSSIM is the SSIM of the window whose top left corner is x, y.
func windowSSIM(a, b *luma, x, y int) float64 {
	var sa, sb, saa, sbb, sab float64
	for j := y; j < y+ssimWin; j++ {
		ra, rb := a.y[j*a.w+x:j*a.w+x+ssimWin], b.y[j*b.w+x:j*b.w+x+ssimWin]
		for i := range ssimWin {
			va, vb := float64(ra[i]), float64(rb[i])
			sa += va
			sb += vb
			saa += va * va
			sbb += vb * vb
			sab += va * vb
		}
	}
	const n = ssimWin * ssimWin
	ma, mb := sa/n, sb/n
	va, vb, cov := saa/n-ma*ma, sbb/n-mb*mb, sab/n-ma*mb
	return (2*ma*mb + ssimC1) * (2*cov + ssimC2) / ((ma*ma + mb*mb + ssimC1) * (va + vb + ssimC2))
}
