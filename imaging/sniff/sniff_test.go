package sniff

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"picpipe"
)

// ftypBox builds an ftyp box with the given major and compatible brands,
// followed by a meta box stub so the header looks like a real file.
func ftypBox(major string, compatible ...string) []byte {
	var b bytes.Buffer
	size := 16 + 4*len(compatible)
	binary.Write(&b, binary.BigEndian, uint32(size))
	b.WriteString("ftyp" + major + "\x00\x00\x00\x00")
	for _, c := range compatible {
		b.WriteString(c)
	}
	b.Write([]byte{0, 0, 0, 8})
	b.WriteString("meta")
	return b.Bytes()
}

var (
	jpegHead = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	pngHead  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00")
	gifHead  = []byte("GIF89a\x10\x00\x10\x00\x80\x00\x00")
	webpHead = []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00")
	elfHead  = append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 56)...)
	peHead   = append(append([]byte("MZ\x90\x00"), make([]byte, 56)...), []byte("\x40\x00\x00\x00PE\x00\x00")...)
)

func TestImageAccepts(t *testing.T) {
	tests := []struct {
		name     string
		header   []byte
		filename string
		want     Format
	}{
		{"jpeg", jpegHead, "photo.jpg", JPEG},
		{"jpeg upper-case ext", jpegHead, "PHOTO.JPEG", JPEG},
		{"jpeg .jpe", jpegHead, "a.jpe", JPEG},
		{"jpeg .jfif", jpegHead, "a.jfif", JPEG},
		{"jpeg no ext", jpegHead, "photo", JPEG},
		{"jpeg empty name", jpegHead, "", JPEG},
		{"jpeg trailing dot", jpegHead, "photo.", JPEG},
		{"jpeg windows path", jpegHead, `C:\Users\me\photo.JPG`, JPEG},
		{"jpeg dotted dir", jpegHead, "dir.png/photo", JPEG},
		{"png", pngHead, "a.png", PNG},
		{"png then php (polyglot head)", append(append([]byte{}, pngHead...), "<?php system($_GET['c']); ?>"...), "a.png", PNG},
		{"gif", gifHead, "anim.gif", GIF},
		{"gif87a", []byte("GIF87a\x01\x00\x01\x00\x00\x00\x00"), "a.GIF", GIF},
		{"webp", webpHead, "a.webp", WebP},
		{"avif major", ftypBox("avif", "avif", "mif1", "miaf"), "a.avif", AVIF},
		{"avis major", ftypBox("avis", "avis", "msf1", "miaf"), "a.avif", AVIF},
		{"mif1 major, avif compatible", ftypBox("mif1", "mif1", "miaf", "avif"), "a.avif", AVIF},
		{"heic major", ftypBox("heic", "mif1", "heic"), "IMG_0001.HEIC", HEIC},
		{"heix major", ftypBox("heix", "mif1", "heix"), "a.heic", HEIC},
		{"mif1 major, heic compatible", ftypBox("mif1", "mif1", "heic"), "a.heif", HEIC},
		{"msf1 major, hevc compatible", ftypBox("msf1", "msf1", "hevc"), "a.heic", HEIC},
		{"tiny jpeg header", []byte("\xff\xd8\xff"), "a.jpg", JPEG},
		{"over-long header is cut", append(append([]byte{}, jpegHead...), make([]byte, 2*HeaderSize)...), "a.jpg", JPEG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Image(tt.header, tt.filename)
			if err != nil {
				t.Fatalf("Image(%q) error = %v, want nil", tt.filename, err)
			}
			if got != tt.want {
				t.Errorf("Image(%q) = %+v, want %+v", tt.filename, got, tt.want)
			}
		})
	}
}

