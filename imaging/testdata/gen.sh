#!/bin/sh
# gen.sh regenerates the image fixtures of package imaging from nothing but
# the vips CLI (libvips-tools 8.14), its built-in "p3" ICC profile and
# exiftool (libimage-exiftool-perl). No downloads: every pixel is synthetic
# (perlin/worley noise, gradients, solid patches), so the files are free of
# third-party rights. Run from any directory; the outputs land beside this
# script. The tests read the committed outputs, they never run this script.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
v() { vips "$@"; }
scrub() { exiftool -q -q -overwrite_original -all= "$@"; }

# tag adds the camera metadata every strip test looks for: EXIF (make,
# model, serial number, GPS), XMP and IPTC.
tag() {
	exiftool -q -q -overwrite_original \
		-EXIF:Make=PicpipeCam -EXIF:Model=Leaky-1 -EXIF:SerialNumber=SN-31337 \
		-EXIF:GPSLatitude=48.8584 -EXIF:GPSLatitudeRef=N \
		-EXIF:GPSLongitude=2.2945 -EXIF:GPSLongitudeRef=E \
		-XMP-dc:Creator=SecretCreator -XMP-dc:Description=SecretDescription \
		"$@"
}

# A photo-like 480x320 RGB picture: smooth perlin fields per channel, some
# worley structure and a little grain.
v perlin "$tmp/r.v" 480 320 --cell-size 96 --seed 11
v perlin "$tmp/g.v" 480 320 --cell-size 64 --seed 12
v perlin "$tmp/b.v" 480 320 --cell-size 128 --seed 13
v worley "$tmp/w.v" 480 320 --cell-size 40 --seed 14
v gaussnoise "$tmp/n.v" 480 320 --sigma 4 --mean 0 --seed 15
for c in r g b; do
	v linear "$tmp/$c.v" "$tmp/${c}s.v" 200 128
	v add "$tmp/${c}s.v" "$tmp/w.v" "$tmp/${c}w.v"
	v add "$tmp/${c}w.v" "$tmp/n.v" "$tmp/${c}n.v"
done
v bandjoin "$tmp/rn.v $tmp/gn.v $tmp/bn.v" "$tmp/photo-f.v"
v cast "$tmp/photo-f.v" "$tmp/photo-u.v" uchar
v copy "$tmp/photo-u.v" "$tmp/photo.v" --interpretation srgb
v copy "$tmp/photo.v" photo.jpg[Q=85]
tag -IPTC:Keywords=SecretKeyword -IPTC:City=SecretCity photo.jpg

# The same picture as a progressive JPEG, untagged.
v copy "$tmp/photo.v" progressive.jpg[Q=85,interlace,strip]

# HEIC (HEVC through libheif/x265) and AVIF inputs, with EXIF/XMP.
v copy "$tmp/photo.v" photo.heic[Q=50,strip]
tag photo.heic
v copy "$tmp/photo.v" photo.avif[Q=50,effort=2,strip]

# Uploads compressed well already, tagged: a WebP at quality 40 (8 KB, of
# which 3.4 KB are tags) and an AVIF at Q 20 (2 KB; EXIF only, as exiftool
# pads XMP in a HEIF file to 3 KB), whose re-encodes (WebP q82: 11 KB,
# AVIF Q 62: 5 KB) come out larger than they are, so that the pipeline
# serves them as they are, without their metadata; the WebP of the AVIF
# (8 KB) is larger too.
v copy "$tmp/photo.v" small.webp[Q=40,strip]
tag small.webp
v copy "$tmp/photo.v" small.avif[Q=20,effort=2,strip]
exiftool -q -q -overwrite_original \
	-EXIF:Make=PicpipeCam -EXIF:Model=Leaky-1 -EXIF:SerialNumber=SN-31337 \
	-EXIF:GPSLatitude=48.8584 -EXIF:GPSLatitudeRef=N \
	-EXIF:GPSLongitude=2.2945 -EXIF:GPSLongitudeRef=E small.avif

