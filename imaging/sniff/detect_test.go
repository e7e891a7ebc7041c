package sniff

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gabriel-vasile/mimetype"
)

// sample reads a file of testdata/ (made by testdata/make.sh) or, with a
// "../" prefix, of package imaging's testdata/.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	dir := "testdata"
	if after, ok := strings.CutPrefix(name, "../"); ok {
		dir, name = filepath.Join("..", "testdata"), after
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDetectSamples sniffs real files made by real encoders (ffmpeg,
// LibreOffice, python-docx, openpyxl, zip, 7z, libvips, libheif), under
// their own names and under none.
func TestDetectSamples(t *testing.T) {
	tests := []struct {
		file string
		want Type
		what string // a substring of what, for Unknown
	}{
		{"tone.mp3", TypeMP3, ""},
		{"tone-id3.mp3", TypeMP3, ""},
		{"tone.wav", TypeWAV, ""},
		{"tone.ogg", TypeOGG, ""},
		{"tone.opus", TypeOGG, ""},
		{"tone.flac", TypeFLAC, ""},
		{"tone.m4a", Unknown, "M4A "},
		{"clip.mp4", TypeMP4, "isom"},
		{"faststart.mp4", TypeMP4, ""},
		{"clip.mov", TypeMOV, "qt  "},
		{"clip.avi", TypeAVI, ""},
		{"clip.wmv", TypeWMV, ""},
		{"clip.ogv", Unknown, "video/ogg (theora)"},
		{"clip.3gp", Unknown, "3gp4"},
		{"doc.doc", TypeDOC, "CompObj"},
		{"sheet.xls", Unknown, "application/x-ole-storage"},
		{"doc.docx", TypeDOCX, ""},
		{"word.docx", TypeDOCX, ""},
		{"sheet.xlsx", Unknown, "spreadsheetml"},
		{"book.xlsx", Unknown, "spreadsheetml"},
		{"doc.odt", Unknown, "opendocument.text"},
		{"plain.zip", TypeZIP, ""},
		{"streamed.zip", TypeZIP, ""},
		{"nested.zip", TypeZIP, ""},
		{"plain.7z", Type7Z, ""},
		{"../photo.jpg", TypeJPEG, ""},
		{"../progressive.jpg", TypeJPEG, ""},
		{"../alpha.png", TypePNG, ""},
		{"../polyglot.png", TypePNG, ""},
		{"../anim.gif", TypeGIF, ""},
		{"../anim.webp", TypeWebP, ""},
		{"../photo.avif", TypeAVIF, "avif"},
		{"../photo.heic", TypeHEIC, "heic"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := sample(t, tt.file)
			for _, name := range []string{tt.file, "noname"} {
				got, what := Detect(b, name)
				if got != tt.want || !strings.Contains(what, tt.what) {
					t.Errorf("Detect(%s) = %v, %q; want %v, %q", name, got, what, tt.want, tt.what)
				}
			}
		})
	}
}

// TestMimetypeAgrees checks mimetype's answer on the samples against ours:
// where mimetype names a type of the table it must be the one we found,
// and the samples where it cannot tell (a .doc whose directory lies past
// the first 4 KB) or tells a different story are listed.
func TestMimetypeAgrees(t *testing.T) {
	differs := map[string]string{
		"doc.doc":   "application/x-ole-storage", // the directory is at 8 KB
		"clip.wmv":  "video/x-ms-asf",            // an alias of video/x-ms-wmv
		"tone.opus": "audio/ogg",
	}
	files, _ := filepath.Glob("testdata/*.*")
	for _, f := range files {
		b := clip(sample(t, filepath.Base(f)))
		ours, _ := Detect(b, "")
		m := mimetype.Detect(b)
		if ours == Unknown {
			if ty, ok := TypeByMIME(mediaType(m)); ok && ty != TypeText {
				t.Errorf("%s: mimetype says %s (%v), we found no type", f, m, ty)
			}
			continue
		}
		if want, ok := differs[filepath.Base(f)]; ok {
			if !m.Is(want) {
				t.Errorf("%s: mimetype says %s, expected %s", f, m, want)
			}
			continue
		}
		if !m.Is(ours.MIME()) {
			t.Errorf("%s: mimetype says %s, we found %v (%s)", f, m, ours, ours.MIME())
		}
	}
}

// TestDetectNeverPanics sniffs every prefix of every sample, and the
// samples with each of their first bytes flipped.
func TestDetectNeverPanics(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, f := range files {
		b := clip(sample(t, filepath.Base(f)))
		for n := 0; n <= len(b); n++ {
			Detect(b[:n], "")
		}
		for i := 0; i < min(len(b), 64); i++ {
			c := bytes.Clone(b)
			c[i] ^= 0xff
			Detect(c, "")
		}
	}
}

func FuzzDetect(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, name := range files {
		f.Add(clip(sample(f, filepath.Base(name))))
	}
	f.Add(rar4("a", []byte("x")))
	f.Add(rar5("a", []byte("x")))
	f.Fuzz(func(t *testing.T, b []byte) {
		ty, what := Detect(b, "x")
		if ty == Unknown && ty.Name() != "" || ty != Unknown && what == "" {
			t.Fatalf("Detect = %v, %q", ty, what)
		}
	})
}

// zipOf builds a zip archive of the named entries in order, each holding
// its own name, written as Go's archive/zip writes (sizes in data
// descriptors).
func zipOf(t *testing.T, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, n := range names {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(n))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withoutFtyp cuts the ftyp box off an ISO media file, leaving what an
// old QuickTime movie has: atoms (wide, mdat, moov) and no ftyp.
func withoutFtyp(b []byte) []byte {
	return b[int(b[3]):]
}

// mp3Frame is an MPEG-2 Layer III frame header (32 kbit/s, 22050 Hz) and
// its body: 104 bytes.
func mp3Frame() []byte {
	return append([]byte{0xff, 0xf3, 0x40, 0xc4}, make([]byte, 100)...)
}

// id3 is an ID3v2.4 tag of size bytes (after its 10-byte header).
func id3(size int) []byte {
	tag := []byte{'I', 'D', '3', 4, 0, 0, byte(size >> 21 & 0x7f), byte(size >> 14 & 0x7f), byte(size >> 7 & 0x7f), byte(size & 0x7f)}
	return append(tag, make([]byte, size)...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestConfusables tells apart the types that share a container or a
// signature, by their bytes.
func TestConfusables(t *testing.T) {
	flacHead := sample(t, "tone.flac")[:64]
	tests := []struct {
		name   string
		header []byte
		want   Type
		what   string // a substring of what
	}{
		// ISO media: the major brand, and for HEIF the codec brands.
		{"mp4: isom", ftypBox("isom", "isom", "iso2", "avc1", "mp41"), TypeMP4, "isom"},
		{"mp4: mp42", ftypBox("mp42", "mp42", "isom"), TypeMP4, ""},
		{"mp4: Apple M4V", ftypBox("M4V ", "M4V ", "M4A ", "mp42", "isom"), TypeMP4, ""},
		{"mp4: dash", ftypBox("dash", "iso6", "mp41"), TypeMP4, ""},
		{"mp4 listing avif stays mp4", ftypBox("mp42", "mp42", "mif1", "avif"), TypeMP4, ""},
		{"mov: qt", ftypBox("qt  ", "qt  "), TypeMOV, ""},
		{"mov: no ftyp, wide atom first", withoutFtyp(sample(t, "clip.mov")), TypeMOV, "without ftyp"},
		{"mov: no ftyp, moov first", withoutFtyp(sample(t, "faststart.mp4")), TypeMOV, ""},
		{"avif: avif major", ftypBox("avif", "avif", "mif1", "miaf"), TypeAVIF, ""},
		{"avif: mif1 major, avif compatible", ftypBox("mif1", "mif1", "miaf", "avif"), TypeAVIF, ""},
		{"heic: heic major", ftypBox("heic", "mif1", "heic"), TypeHEIC, ""},
		{"heic: msf1 major, hevc compatible", ftypBox("msf1", "msf1", "hevc"), TypeHEIC, ""},
		{"heif without a codec brand, mp4 listed", ftypBox("mif1", "mif1", "isom", "mp42"), Unknown, "mif1, mif1, isom, mp42"},
		{"m4a audio", ftypBox("M4A ", "M4A ", "isom"), Unknown, "M4A "},
		{"3gpp", ftypBox("3gp5", "3gp5", "isom"), Unknown, "3gp5"},
		{"jpeg 2000", ftypBox("jp2 ", "jp2 "), Unknown, "jp2 "},
		{"free in a text is not an atom", []byte("I'm free to go\n"), TypeText, ""},
		{"atom size below 8", []byte("\x00\x00\x00\x05free\x00\x00\x00\x00"), Unknown, ""},

		// RIFF: the form type.
		{"wav", sample(t, "tone.wav"), TypeWAV, ""},
		{"wav, RF64", cat([]byte("RF64\xff\xff\xff\xffWAVEds64"), make([]byte, 28)), TypeWAV, ""},
		{"avi", sample(t, "clip.avi"), TypeAVI, ""},
		{"avi without hdrl", cat([]byte("RIFF\x00\x10\x00\x00AVI JUNK\x04\x00\x00\x00"), make([]byte, 8)), Unknown, `form "AVI "`},
		{"webp", webpHead, TypeWebP, ""},
		{"webp in RF64 is not webp", []byte("RF64\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), Unknown, "RF64"},
		{"other RIFF", []byte("RIFF\x24\x00\x00\x00CDXAfmt \x10\x00\x00\x00"), Unknown, `form "CDXA"`},

		// Zip: Office Open XML by its parts; the rest by mimetype.
		{"docx from Go", zipOf(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), TypeDOCX, ""},
		{"xlsx is not docx", zipOf(t, "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"), Unknown, "spreadsheetml"},
		{"pptx is not docx", zipOf(t, "[Content_Types].xml", "ppt/presentation.xml"), Unknown, "presentationml"},
		{"ooxml of unknown kind", zipOf(t, "[Content_Types].xml", "docProps/app.xml"), Unknown, "Office Open XML"},
		{"a zipped folder named word", zipOf(t, "word/", "word/a.txt", "[Content_Types].xml"), TypeZIP, ""},
		{"jar", zipOf(t, "META-INF/MANIFEST.MF", "a.class"), Unknown, "java-archive"},
		{"zip of files", zipOf(t, "a.txt", "b/c.txt"), TypeZIP, ""},
		{"empty zip", cat([]byte("PK\x05\x06"), make([]byte, 18)), TypeZIP, ""},
		{"spanned zip marker", cat([]byte("PK\x07\x08"), sample(t, "plain.zip")), TypeZIP, ""},
		{"zip after junk is not zip", cat([]byte("junk\x00"), sample(t, "plain.zip")), Unknown, ""},

		// OLE: Word by its FIB, its CompObj or mimetype's reading.
		{"doc, Word's layout", compound("WordDocument", wordClassID, wordFIBStart, true), TypeDOC, "FIB"},
		{"doc, directory in the header", compound("WordDocument", wordClassID, wordFIBStart, false), TypeDOC, ""},
		{"xls, Excel's layout", compound("Workbook", excelClassID, biffBOF, true), Unknown, "ms-excel"},
		{"ole, nothing to tell", cat(oleMagic, make([]byte, 1024)), Unknown, "x-ole-storage"},

		// MP3 and FLAC, with and without an ID3 tag.
		{"mp3 frames", cat(mp3Frame(), mp3Frame()), TypeMP3, ""},
		{"one mp3 frame in a tiny file", mp3Frame()[:20], TypeMP3, ""},
		{"mp3 sync then garbage", cat(mp3Frame(), []byte("garbage!")), Unknown, ""},
		{"mpeg layer II is not mp3", cat([]byte{0xff, 0xfd, 0x90, 0x00}, make([]byte, 600)), Unknown, "not a valid mp3"},
		{"aac adts is not mp3", cat([]byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc}, make([]byte, 16)), Unknown, "audio/aac"},
		{"id3 then mp3", cat(id3(20), mp3Frame(), mp3Frame()), TypeMP3, ""},
		{"id3 then padding then mp3", cat(id3(20), make([]byte, 9), mp3Frame(), mp3Frame()), TypeMP3, ""},
		{"id3 then flac", cat(id3(20), flacHead), TypeFLAC, "ID3"},
		{"id3 longer than the header", id3(8000), TypeMP3, "longer"},
		{"id3 then text", cat(id3(20), []byte("hello, world")), Unknown, "ID3"},
		{"flac, last metadata block", cat([]byte("fLaC\x80\x00\x00\x22"), flacHead[8:]), TypeFLAC, ""},
		{"fLaC in a text", []byte("fLaC is a codec\n"), TypeText, ""},

		// Ogg: audio codecs only.
		{"ogg vorbis", sample(t, "tone.ogg"), TypeOGG, ""},
		{"ogg opus", sample(t, "tone.opus"), TypeOGG, ""},
		{"ogg theora", sample(t, "clip.ogv"), Unknown, "video/ogg"},
		{"ogg, unknown codec", cat([]byte("OggS\x00\x02"), make([]byte, 20), []byte{1, 30}, []byte("\x01unknown codec\x00\x00")), Unknown, "application/ogg"},

		// Archives past their signatures.
		{"rar 4", rar4("a.txt", []byte("hello\n")), TypeRAR, ""},
		{"rar 5", rar5("a.txt", []byte("hello\n")), TypeRAR, ""},
		{"rar 4, bad header CRC", corrupt(rar4("a.txt", []byte("hello\n")), 7), Unknown, "RAR"},
		{"rar 5, bad header CRC", corrupt(rar5("a.txt", []byte("hello\n")), 8), Unknown, "RAR"},
		{"rar 5, encrypted headers", cat(rar5Marker, rar5Only(vints(4, 0, 0, 0))), TypeRAR, ""},
		{"7z, bad start header CRC", corrupt(sample(t, "plain.7z"), 20), Unknown, "7z"},
		{"wmv, header only", asfHeader, TypeWMV, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, what := Detect(tt.header, "")
			if got != tt.want || !strings.Contains(what, tt.what) {
				t.Errorf("Detect = %v, %q; want %v, %q", got, what, tt.want, tt.what)
			}
		})
	}
}

// corrupt flips byte i of a copy of b.
func corrupt(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

// rar5Only returns one RAR 5 header with its CRC and size.
func rar5Only(h []byte) []byte {
	var b bytes.Buffer
	rar5Block(&b, h)
	return b.Bytes()
}

// BenchmarkDetect sniffs the first HeaderSize bytes of each sample.
func BenchmarkDetect(b *testing.B) {
	for _, name := range []string{"../photo.jpg", "tone.mp3", "clip.mp4", "doc.docx", "doc.doc", "plain.zip"} {
		h := clip(sample(b, name))
		b.Run(filepath.Base(name), func(b *testing.B) {
			for b.Loop() {
				Detect(h, name)
			}
		})
	}
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>`)
	b.Run("svg", func(b *testing.B) {
		for b.Loop() {
			Detect(svg, "logo.svg")
		}
	})
}
