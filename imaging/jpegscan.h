// A check of JPEG entropy-coded data with libjpeg itself, for package
// imaging (see jpegscan.c).
#include <stddef.h>
#include <vips/vips.h>

// PP_JPEG_MSG_LEN is the room for a libjpeg message (its JMSG_LENGTH_MAX).
#define PP_JPEG_MSG_LEN 200

int pp_jpeg_scan(const void *buf, size_t len, char *msg, size_t msg_len);
int pp_jpeg_load_scaled(const void *buf, size_t len, int shrink,
	int orientation, VipsImage **out, char *msg, size_t msg_len);