# Orientation fixtures: a 64x32 picture whose upright view has red, green,
# blue and white quadrants (top-left, top-right, bottom-left, bottom-right).
# orient-N.jpg stores the pixels so that applying EXIF Orientation N shows
# that upright view again; the tests check the quadrants after processing.
quad() { # quad NAME R G B
	v black "$tmp/q0.v" 32 16 --bands 3
	v linear "$tmp/q0.v" "$tmp/q1.v" "0 0 0" "$2 $3 $4"
	v cast "$tmp/q1.v" "$tmp/$1.v" uchar
}
quad red 255 0 0
quad green 0 255 0
quad blue 0 0 255
quad white 255 255 255
v arrayjoin "$tmp/red.v $tmp/green.v $tmp/blue.v $tmp/white.v" "$tmp/up-u.v" --across 2
v copy "$tmp/up-u.v" "$tmp/up.v" --interpretation srgb
# Per the EXIF/TIFF definition: 5 stores the transpose of the upright view
# (stored row 0 is the displayed left column), 7 the transverse.
stored() { # stored N OUT: the stored pixels for orientation N
	case $1 in
	1) v copy "$tmp/up.v" "$2" ;;
	2) v flip "$tmp/up.v" "$2" horizontal ;;
	3) v rot "$tmp/up.v" "$2" d180 ;;
	4) v flip "$tmp/up.v" "$2" vertical ;;
	5) v rot "$tmp/up.v" "$tmp/t5.v" d270 && v flip "$tmp/t5.v" "$2" vertical ;;
	6) v rot "$tmp/up.v" "$2" d270 ;;
	7) v rot "$tmp/up.v" "$tmp/t7.v" d90 && v flip "$tmp/t7.v" "$2" vertical ;;
	8) v rot "$tmp/up.v" "$2" d90 ;;
	esac
}
for n in 1 2 3 4 5 6 7 8; do
	stored "$n" "$tmp/o$n.v"
	v copy "$tmp/o$n.v" "orient-$n.jpg[Q=95,strip]"
	exiftool -q -q -overwrite_original "-EXIF:Orientation#=$n" "orient-$n.jpg"
done

# PNG with alpha: a gradient whose left half is fully transparent.
v crop "$tmp/photo.v" "$tmp/small.v" 0 0 96 64
v black "$tmp/a0.v" 48 64
v xyz "$tmp/xy.v" 48 64
v extract_band "$tmp/xy.v" "$tmp/ax.v" 0
v linear "$tmp/ax.v" "$tmp/a1.v" 5 15
v arrayjoin "$tmp/a0.v $tmp/a1.v" "$tmp/alpha-f.v" --across 2
v cast "$tmp/alpha-f.v" "$tmp/alpha.v" uchar
v bandjoin "$tmp/small.v $tmp/alpha.v" "$tmp/rgba.v"
v copy "$tmp/rgba.v" alpha.png[strip]

# Polyglot: a complete, valid PNG followed by a PHP/HTML payload.
v copy "$tmp/small.v" "$tmp/poly.png[strip]"
{ cat "$tmp/poly.png"; printf '<?php system($_GET["cmd"]); ?>\n<html><script>alert(document.cookie)</script></html>\n'; } >polyglot.png

# GIFs: a three-frame animation with a comment and XMP, and a still.
frames=""
for i in 0 1 2; do
	v crop "$tmp/photo.v" "$tmp/f$i.png" $((i * 40)) $((i * 20)) 64 48
	frames="$frames${frames:+ }$tmp/f$i.png"
done
v arrayjoin "$frames" "$tmp/strip.v" --across 1
v gifsave "$tmp/strip.v" anim.gif --page-height 48
exiftool -q -q -overwrite_original -Comment=SecretComment \
	-XMP-dc:Creator=SecretCreator anim.gif
v gifsave "$tmp/f0.png" still.gif
exiftool -q -q -overwrite_original -Comment=SecretComment still.gif

# An animated WebP input (three frames, 64x48).
v webpsave "$tmp/strip.v" anim.webp --page-height 48 --Q 80

# Wide gamut: solid patches whose numbers mean Display P3 colours, tagged
# with libvips's built-in P3 profile. Converted to sRGB they get other
# numbers than a naive profile drop would keep.
quad p3a 200 60 40
quad p3b 40 180 70
quad p3c 60 80 200
quad p3d 230 200 40
v arrayjoin "$tmp/p3a.v $tmp/p3b.v $tmp/p3c.v $tmp/p3d.v" "$tmp/p3-u.v" --across 2
v copy "$tmp/p3-u.v" "$tmp/p3.v" --interpretation srgb
v copy "$tmp/p3.v" "p3.png[profile=p3]"

# Other colour spaces: CMYK JPEG (no profile: libvips's built-in CMYK is
# assumed) and 16-bit greyscale PNG, both 64x48 crops of the photo.
v crop "$tmp/photo.v" "$tmp/crop.v" 0 0 64 48
v icc_transform "$tmp/crop.v" "cmyk.jpg[Q=90,strip]" cmyk
v colourspace "$tmp/crop.v" "$tmp/grey16.v" grey16
v copy "$tmp/grey16.v" grey16.png[strip]

ls -l
