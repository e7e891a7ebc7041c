#!/bin/sh
# gen.sh regenerates the hostile JPEGs of this directory with libjpeg's own
# encoder (libjpeg62-turbo-dev and a C compiler): a uniform grey 8000×8000
# frame, arithmetic-coded (125 bytes, decodes without a warning), and
# progressive, cut after 881 bytes and given an end-of-image marker (883
# bytes). The tests read the committed files, they never run this script.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/grey.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
/* grey W H ARITH PROGRESSIVE writes a uniform grey JPEG to stdout. */
int main(int argc, char **argv) {
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	int w = atoi(argv[1]), h = atoi(argv[2]);
	unsigned char *row = malloc(w);
	memset(row, 128, w);
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, stdout);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	c.arith_code = atoi(argv[3]);
	if (atoi(argv[4]))
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height)
		jpeg_write_scanlines(&c, &row, 1);
	jpeg_finish_compress(&c);
	return 0;
}
C
cc -O2 -o "$tmp/grey" "$tmp/grey.c" -ljpeg
"$tmp/grey" 8000 8000 1 0 >claim8000-arith.jpg
"$tmp/grey" 8000 8000 0 1 | head -c 881 >claim8000-cut.jpg
printf '\377\331' >>claim8000-cut.jpg
ls -l
