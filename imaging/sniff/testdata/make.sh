#!/usr/bin/env bash
# Remakes the sample files of sniff's tests with real encoders. They are
# committed, so the tests need none of these tools; run this only to
# refresh them (Debian 12):
#
#   apt-get install --no-install-recommends ffmpeg p7zip-full zip \
#     python3-docx python3-openpyxl libreoffice-writer-nogui libreoffice-calc-nogui
#
# RAR has no free encoder in Debian; its samples are built from the format
# specification in archive_test.go. The OLE layout a Microsoft Word save
# has (the FIB in sector 0) is built there too, in ole_test.go.
set -euo pipefail
cd "$(dirname "$0")"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
tone="sine=frequency=440:duration=0.2"
red="color=c=red:s=16x16:d=0.04:r=25"

# Audio.
ff -f lavfi -i "$tone" -ar 22050 -ac 1 -c:a libmp3lame -b:a 32k -write_xing 0 -id3v2_version 0 tone.mp3
ff -f lavfi -i "$tone" -ar 22050 -ac 1 -c:a libmp3lame -b:a 32k -metadata title=Tone tone-id3.mp3
ff -f lavfi -i "sine=frequency=440:duration=0.1" -ar 8000 -ac 1 -c:a pcm_s16le tone.wav
ff -f lavfi -i "$tone" -ar 22050 -ac 1 -c:a libvorbis tone.ogg
ff -f lavfi -i "$tone" -ar 48000 -ac 1 -c:a libopus tone.opus
ff -f lavfi -i "$tone" -ar 8000 -ac 1 -c:a flac tone.flac
ff -f lavfi -i "$tone" -ar 22050 -ac 1 -c:a aac -b:a 16k tone.m4a

# Video.
ff -f lavfi -i "$red" -c:v libx264 -pix_fmt yuv420p clip.mp4
ff -f lavfi -i "$red" -c:v libx264 -pix_fmt yuv420p -movflags +faststart faststart.mp4
ff -f lavfi -i "$red" -c:v libx264 -pix_fmt yuv420p clip.mov
ff -f lavfi -i "$red" -c:v mjpeg clip.avi
ff -f lavfi -i "$red" -c:v wmv2 clip.wmv
ff -f lavfi -i "$red" -c:v libtheora clip.ogv
ff -f lavfi -i "$red" -c:v h263 -s 128x96 clip.3gp

# Documents: LibreOffice's Word 97 and Word 2007 writers, python-docx
# (which puts [Content_Types].xml first, as Word does), and spreadsheets.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'Hello picpipe.\n\nA second paragraph.\n' >"$tmp/doc.txt"
printf 'a,b\n1,2\n' >"$tmp/sheet.csv"
for to in doc docx odt; do
	HOME=$tmp soffice --headless --convert-to "$to" --outdir . "$tmp/doc.txt" >/dev/null
done
for to in xls xlsx; do
	HOME=$tmp soffice --headless --convert-to "$to" --outdir . "$tmp/sheet.csv" >/dev/null
done
python3 - <<'PY'
import docx, openpyxl
d = docx.Document()
d.add_paragraph("Hello picpipe.")
d.save("word.docx")
w = openpyxl.Workbook()
w.active["A1"] = 1
w.save("book.xlsx")
PY

# Archives: a plain zip, a zip written to a pipe (sizes in data
# descriptors), a zip holding a .docx (not itself a .docx), a 7z.
rm -f plain.zip streamed.zip nested.zip plain.7z
(cd "$tmp" && zip -q -X "$OLDPWD/plain.zip" doc.txt sheet.csv)
printf 'streamed\n' | zip -q -X - - >streamed.zip
zip -q -X -0 -j nested.zip doc.docx
(cd "$tmp" && 7z a -bd -bso0 "$OLDPWD/plain.7z" doc.txt sheet.csv)
