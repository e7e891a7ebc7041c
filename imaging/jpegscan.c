#include <stdio.h>
#include <setjmp.h>
#include <glib.h>
#include <jpeglib.h>

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

	cinfo.err = jpeg_std_error(&err.pub);
	err.pub.error_exit = scan_error_exit;
	err.pub.emit_message = scan_emit_message;
	err.msg = msg;
	err.msg_len = msg_len;
	jpeg_create_decompress(&cinfo);
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
