#!/usr/bin/env bash
# Builds the benchmark corpus from real, public photos shipped in Debian
# packages (mate-backgrounds, python3-skimage), fetched with apt-get
# download (nothing is installed) and derived with the vips CLI and
# exiftool. Idempotent: a finished corpus is kept and reused.
#
#   bench/corpus.sh [DIR]    (default bench/corpus, gitignored)
#
# File names start with their class: s- (~0.3 MP), m- (2-3 MP),
# l- (8-12 MP), x- (24 MP); bomb- files must be refused.
set -euo pipefail
dir=${1:-bench/corpus}
stamp=v1
[ -f "$dir/.complete-$stamp" ] && exit 0
mkdir -p "$dir/src"
cd "$dir"

if [ ! -d src/x ]; then
	(cd src && apt-get download mate-backgrounds python3-skimage >/dev/null 2>&1 ||
		{ echo "corpus: apt-get download failed" >&2; exit 1; })
	mkdir -p src/x.tmp
	for d in src/*.deb; do dpkg-deb -x "$d" src/x.tmp; done
	mv src/x.tmp src/x
	rm -f src/*.deb
fi
mate=src/x/usr/share/backgrounds/mate
sk=src/x/usr/lib/python3/dist-packages/skimage/data

# orient6 stores $1 turned a quarter anticlockwise with EXIF Orientation=6,
# so that it displays upright like the original.
orient6() {
	vips rot "$1" "$2[Q=90]" d270
	exiftool -q -overwrite_original -Orientation#=6 "$2"
}

# ~0.3 MP: skimage's photographs (astronaut: NASA, public domain).
vips copy $sk/astronaut.png s-astronaut.jpg[Q=90]
vips copy $sk/coffee.png s-coffee.jpg[Q=90]
vips copy $sk/chelsea.png s-chelsea.jpg[Q=90]
vips copy $sk/motorcycle_left.png s-motorcycle.jpg[Q=90]
cp $sk/astronaut.png s-astronaut.png
cp $sk/logo.png s-logo-alpha.png # a real PNG with an alpha channel
orient6 s-coffee.jpg s-coffee-o6.jpg

# 2-3 MP: MATE's nature photographs as shipped, and a 2 MB JPEG.
cp $mate/nature/RainDrops.jpg m-raindrops.jpg
cp $mate/nature/Blinds.jpg m-blinds.jpg
cp $mate/nature/Storm.jpg m-storm.jpg
cp $mate/abstract/Elephants.jpg m-elephants.jpg
cp $mate/abstract/Gulp.png m-gulp-alpha.png # artwork with alpha
orient6 m-storm.jpg m-storm-o6.jpg
vips thumbnail $mate/abstract/Elephants_3840x2160.jpg m-elephants-2mb.jpg[Q=97] 1920

# 8-12 MP.
cp $mate/abstract/Elephants_3840x2160.jpg l-elephants.jpg
vips copy l-elephants.jpg l-elephants-progressive.jpg[Q=90,interlace]
orient6 l-elephants.jpg l-elephants-o6.jpg

# 24 MP: the 17.9 MP photograph resampled x1.16 (6542x3680).
vips resize $mate/abstract/Elephants_5640x3172.jpg x-elephants-24mp.jpg[Q=90] 1.16

# Bombs: a real 10001x10000 PNG (100 MP, 1 band, ~100 KB), a 24 MP
# progressive JPEG, a JPEG cut in half.
vips black bomb-100mp.png 10001 10000
vips copy x-elephants-24mp.jpg bomb-24mp-progressive.jpg[Q=90,interlace]
head -c $(($(stat -c %s l-elephants.jpg) / 2)) l-elephants.jpg >bomb-truncated.jpg

touch ".complete-$stamp"
