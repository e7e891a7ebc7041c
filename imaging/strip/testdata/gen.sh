#!/bin/sh
# gen.sh makes the fixtures of package strip from those of package imaging
# (../../testdata, made by its gen.sh) with exiftool
# (libimage-exiftool-perl) and the vips CLI (libvips-tools 8.14). Each
# fixture carries the metadata Strip must remove: EXIF with camera make,
# model, serial number and GPS position, XMP, and where the format has
# them IPTC and comments; EXIF Orientation 6 where the format has EXIF;
# and an ICC profile, which Strip keeps. The tests read the committed
# outputs, they never run this script. Run from any directory.
set -eu
cd "$(dirname "$0")"
src=../../testdata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
et() { exiftool -q -q -overwrite_original "$@"; }

# The Display P3 profile of p3.png, to embed where the input has none.
exiftool -b -ICC_Profile "$src/p3.png" >"$tmp/p3.icc"

# tag adds the camera metadata and Orientation 6 (display rotated 90° CW).
tag() {
	et -EXIF:Make=PicpipeCam -EXIF:Model=Leaky-1 -EXIF:SerialNumber=SN-31337 \
		-EXIF:GPSLatitude=48.8584 -EXIF:GPSLatitudeRef=N \
		-EXIF:GPSLongitude=2.2945 -EXIF:GPSLongitudeRef=E \
		-EXIF:Orientation#=6 \
		-XMP-dc:Creator=SecretCreator -XMP-dc:Description=SecretDescription \
		"$@"
}

# JPEG: baseline with everything: EXIF (and its IFD1 thumbnail), XMP,
# IPTC, a comment, an ICC profile, then an MPF-style trailer.
vips copy "$src/photo.jpg" "$tmp/thumb.jpg[Q=60,strip]"
vips resize "$tmp/thumb.jpg" "$tmp/small.jpg[Q=60,strip]" 0.1
cp "$src/photo.jpg" photo.jpg
tag -IPTC:Keywords=SecretKeyword -IPTC:City=SecretCity -Comment=SecretComment \
	"-ICC_Profile<=$tmp/p3.icc" "-ThumbnailImage<=$tmp/small.jpg" photo.jpg
printf 'SecretTrailer' >>photo.jpg

# Progressive JPEG (several scans, tables between them), and CMYK JPEG
# (the Adobe APP14 segment must stay).
cp "$src/progressive.jpg" progressive.jpg
tag -Comment=SecretComment progressive.jpg
cp "$src/cmyk.jpg" cmyk.jpg
tag -IPTC:Keywords=SecretKeyword cmyk.jpg

# PNG with an ICC profile: EXIF as eXIf, XMP as iTXt, IPTC as zTXt, text
# chunks and a modification time, then a polyglot payload.
cp "$src/p3.png" photo.png
tag -IPTC:Keywords=SecretKeyword -PNG:Comment=SecretComment -PNG:Title=SecretTitle \
	'-PNG:ModifyDate=2024:01:02 03:04:05' photo.png
printf '<?php echo "SecretTrailer"; ?>' >>photo.png

# WebP: lossy with an ICC profile (libvips writes the EXIF of photo.jpg
# despite strip), and the animated one with frames.
vips copy "$src/photo.jpg" "$tmp/photo.webp[Q=80,strip]"
cp "$tmp/photo.webp" photo.webp
tag "-ICC_Profile<=$tmp/p3.icc" photo.webp
cp "$src/anim.webp" anim.webp
tag anim.webp

# GIF: the animation (comment, XMP) with an ICC profile, and the still.
cp "$src/anim.gif" anim.gif
et -XMP-dc:Description=SecretDescription "-ICC_Profile<=$tmp/p3.icc" anim.gif
cp "$src/still.gif" still.gif
et -XMP-dc:Creator=SecretCreator still.gif

# HEIC and AVIF: EXIF and XMP items (exiftool cannot write irot or imir).
cp "$src/photo.heic" photo.heic
tag photo.heic
cp "$src/photo.avif" photo.avif
tag photo.avif

ls -l
