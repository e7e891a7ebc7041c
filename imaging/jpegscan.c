#include <stdio.h>
#include <setjmp.h>
#include <glib.h>
#include <jpeglib.h>
#include <vips/vips.h>

#include "jpegscan.h"

// scan_error is a libjpeg error manager that turns the first warning, like
// any error, into a jump back to pp_jpeg_scan with the message kept.
typedef struct {
	struct jpeg_error_mgr pub;
	jmp_buf jmp;
	char *msg;
	size_t msg_len;
} scan_error;

static void
scan_error_exit(j_common_ptr cinfo)
{
	scan_error *e = (scan_error *) cinfo->err;
	char buf[JMSG_LENGTH_MAX];

	(*cinfo->err->format_message)(cinfo, buf);
	g_strlcpy(e->msg, buf, e->msg_len);
	longjmp(e->jmp, 1);
}

// scan_emit_message fails on a warning (msg_level -1) and ignores trace
// messages (0 and up).
static void
scan_emit_message(j_common_ptr cinfo, int msg_level)
{
	if (msg_level < 0)
		scan_error_exit(cinfo);
}

// scan_begin sets cinfo up to decode with err, which makes the first
// warning, like any error, a jump to the caller's setjmp(err->jmp).
static void
scan_begin(struct jpeg_decompress_struct *cinfo, scan_error *err, char *msg,
	size_t msg_len)
{
	cinfo->err = jpeg_std_error(&err->pub);
	err->pub.error_exit = scan_error_exit;
	err->pub.emit_message = scan_emit_message;
	err->msg = msg;
	err->msg_len = msg_len;
	jpeg_create_decompress(cinfo);
}

// pp_jpeg_scan decodes every scanline of a single-scan (baseline) JPEG at
// 1/8 scale, which costs little more than its Huffman decoding, then reads
// on to the end-of-image marker. It returns -1, with libjpeg's message in
// msg, on the first warning or error: libjpeg reports corrupt entropy-coded
// data ("premature end of data segment", "bad Huffman code", "extraneous
// bytes before marker") as warnings. A multi-scan (progressive) JPEG is not
// decoded and returns 0: libjpeg reads all of its scans before the first
// scanline, where libvips's fail_on=warning sees their warnings.
int
pp_jpeg_scan(const void *buf, size_t len, char *msg, size_t msg_len)
{
	struct jpeg_decompress_struct cinfo;
	scan_error err;
	JSAMPARRAY row;
	int result = 0;

	scan_begin(&cinfo, &err, msg, msg_len);
	if (setjmp(err.jmp)) {
		result = -1;
		goto done;
	}
	jpeg_mem_src(&cinfo, (const unsigned char *) buf, len);
	jpeg_read_header(&cinfo, TRUE);
	if (jpeg_has_multiple_scans(&cinfo))
		goto done;
	cinfo.scale_num = 1;
	cinfo.scale_denom = 8;
	cinfo.dct_method = JDCT_IFAST;
	cinfo.do_fancy_upsampling = FALSE;
	jpeg_start_decompress(&cinfo);
	row = (*cinfo.mem->alloc_sarray)((j_common_ptr) &cinfo, JPOOL_IMAGE,
		cinfo.output_width * cinfo.output_components, 1);
	while (cinfo.output_scanline < cinfo.output_height)
		jpeg_read_scanlines(&cinfo, row, 1);
	jpeg_finish_decompress(&cinfo);
done:
	jpeg_destroy_decompress(&cinfo);
	return result;
}

static void
free_pixels(VipsImage *im, void *pixels)
{
	g_free(pixels);
}

// pp_jpeg_load_scaled decodes a single-scan (baseline) JPEG of YCbCr, RGB
// or grey pixels at 1/shrink scale (libjpeg's DCT scaling, as libvips's
// shrink-on-load), failing like pp_jpeg_scan on the first warning and
// reading on to the end-of-image marker, so that one decoding both checks
// the scan data and gives the pixels the thumbnail needs. *out is an
// 8-bit sRGB or grey image carrying orientation, to be turned by
// vips_thumbnail_image. It returns 1, with *out unset, for a JPEG it does
// not take (progressive, CMYK, YCCK), which the caller scans and loads
// through libvips instead; -1, with libjpeg's message in msg, on damage.
int
pp_jpeg_load_scaled(const void *buf, size_t len, int shrink, int orientation,
	VipsImage **out, char *msg, size_t msg_len)
{
	struct jpeg_decompress_struct cinfo;
	scan_error err;
	unsigned char *volatile pixels = NULL;
	volatile int result = 0;
	size_t stride;
	int bands;

	scan_begin(&cinfo, &err, msg, msg_len);
	if (setjmp(err.jmp)) {
		result = -1;
		goto done;
	}
	jpeg_mem_src(&cinfo, (const unsigned char *) buf, len);
	jpeg_read_header(&cinfo, TRUE);
	if (jpeg_has_multiple_scans(&cinfo) ||
		(cinfo.jpeg_color_space != JCS_YCbCr &&
		cinfo.jpeg_color_space != JCS_RGB &&
		cinfo.jpeg_color_space != JCS_GRAYSCALE)) {
		result = 1;
		goto done;
	}
	cinfo.scale_num = 1;
	cinfo.scale_denom = shrink;
	cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE ?
		JCS_GRAYSCALE : JCS_RGB;
	jpeg_start_decompress(&cinfo);
	bands = cinfo.output_components;
	stride = (size_t) cinfo.output_width * bands;
	pixels = g_malloc(stride * cinfo.output_height);
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = pixels + cinfo.output_scanline * stride;

		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	*out = vips_image_new_from_memory(pixels, stride * cinfo.output_height,
		cinfo.output_width, cinfo.output_height, bands, VIPS_FORMAT_UCHAR);
	if (!*out) {
		g_strlcpy(msg, "out of memory", msg_len);
		result = -1;
		goto done;
	}
	g_signal_connect(*out, "postclose", G_CALLBACK(free_pixels), pixels);
	pixels = NULL;
	(*out)->Type = bands == 1 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
	if (orientation > 1)
		vips_image_set_int(*out, VIPS_META_ORIENTATION, orientation);
done:
	jpeg_destroy_decompress(&cinfo);
	g_free(pixels);
	return result;
}
