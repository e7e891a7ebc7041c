package sniff

import (
	"strings"
	"testing"
)

func TestTableIsWhole(t *testing.T) {
	seen := map[string]Type{}
	claim := func(t *testing.T, key string, ty Type) {
		t.Helper()
		if other, ok := seen[key]; ok {
			t.Errorf("%q is claimed by %v and %v", key, other, ty)
		}
		seen[key] = ty
	}
	for _, ty := range Types() {
		r := ty.row()
		if r.name == "" || r.mime == "" || len(r.exts) == 0 || r.class == 0 {
			t.Errorf("%d: incomplete row %+v", ty, r)
		}
		claim(t, "name "+r.name, ty)
		claim(t, "mime "+r.mime, ty)
		for _, ext := range r.exts {
			if !strings.HasPrefix(ext, ".") || ext != strings.ToLower(ext) {
				t.Errorf("%v: extension %q must be lower-case with its dot", ty, ext)
			}
			claim(t, "ext "+ext, ty)
		}
		if (r.loader != "") != (r.class == ClassRaster) {
			t.Errorf("%v: loader %q, class %v: raster types and only they have a loader", ty, r.loader, r.class)
		}
		if ty.Inline() != (r.class == ClassRaster) {
			t.Errorf("%v: Inline = %v, want raster types only", ty, ty.Inline())
		}
	}
	if n := len(Types()); n != 25 {
		t.Errorf("len(Types()) = %d, want 25", n)
	}
}

func TestLookups(t *testing.T) {
	for _, ty := range Types() {
		for _, ext := range ty.Exts() {
			if got, ok := TypeByExt(strings.ToUpper(ext)); !ok || got != ty {
				t.Errorf("TypeByExt(%q) = %v, %v; want %v", ext, got, ok, ty)
			}
		}
		if got, ok := TypeByMIME(ty.MIME()); !ok || got != ty {
			t.Errorf("TypeByMIME(%q) = %v, %v; want %v", ty.MIME(), got, ok, ty)
		}
		if got, ok := TypeByName(ty.Name()); !ok || got != ty {
			t.Errorf("TypeByName(%q) = %v, %v; want %v", ty.Name(), got, ok, ty)
		}
		if ft, ok := FileTypeOf(ty.MIME()); !ok || ft != ty.FileType() || ft.Ext != ty.Ext() || ft.Image != ty.Inline() {
			t.Errorf("FileTypeOf(%q) = %+v, %v", ty.MIME(), ft, ok)
		}
	}
	if _, ok := TypeByExt(".exe"); ok {
		t.Error("TypeByExt(.exe) found a type")
	}
	if ft, ok := FileTypeOf("text/html"); ok {
		t.Errorf("FileTypeOf(text/html) = %+v, want none", ft)
	}
	if Unknown.String() != "unknown" || Unknown.MIME() != "" || Unknown.Class() != 0 || Type(200).Name() != "" {
		t.Error("Unknown and out-of-range types must have no row")
	}
}

// TestCallersValues pins what callers rely on: the image formats, the
// Picklyone file types and the libvips loaders (once a map in package
// imaging), now all read from the table.
func TestCallersValues(t *testing.T) {
	formats := []struct {
		f            Format
		name, mime   string
		loader       string
		canonicalExt string
	}{
		{JPEG, "jpeg", "image/jpeg", "Jpeg", ".jpg"},
		{PNG, "png", "image/png", "Png", ".png"},
		{GIF, "gif", "image/gif", "Nsgif", ".gif"},
		{WebP, "webp", "image/webp", "Webp", ".webp"},
		{AVIF, "avif", "image/avif", "Heif", ".avif"},
		{HEIC, "heic", "image/heic", "Heif", ".heic"},
	}
	for _, tt := range formats {
		if tt.f.Name != tt.name || tt.f.MIME != tt.mime || tt.f.Loader() != tt.loader || tt.f.Type().Ext() != tt.canonicalExt {
			t.Errorf("%+v: got loader %q ext %q, want %s %s %s %s", tt.f, tt.f.Loader(), tt.f.Type().Ext(),
				tt.name, tt.mime, tt.loader, tt.canonicalExt)
		}
	}
	if (Format{}).Loader() != "" || (Format{Name: "pdf"}).Type() != Unknown || TypePDF.Format() != (Format{}) {
		t.Error("only raster types are Formats")
	}
	files := []struct {
		f         FileType
		mime, ext string
		image     bool
	}{
		{FileJPEG, "image/jpeg", ".jpg", true}, {FilePNG, "image/png", ".png", true},
		{FileGIF, "image/gif", ".gif", true}, {FileWebP, "image/webp", ".webp", true},
		{FilePDF, "application/pdf", ".pdf", false}, {FileText, "text/plain", ".txt", false},
		{FileCSV, "text/csv", ".csv", false}, {FileMarkdown, "text/markdown", ".md", false},
		{FileJSON, "application/json", ".json", false},
	}
	for _, tt := range files {
		if tt.f.MIME != tt.mime || tt.f.Ext != tt.ext || tt.f.Image != tt.image {
			t.Errorf("%+v, want %s %s %v", tt.f, tt.mime, tt.ext, tt.image)
		}
	}
	if ft := TypeSVG.FileType(); ft.Image || ft.Ext != ".svg" || ft.MIME != "image/svg+xml" {
		t.Errorf("svg FileType = %+v: SVG is never served inline", ft)
	}
}

func TestClasses(t *testing.T) {
	tests := map[Class]string{
		ClassRaster:   "jpeg, png, gif, webp, avif, heic",
		ClassVector:   "svg",
		ClassDocument: "pdf, doc, docx",
		ClassText:     "txt, csv, md, json",
		ClassAudio:    "mp3, wav, ogg, flac",
		ClassVideo:    "mp4, mov, avi, wmv",
		ClassArchive:  "zip, rar, 7z",
	}
	for c, want := range tests {
		if got := names(TypesOf(c)); got != want {
			t.Errorf("TypesOf(%v) = %s, want %s", c, got, want)
		}
	}
}
