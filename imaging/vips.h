// Small C helpers around libvips for package imaging. They exist so that Go
// never has to call variadic C functions.
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

int pp_startup(void);
const char *pp_find_loader(const void *buf, size_t len);
int pp_header(const void *buf, size_t len, VipsImage **out);
int pp_icc(VipsImage *in, const void **data, size_t *len);
int pp_orientation(VipsImage *in);
int pp_page_height(VipsImage *in);
int pp_thumbnail(const void *buf, size_t len, VipsImage **out, int width,
	int height, int all_pages, int to_srgb, int fail_on, int jpeg_shrink);
int pp_thumbnail_image(VipsImage *in, VipsImage **out, int width, int height);
int pp_copy_memory(VipsImage *in, VipsImage **out);
int pp_strip(VipsImage *in, VipsImage **out);
int pp_webpsave(VipsImage *in, void **buf, size_t *len, int q, int lossless);
int pp_avifsave(VipsImage *in, void **buf, size_t *len, int q, int lossless,
	int effort);
void pp_unref(VipsImage *in);
