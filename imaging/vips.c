#include "vips.h"

// loaders are the only libvips loaders picpipe lets run. Everything else is
// blocked process-wide, on top of libvips's own "untrusted" block.
static const char *loaders[] = {
	"VipsForeignLoadJpeg",
	"VipsForeignLoadPng",
	"VipsForeignLoadNsgif",
	"VipsForeignLoadWebp",
	"VipsForeignLoadHeif",
	NULL,
};

int
pp_startup(void)
{
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (int i = 0; loaders[i]; i++)
		vips_operation_block_set(loaders[i], FALSE);
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	vips_concurrency_set(1);
	return 0;
}

const char *
pp_find_loader(const void *buf, size_t len)
{
	return vips_foreign_find_load_buffer(buf, len);
}

// pp_header opens the image lazily: libvips reads the header only, pixels
// are decoded when (if ever) they are pulled.
int
pp_header(const void *buf, size_t len, VipsImage **out)
{
	*out = vips_image_new_from_buffer(buf, len, "",
		"access", VIPS_ACCESS_SEQUENTIAL,
		NULL);
	return *out == NULL ? -1 : 0;
}

// pp_icc points data at the attached ICC profile; -1 when there is none.
int
pp_icc(VipsImage *in, const void **data, size_t *len)
{
	if (!vips_image_get_typeof(in, VIPS_META_ICC_NAME))
		return -1;
	return vips_image_get_blob(in, VIPS_META_ICC_NAME, data, len);
}

int
pp_orientation(VipsImage *in)
{
	return vips_image_get_orientation(in);
}

int
pp_page_height(VipsImage *in)
{
	return vips_image_get_page_height(in);
}

// pp_thumbnail builds load (with shrink-on-load), auto-orient, optional
// ICC transform to sRGB and a downsize to fit width x height. fail_on (a
// VipsFailOn) is the damage that makes the load an error rather than a
// warning. libvips 8.14 ignores the "fail_on" argument of
// vips_thumbnail_buffer (the file variant honours it), so it goes to the
// loader through the option string as well.
//
// jpeg_shrink > 1 loads a JPEG with libjpeg's DCT scaling by that factor
// first (see jpegShrink): vips_thumbnail_buffer keeps a factor of two
// for its own resize, so that a 1920 px photo made 512 px wide is decoded
// whole, and one of 6000 px at a quarter, where a decode at half and at
// an eighth is as sharp once reduced and costs a third to a half.
int
pp_thumbnail(const void *buf, size_t len, VipsImage **out, int width,
	int height, int all_pages, int to_srgb, int fail_on, int jpeg_shrink)
{
	char options[64];
	VipsImage *in;
	int result;

	if (jpeg_shrink > 1) {
		if (vips_jpegload_buffer((void *) buf, len, &in,
			"shrink", jpeg_shrink,
			"fail_on", fail_on,
			NULL))
			return -1;
		result = vips_thumbnail_image(in, out, width,
			"height", height,
			"size", VIPS_SIZE_DOWN,
			"export_profile", to_srgb ? "srgb" : NULL,
			NULL);
		g_object_unref(in);
		return result;
	}
	g_snprintf(options, sizeof(options), "%sfail_on=%s",
		all_pages ? "n=-1," : "",
		vips_enum_nick(VIPS_TYPE_FAIL_ON, fail_on));
	return vips_thumbnail_buffer((void *) buf, len, out, width,
		"height", height,
		"size", VIPS_SIZE_DOWN,
		"fail_on", fail_on,
		"option_string", options,
		"export_profile", to_srgb ? "srgb" : NULL,
		NULL);
}

// pp_thumbnail_image turns in upright by its orientation and shrinks it
// to fit width x height, never enlarging: pp_thumbnail for an image
// already decoded (at a scale, by pp_jpeg_load_scaled).
int
pp_thumbnail_image(VipsImage *in, VipsImage **out, int width, int height)
{
	return vips_thumbnail_image(in, out, width,
		"height", height,
		"size", VIPS_SIZE_DOWN,
		NULL);
}

int
pp_copy_memory(VipsImage *in, VipsImage **out)
{
	*out = vips_image_copy_memory(in);
	return *out == NULL ? -1 : 0;
}

// keep lists the only metadata fields that survive pp_strip: the ones that
// make an animation an animation.
static const char *keep[] = {
	"delay", "loop", "page-height", "gif-delay", "gif-loop", NULL,
};

static int
kept(const char *name)
{
	for (int i = 0; keep[i]; i++)
		if (strcmp(name, keep[i]) == 0)
			return 1;
	return 0;
}

// pp_strip returns a copy of in without any metadata field (EXIF, XMP,
// IPTC, ICC profile, comments, orientation, ...) except those in keep.
int
pp_strip(VipsImage *in, VipsImage **out)
{
	if (vips_copy(in, out, NULL))
		return -1;
	gchar **fields = vips_image_get_fields(*out);
	for (int i = 0; fields[i]; i++)
		if (!kept(fields[i]))
			vips_image_remove(*out, fields[i]);
	g_strfreev(fields);
	return 0;
}

int
pp_webpsave(VipsImage *in, void **buf, size_t *len, int q, int lossless)
{
	return vips_webpsave_buffer(in, buf, len,
		"Q", q,
		"lossless", lossless,
		"strip", TRUE,
		NULL);
}

int
pp_avifsave(VipsImage *in, void **buf, size_t *len, int q, int lossless,
	int effort)
{
	return vips_heifsave_buffer(in, buf, len,
		"compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1,
		"Q", q,
		"lossless", lossless,
		"effort", effort,
		"bitdepth", 8,
		"strip", TRUE,
		NULL);
}

void
pp_unref(VipsImage *in)
{
	if (in)
		g_object_unref(in);
}
