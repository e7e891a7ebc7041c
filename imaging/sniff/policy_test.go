package sniff

import (
	"slices"
	"strings"
	"testing"

	"picpipe"
)

// samples returns real content of every type of the table.
func samples(t *testing.T) map[Type][]byte {
	return map[Type][]byte{
		TypeJPEG:     sample(t, "../photo.jpg"),
		TypePNG:      sample(t, "../alpha.png"),
		TypeGIF:      sample(t, "../anim.gif"),
		TypeWebP:     sample(t, "../anim.webp"),
		TypeAVIF:     sample(t, "../photo.avif"),
		TypeHEIC:     sample(t, "../photo.heic"),
		TypeSVG:      []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`),
		TypePDF:      []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"),
		TypeDOC:      sample(t, "doc.doc"),
		TypeDOCX:     sample(t, "doc.docx"),
		TypeText:     []byte("hello\nworld\n"),
		TypeCSV:      []byte("a,b\n1,2\n"),
		TypeMarkdown: []byte("# Title\n\nSome *text*.\n"),
		TypeJSON:     []byte(`{"a": [1, 2]}`),
		TypeMP3:      sample(t, "tone.mp3"),
		TypeWAV:      sample(t, "tone.wav"),
		TypeOGG:      sample(t, "tone.ogg"),
		TypeFLAC:     sample(t, "tone.flac"),
		TypeMP4:      sample(t, "clip.mp4"),
		TypeMOV:      sample(t, "clip.mov"),
		TypeAVI:      sample(t, "clip.avi"),
		TypeWMV:      sample(t, "clip.wmv"),
		TypeZIP:      sample(t, "plain.zip"),
		TypeRAR:      rar5("a.txt", []byte("hello\n")),
		Type7Z:       sample(t, "plain.7z"),
	}
}

var policies = []struct {
	name    string
	p       Policy
	allowed string // the seed's list, in table order
}{
	{"image", ImagePolicy, "jpeg, png, gif, webp, avif, heic"},
	{"files", FilesPolicy, "jpeg, png, gif, webp, pdf, txt, csv, md, json"},
	{"Picklyone", PicklyonePolicy, "jpeg, png, gif, webp, pdf, txt, csv, md, json"},
	{"APIMart", APIMartPolicy, "jpeg, png, gif, webp"},
	{"Agent-header", AgentPolicy, "jpeg, png, gif, webp, svg, pdf, doc, docx, txt, md, mp3, wav, ogg, flac, mp4, mov, avi, wmv, zip, rar, 7z"},
	{"KIE", KIEPolicy, "jpeg, png, gif, webp, avif, heic, pdf, doc, docx, txt, csv, md, json, mp3, wav, ogg, flac, mp4, mov, avi, wmv"},
}

// TestPolicyMatrix checks every policy against real content of every type,
// named with each of the type's extensions and with none.
func TestPolicyMatrix(t *testing.T) {
	all := samples(t)
	if len(all) != len(Types()) {
		t.Fatalf("samples cover %d types of %d", len(all), len(Types()))
	}
	for _, pol := range policies {
		if got := pol.p.String(); got != pol.allowed {
			t.Errorf("%s allows %s, want %s", pol.name, got, pol.allowed)
		}
		for _, ty := range Types() {
			for _, name := range append(prefixed("file", ty.Exts()), "noname") {
				want := ty
				if name == "noname" && (ty == TypeCSV || ty == TypeMarkdown) {
					want = TypeText // only the extension tells CSV and Markdown
				}
				allowed := slices.Contains(strings.Split(pol.allowed, ", "), want.Name())
				got, err := pol.p.Check(all[ty], name)
				switch {
				case allowed && (err != nil || got != want.FileType()):
					t.Errorf("%s.Check(%v, %q) = %+v, %v; want %v", pol.name, ty, name, got, err, want)
				case !allowed && picpipe.ErrorCode(err) != picpipe.ECodeUnsupportedFormat:
					t.Errorf("%s.Check(%v, %q) = %+v, %v; want unsupported_format", pol.name, ty, name, got, err)
				}
			}
		}
	}
}

func prefixed(base string, exts []string) []string {
	names := make([]string, len(exts))
	for i, ext := range exts {
		names[i] = base + strings.ToUpper(ext)
	}
	return names
}

// TestFilesPolicyRefusals pins the Picklyone refusals: the extensions
// refused whatever the bytes, as they were before the table.
func TestFilesPolicyRefusals(t *testing.T) {
	want := []string{
		".exe", ".bat", ".cmd", ".com", ".scr", ".msi", ".dll",
		".js", ".mjs", ".cjs", ".vbs", ".ps1", ".sh", ".php",
		".jar", ".apk", ".app", ".html", ".htm", ".xhtml",
		".svg", ".svgz", ".xml", ".zip", ".rar", ".7z",
		".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst",
	}
	got := make([]string, 0, len(FilesPolicy.refused))
	for ext := range FilesPolicy.refused {
		got = append(got, ext)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("FilesPolicy refuses %v\nwant %v", got, want)
	}
	for _, ext := range []string{".SVG", ".Zip", ".exe"} {
		if !FilesPolicy.Refuses(ext) {
			t.Errorf("FilesPolicy.Refuses(%q) = false", ext)
		}
		if _, err := FilesPolicy.Check([]byte("plain text"), "a"+ext); !strings.Contains(picpipe.ErrorMessage(err), "are refused") {
			t.Errorf("Check(a%s) = %v, want a refusal by extension", ext, err)
		}
	}
	if AgentPolicy.Refuses(".svg") || AgentPolicy.Refuses(".zip") || !AgentPolicy.Refuses(".html") {
		t.Error("the Agent-header mount takes .svg and .zip, and refuses .html")
	}
}

// TestExtensionMustAgree names content of one type with the extension of
// its confusable neighbour, on the Agent-header mount that takes both.
func TestExtensionMustAgree(t *testing.T) {
	all := samples(t)
	tests := []struct {
		ty   Type
		name string
	}{
		{TypeDOCX, "report.zip"}, {TypeZIP, "report.docx"}, {TypeDOC, "report.docx"}, {TypeDOCX, "report.doc"},
		{TypeWAV, "clip.avi"}, {TypeAVI, "tone.wav"}, {TypeWebP, "tone.wav"},
		{TypeMP4, "clip.mov"}, {TypeMOV, "clip.mp4"}, {TypeMP4, "clip.heic"},
		{TypeOGG, "tone.mp3"}, {TypeFLAC, "tone.ogg"}, {TypeMP3, "tone.flac"}, {TypeWMV, "clip.avi"},
		{Type7Z, "a.zip"}, {TypeRAR, "a.7z"}, {TypeZIP, "a.rar"},
		{TypeSVG, "logo.txt"}, {TypeSVG, "logo.png"}, {TypeText, "notes.svg"}, {TypeText, "notes.mp3"},
		{TypeJPEG, "photo.jpg.exe"},
	}
	for _, tt := range tests {
		_, err := AgentPolicy.Check(all[tt.ty], tt.name)
		if picpipe.ErrorCode(err) != picpipe.ECodeUnsupportedFormat {
			t.Errorf("Agent Check(%v as %s) = %v, want unsupported_format", tt.ty, tt.name, err)
		}
	}
	// An AVIF on the Agent-header mount is refused for what it is.
	_, err := AgentPolicy.Check(all[TypeAVIF], "photo.avif")
	if msg := picpipe.ErrorMessage(err); !strings.Contains(msg, "image/avif") || !strings.Contains(msg, "wmv, zip, rar, 7z") {
		t.Errorf("message %q must name what was found and what is allowed", msg)
	}
}

func TestZeroPolicy(t *testing.T) {
	var p Policy
	if _, err := p.Check(jpegHead, "a.jpg"); err == nil || p.Allows(TypeJPEG) || p.Refuses(".exe") || p.String() != "" {
		t.Errorf("the zero Policy allows nothing (Check error %v)", err)
	}
	if NewPolicy([]Type{Unknown, 99}).String() != "" {
		t.Error("Unknown and out-of-range types cannot be allowed")
	}
}

// TestPolicyNamed: every policy of a way in is found again by the name it
// carries, which is what a file's row keeps; "" is the /v1/files list.
func TestPolicyNamed(t *testing.T) {
	for _, p := range []*Policy{&ImagePolicy, &FilesPolicy, &PicklyonePolicy, &APIMartPolicy, &AgentPolicy, &KIEPolicy} {
		got, ok := PolicyNamed(p.Name())
		if !ok || p.Name() == "" || got.String() != p.String() || got.allowed != p.allowed {
			t.Errorf("PolicyNamed(%q) = %v, %v; want the policy allowing %s", p.Name(), got, ok, p)
		}
	}
	if p, ok := PolicyNamed(""); !ok || p != &FilesPolicy {
		t.Errorf(`PolicyNamed("") = %v, %v; want FilesPolicy`, p, ok)
	}
	if _, ok := PolicyNamed("nope"); ok {
		t.Error(`PolicyNamed("nope") found a policy`)
	}
}
