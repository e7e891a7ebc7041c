package imaging

/*
#cgo pkg-config: libjpeg
#include "jpegscan.h"
*/
import "C"

import "fmt"

// checkJPEGScan refuses, as decode_failed, a baseline JPEG that libjpeg
// warns about anywhere from its first scanline to its end-of-image marker.
// libvips's fail_on=warning (see loadFailOn) is meant to do that, but libvips
// 8.14 looks at libjpeg's warnings before it decodes each band of 8 rows,
// not after, and never reads past the last row, so damage met in the last
// band or after it still decodes. That is where damaged scan data mostly
// shows: a Huffman decoder thrown off by garbage runs into the end marker
// in the last rows, or stops short of it. A progressive JPEG is left to
// libvips, which sees all its warnings before the first band; other
// formats pass untouched.
//
// It costs a second Huffman decoding of a baseline JPEG, about 7 ms per MB
// of file: 63 ms for a 24 MP photo, 6 to 13 ms for 2 MP ones.
//
// A JPEG that loadImage decodes itself (ownsJPEGDecode) is checked there,
// by the same decoding that gives its pixels.
func checkJPEGScan(pctx *pipelineContext) error {
	if pctx.format.Name != "jpeg" || pctx.ownsJPEGDecode() {
		return nil
	}
	if err := jpegScan(pctx.src); err != nil {
		return decodeFailed(err)
	}
	return nil
}

// jpegLoadScaled decodes a baseline JPEG at 1/shrink scale, failing on
// any libjpeg warning (see pp_jpeg_load_scaled); nil, nil for a JPEG it
// does not take (progressive, CMYK), which jpegScan and libvips handle.
func jpegLoadScaled(buf []byte, shrink, orientation int) (*vipsImage, error) {
	var msg [C.PP_JPEG_MSG_LEN]C.char
	var out *C.VipsImage
	switch C.pp_jpeg_load_scaled(ptr(buf), C.size_t(len(buf)), C.int(shrink), C.int(orientation), &out, &msg[0], C.size_t(len(msg))) {
	case 0:
		return &vipsImage{out}, nil
	case 1:
		return nil, nil
	}
	return nil, fmt.Errorf("imaging: libjpeg: %s", C.GoString(&msg[0]))
}

// jpegScan runs libjpeg over the scan data of a baseline JPEG (see
// pp_jpeg_scan) and returns its first warning or error.
func jpegScan(buf []byte) error {
	var msg [C.PP_JPEG_MSG_LEN]C.char
	if C.pp_jpeg_scan(ptr(buf), C.size_t(len(buf)), &msg[0], C.size_t(len(msg))) != 0 {
		return fmt.Errorf("imaging: libjpeg: %s", C.GoString(&msg[0]))
	}
	return nil
}
