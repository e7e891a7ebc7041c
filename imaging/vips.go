package imaging

/*
#cgo pkg-config: vips
#include "vips.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/h2non/bimg"
)

// maxCoord is libvips's largest coordinate: a box this big never shrinks.
const maxCoord = 10_000_000

var startup struct {
	once sync.Once
	err  error
}

// Startup configures libvips once for the whole process: only the JPEG,
// PNG, GIF, WebP and HEIF loaders may run (every other loader is blocked,
// and libvips's "untrusted" loaders too), the operation cache is off and
// libvips itself runs one thread per operation, so parallelism comes from
// the caller's bounded worker pool. libvips is initialised by bimg when the
// package is loaded.
//
// Startup is safe to call more than once and from several goroutines; it
// returns an error when the linked libvips is older than 8.13, which lacks
// the loader blocks. NewProcessor calls it.
func Startup() error {
	startup.once.Do(func() {
		if bimg.VipsMajorVersion < 8 || bimg.VipsMajorVersion == 8 && bimg.VipsMinorVersion < 13 {
			startup.err = fmt.Errorf("imaging: libvips %s is too old, need 8.13 or newer", bimg.VipsVersion)
			return
		}
		bimg.VipsCacheSetMax(0)
		bimg.VipsCacheSetMaxMem(0)
		C.pp_startup()
	})
	return startup.err
}

// vipsImage owns one reference to a libvips image.
type vipsImage struct {
	p *C.VipsImage
}

// Close drops the reference. It is safe on a nil or closed image.
func (im *vipsImage) Close() {
	if im != nil && im.p != nil {
		C.pp_unref(im.p)
		im.p = nil
	}
}

// Width is the width in pixels.
func (im *vipsImage) Width() int { return int(im.p.Xsize) }

// Height is the height of one page (frame) in pixels.
func (im *vipsImage) Height() int { return int(C.pp_page_height(im.p)) }

// Pages is the number of pages (frames) the image has.
func (im *vipsImage) Pages() int { return int(C.vips_image_get_n_pages(im.p)) }

// Bands is the number of bands, alpha included.
func (im *vipsImage) Bands() int { return int(im.p.Bands) }

// HasAlpha reports whether the image has an alpha band.
func (im *vipsImage) HasAlpha() bool { return C.vips_image_hasalpha(im.p) != 0 }

// ForeignICC reports whether an ICC profile is attached whose colours
// differ from sRGB's: any but the standard sRGB IEC61966-2.1 profile,
// which cameras, phones and editors attach to plain sRGB pixels.
// Converting through that one changes nothing and costs a colour
// transform, 10 ms for a 0.1 MP photo, as much as its decode.
func (im *vipsImage) ForeignICC() bool {
	var data unsafe.Pointer
	var n C.size_t
	if C.pp_icc(im.p, &data, &n) != 0 {
		return false
	}
	return !standardSRGB(unsafe.Slice((*byte)(data), int(n)))
}

// standardSRGB reports whether an ICC profile is sRGB IEC61966-2.1, by
// its header: a display ("mntr") profile of RGB data whose device
// manufacturer is "IEC " and model "sRGB" (ICC.1 header, bytes 12-55).
func standardSRGB(icc []byte) bool {
	return len(icc) >= 128 && string(icc[12:20]) == "mntrRGB " && string(icc[48:56]) == "IEC sRGB"
}

// Orientation is the EXIF orientation, 1 to 8; 1 when there is none.
func (im *vipsImage) Orientation() int { return int(C.pp_orientation(im.p)) }

// ptr returns the address of buf for libvips. buf must not be empty and
// must stay pinned while libvips may read it.
func ptr(buf []byte) unsafe.Pointer { return unsafe.Pointer(&buf[0]) }

// findLoader names the libvips loader class that would open buf, or "".
func findLoader(buf []byte) string {
	name := C.pp_find_loader(ptr(buf), C.size_t(len(buf)))
	C.vips_error_clear()
	if name == nil {
		return ""
	}
	return C.GoString(name)
}

// openHeader opens buf lazily: only the header is read.
func openHeader(buf []byte) (*vipsImage, error) {
	var out *C.VipsImage
	if C.pp_header(ptr(buf), C.size_t(len(buf)), &out) != 0 {
		return nil, vipsError("header")
	}
	return &vipsImage{out}, nil
}

// failOn is the kind of damage in the input that makes libvips's loader
// fail instead of decoding past it (a VipsFailOn).
type failOn C.int

const (
	// failOnTruncated refuses input that ends before the image does.
	failOnTruncated failOn = C.VIPS_FAIL_ON_TRUNCATED
	// failOnWarning refuses anything the decoder warns about as well.
	failOnWarning failOn = C.VIPS_FAIL_ON_WARNING
)

// thumbnail builds the lazy load/orient/colour/resize pipeline of buf that
// fits in width x height without upscaling. With allPages every frame is
// loaded; with toSRGB an attached ICC profile is used to convert to sRGB;
// fail says which damage makes the load fail when the pixels are pulled;
// jpegShrink > 1 decodes a JPEG at 1/jpegShrink scale first.
func thumbnail(buf []byte, width, height int, allPages, toSRGB bool, fail failOn, jpegShrink int) (*vipsImage, error) {
	var out *C.VipsImage
	if C.pp_thumbnail(ptr(buf), C.size_t(len(buf)), &out, C.int(width), C.int(height),
		cbool(allPages), cbool(toSRGB), C.int(fail), C.int(jpegShrink)) != 0 {
		return nil, vipsError("thumbnail")
	}
	return &vipsImage{out}, nil
}

// thumbnail turns im upright and shrinks it to fit width x height.
func (im *vipsImage) thumbnail(width, height int) (*vipsImage, error) {
	var out *C.VipsImage
	if C.pp_thumbnail_image(im.p, &out, C.int(width), C.int(height)) != 0 {
		return nil, vipsError("thumbnail")
	}
	return &vipsImage{out}, nil
}

// copyMemory decodes every pixel into memory.
func (im *vipsImage) copyMemory() (*vipsImage, error) {
	var out *C.VipsImage
	if C.pp_copy_memory(im.p, &out) != 0 {
		return nil, vipsError("decode")
	}
	return &vipsImage{out}, nil
}

// strip returns a copy without metadata, animation timing excepted.
func (im *vipsImage) strip() (*vipsImage, error) {
	var out *C.VipsImage
	if C.pp_strip(im.p, &out) != 0 {
		return nil, vipsError("strip")
	}
	return &vipsImage{out}, nil
}

// saveWebP encodes the image as WebP.
func (im *vipsImage) saveWebP(quality int, lossless bool) ([]byte, error) {
	var buf unsafe.Pointer
	var n C.size_t
	if C.pp_webpsave(im.p, &buf, &n, C.int(quality), cbool(lossless)) != 0 {
		return nil, vipsError("webpsave")
	}
	return goBytes(buf, n), nil
}

// saveAVIF encodes the image as AVIF with the given libaom effort (0-9).
func (im *vipsImage) saveAVIF(quality int, lossless bool, effort int) ([]byte, error) {
	var buf unsafe.Pointer
	var n C.size_t
	if C.pp_avifsave(im.p, &buf, &n, C.int(quality), cbool(lossless), C.int(effort)) != 0 {
		return nil, vipsError("avifsave")
	}
	return goBytes(buf, n), nil
}

// goBytes copies a libvips output buffer into Go memory and frees it.
func goBytes(buf unsafe.Pointer, n C.size_t) []byte {
	defer C.g_free(C.gpointer(buf))
	return C.GoBytes(buf, C.int(n))
}

// vipsError collects and clears the libvips error buffer.
func vipsError(op string) error {
	msg := C.GoString(C.vips_error_buffer())
	C.vips_error_clear()
	return &VipsError{Op: op, Message: strings.TrimSpace(msg)}
}

// releaseThread frees libvips's per-thread state and the error buffer of
// the calling OS thread.
func releaseThread() {
	C.vips_error_clear()
	C.vips_thread_shutdown()
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