func TestImageRefuses(t *testing.T) {
	tests := []struct {
		name     string
		header   []byte
		filename string
		wantMsg  string // a substring of the client message
	}{
		{"elf renamed jpg", elfHead, "cat.jpg", "application/x-elf"},
		{"pe renamed jpg", peHead, "cat.jpg", "portable-executable"},
		{"php behind png ext", []byte("<?php echo 'hi'; ?>\n"), "shell.png", "php"},
		{"html behind jpg ext", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), "x.jpg", "text/html"},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`), "x.svg", "svg"},
		{"svg renamed png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`), "x.png", "svg"},
		{"tiff le", []byte("II*\x00\x08\x00\x00\x00\x00\x00"), "x.tif", "image/tiff"},
		{"tiff be", []byte("MM\x00*\x00\x00\x00\x08\x00\x00"), "x.jpg", "image/tiff"},
		{"psd", []byte("8BPS\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03"), "x.psd", "photoshop"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "x.pdf", "application/pdf"},
		{"bmp", []byte("BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00"), "x.bmp", "image/bmp"},
		{"text", []byte("just some words, nothing else\n"), "notes.jpg", "text/plain"},
		{"mp4", ftypBox("isom", "isom", "iso2", "mp41"), "clip.heic", "isom"},
		{"heif with jpeg codec", ftypBox("mif1", "mif1", "jpeg"), "x.heif", "mif1, mif1, jpeg"},
		{"jpeg named png", jpegHead, "photo.png", `".png"`},
		{"png named jpg", pngHead, "photo.jpg", "image/png"},
		{"avif named heic", ftypBox("avif", "avif", "mif1"), "photo.heic", `".heic"`},
		{"heic named avif", ftypBox("heic", "mif1", "heic"), "photo.avif", "image/heic"},
		{"jpeg with unknown ext", jpegHead, "photo.exe", `".exe"`},
		{"jpeg with double ext", jpegHead, "photo.jpg.php", `".php"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Image(tt.header, tt.filename)
			if err == nil {
				t.Fatalf("Image(%q) = %+v, want an error", tt.filename, got)
			}
			if code := picpipe.ErrorCode(err); code != picpipe.ECodeUnsupportedFormat {
				t.Errorf("ErrorCode = %q, want %q (err %v)", code, picpipe.ECodeUnsupportedFormat, err)
			}
			if msg := picpipe.ErrorMessage(err); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestFtypBrandsStayInBox(t *testing.T) {
	// The brand list ends at the box size: "avif" after the box is ignored.
	h := append(ftypBox("mif1", "mif1", "jpeg"), []byte("avif")...)
	if f, err := Image(h, ""); err == nil {
		t.Errorf("Image = %+v, want refusal: a brand outside the ftyp box must not count", f)
	}
}

func TestExtension(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a.JPG", ".jpg"}, {"a", ""}, {"", ""}, {".hidden", ""}, {"a.", ""},
		{"x/y.z/a", ""}, {`x\y.png`, ".png"}, {"a.tar.gz", ".gz"},
		// The name as picpipe keeps it: trailing dots and spaces and
		// format characters hide no extension.
		{"x.php.", ".php"}, {"x.php. .", ".php"}, {"x.ph\u200bp", ".php"},
		{"x.php\u202e", ".php"}, {"..", ""},
	}
	for _, tt := range tests {
		if got := extension(tt.in); got != tt.want {
			t.Errorf("extension(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestHiddenExtensionRefused: a refused extension behind a trailing dot,
// a space or a format character is refused like the bare one, since the
// name kept is the cleaned one (picpipe.CleanName).
func TestHiddenExtensionRefused(t *testing.T) {
	text := []byte("hello\n")
	for _, name := range []string{"x.php.", "x.php .", "x.ph\u200bp", "x.php\u202e", "x.html..."} {
		if _, err := FilesPolicy.Check(text, name); picpipe.ErrorCode(err) != picpipe.ECodeUnsupportedFormat {
			t.Errorf("FilesPolicy.Check(text, %q) = %v; want unsupported_format", name, err)
		}
	}
	if _, err := FilesPolicy.Check(text, "notes.txt."); err != nil {
		t.Errorf("FilesPolicy.Check(text, notes.txt.) = %v; want accepted", err)
	}
}
