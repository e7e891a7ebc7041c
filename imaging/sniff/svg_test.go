package sniff

import (
	"strings"
	"testing"
)

// TestSVG tells SVG from HTML, other XML and text, by the root element.
func TestSVG(t *testing.T) {
	longComment := "<!--" + strings.Repeat("x", HeaderSize) + "-->"
	tests := []struct {
		name    string
		content string
		want    Type
		what    string // a substring of what
	}{
		{"minimal", `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`, TypeSVG, ""},
		{"declaration, doctype, comment", `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<!-- made by hand -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>`, TypeSVG, ""},
		{"byte-order mark", "\xef\xbb\xbf<svg xmlns=\"http://www.w3.org/2000/svg\"/>", TypeSVG, ""},
		{"prefixed root", `<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:rect/></s:svg>`, TypeSVG, ""},
		{"script inside is still svg", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`, TypeSVG, ""},
		{"cut after the root tag", `<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 L` + strings.Repeat("1 1 ", 2000), TypeSVG, ""},
		{"svg without its namespace", `<svg width="10" height="10"><rect/></svg>`, TypeText, ""},
		{"html with inline svg", `<!DOCTYPE html><html><body><svg xmlns="http://www.w3.org/2000/svg"></svg></body></html>`, Unknown, "text/html"},
		{"html doctype before an svg root", `<!DOCTYPE html><svg xmlns="http://www.w3.org/2000/svg"></svg>`, Unknown, "text/html"},
		{"xhtml", `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body><svg xmlns="http://www.w3.org/2000/svg"/></body></html>`, Unknown, "xhtml"},
		{"other xml root", `<?xml version="1.0"?><note><svg xmlns="http://www.w3.org/2000/svg"/></note>`, Unknown, "root is <note>"},
		{"svg in another namespace", `<svg xmlns="http://example.com/not-svg"/>`, TypeText, ""},
		{"latin-1 svg", `<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>`, Unknown, "not well-formed"},
		{"text before the root", `hello <svg xmlns="http://www.w3.org/2000/svg"/>`, TypeText, ""},
		{"root past the header", longComment + `<svg xmlns="http://www.w3.org/2000/svg"/>`, TypeText, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, what := Detect([]byte(tt.content), "")
			if got != tt.want || !strings.Contains(what, tt.what) {
				t.Errorf("Detect = %v, %q; want %v, %q", got, what, tt.want, tt.what)
			}
		})
	}
}

// TestPolyglots checks that a file is what its first bytes say, whatever
// it carries further on.
func TestPolyglots(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)
	tests := []struct {
		name   string
		header []byte
		want   Type
	}{
		{"png then php", sample(t, "../polyglot.png"), TypePNG},
		{"gif then svg", cat([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), svg), TypeGIF},
		{"jpeg then a pdf header", cat(jpegHead, []byte("%PDF-1.4\n")), TypeJPEG},
		{"gif then a zip (gifar)", cat([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), sample(t, "plain.zip")), TypeGIF},
		{"html that opens as a pdf", []byte("<html><body>%PDF-1.4\n1 0 obj</body></html>"), TypePDF},
		{"svg that carries a zip", cat(svg, sample(t, "plain.zip")), Unknown},
		{"zip that carries an svg", cat(sample(t, "plain.zip"), svg), TypeZIP},
		{"mp4 with an svg in mdat", cat(ftypBox("isom", "isom", "mp41"), svg), TypeMP4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, what := Detect(tt.header, ""); got != tt.want {
				t.Errorf("Detect = %v (%s), want %v", got, what, tt.want)
			}
		})
	}
}
