package sniff

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// svgNamespace is the namespace of SVG elements.
const svgNamespace = "http://www.w3.org/2000/svg"

// detectSVG recognises SVG: UTF-8 text that parses as XML up to its root
// element, which must be svg in the SVG namespace. Before the root only
// the XML declaration, processing instructions, comments, white space and
// a doctype naming svg may stand. An html root (with SVG inside or not),
// another XML root, or an svg element without the SVG namespace (which no
// browser renders as SVG) is not SVG; the root must come within the
// header. Where mimetype's looser check takes the text for SVG and the
// parse does not, the content is refused, described by what the parse
// found.
func detectSVG(h []byte, m *mimetype.MIME) (Type, string, bool) {
	root, parsed := xmlRoot(h)
	switch {
	case parsed && root.Space == svgNamespace && root.Local == "svg":
		return TypeSVG, TypeSVG.MIME(), true
	case !m.Is(TypeSVG.MIME()):
		return Unknown, "", false
	case parsed:
		return Unknown, fmt.Sprintf("XML whose root is <%s> in namespace %q, not svg", root.Local, root.Space), true
	}
	return Unknown, "image/svg+xml that is not well-formed XML with an svg root in the SVG namespace", true
}

// xmlRoot returns the name of the root element of the XML document in h,
// and false when h is not UTF-8 text that parses as XML up to that root.
func xmlRoot(h []byte) (xml.Name, bool) {
	if !isText(h) {
		return xml.Name{}, false
	}
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(h, []byte("\xef\xbb\xbf"))))
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.Name{}, false
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			return tok.Name, true
		case xml.CharData:
			if len(bytes.TrimSpace(tok)) > 0 {
				return xml.Name{}, false
			}
		case xml.Directive:
			if !isSVGDoctype(tok) {
				return xml.Name{}, false
			}
		}
	}
}

// isSVGDoctype reports whether a directive is a doctype naming svg as the
// root (any doctype that names another root, html above all, is not).
func isSVGDoctype(d xml.Directive) bool {
	f := strings.Fields(string(d))
	return len(f) >= 2 && f[0] == "DOCTYPE" && (f[1] == "svg" || strings.HasPrefix(f[1], "svg["))
}
