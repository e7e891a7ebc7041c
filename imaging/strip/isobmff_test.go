package strip

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"picpipe"
)

// box returns an ISO-BMFF box of the payloads.
func box(typ string, payload ...[]byte) []byte {
	body := slices.Concat(payload...)
	return slices.Concat(binary.BigEndian.AppendUint32(nil, uint32(8+len(body))), []byte(typ), body)
}

// fullBox returns a full box: version, flags, then the payloads.
func fullBox(typ string, version byte, payload ...[]byte) []byte {
	return box(typ, append([][]byte{{version, 0, 0, 0}}, payload...)...)
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// heifItem is an item of a synthetic HEIF file.
type heifItem struct {
	id                           uint16
	typ, name, contentType, data string
	method                       uint16  // 0: in mdat, 1: in idat, 2: built from items
	at                           *[2]int // overrides the extent: file offset and length
}

// heifSpec describes a synthetic HEIF file: ftyp, meta, the boxes of top,
// then mdat with the data of the items whose method is 0.
type heifSpec struct {
	primary     uint16
	items       []heifItem
	props       [][]byte
	top         [][]byte
	ilocVersion byte
}

// build returns the file. Strip does not decode, so the data need not
// make a picture.
func (s heifSpec) build() []byte {
	head := s.head(0) // the offsets do not change the size of meta
	return s.file(len(head) + 8)
}

func (s heifSpec) file(mdatAt int) []byte {
	var mdat []byte
	for _, it := range s.items {
		if it.method == 0 {
			mdat = append(mdat, it.data...)
		}
	}
	return slices.Concat(s.head(mdatAt), box("mdat", mdat))
}

func (s heifSpec) head(mdatAt int) []byte {
	var idat []byte
	var loc, info [][]byte
	for _, it := range s.items {
		off := &mdatAt
		if it.method == 1 {
			off = new(int)
			*off = len(idat)
			idat = append(idat, it.data...)
		}
		extent := [2]int{*off, len(it.data)}
		if it.method == 0 {
			mdatAt += len(it.data)
		}
		if it.at != nil {
			extent = *it.at
		}
		var method []byte
		if s.ilocVersion > 0 {
			method = u16(it.method)
		}
		loc = append(loc, slices.Concat(u16(it.id), method, u16(0), u32(0), u16(1), u32(uint32(extent[0])), u32(uint32(extent[1]))))
		info = append(info, fullBox("infe", 2, u16(it.id), u16(0), []byte(it.typ), []byte(it.name+"\x00"+it.contentType)))
	}
	meta := fullBox("meta", 0,
		fullBox("hdlr", 0, u32(0), []byte("pict"), make([]byte, 13)),
		fullBox("pitm", 0, u16(s.primary)),
		fullBox("iloc", s.ilocVersion, []byte{0x44, 0x40}, u16(uint16(len(s.items))), slices.Concat(loc...)),
		fullBox("iinf", 0, append([][]byte{u16(uint16(len(s.items)))}, info...)...),
		box("iprp", box("ipco", s.props...)),
		box("idat", idat),
	)
	return slices.Concat(heifFtyp, meta, slices.Concat(s.top...))
}

const heifImage = "HEVC-CODED-IMAGE-DATA"

var heifFtyp = box("ftyp", []byte("heic\x00\x00\x00\x00mif1heic"))

var irot = box("irot", []byte{1})

// heifPhoto is a HEIF file with an image, EXIF in mdat, XMP in idat,
// another metadata item, and metadata boxes in places Strip looks.
func heifPhoto() heifSpec {
	return heifSpec{
		primary:     1,
		ilocVersion: 1,
		items: []heifItem{
			{id: 1, typ: "hvc1", data: heifImage},
			{id: 2, typ: "Exif", name: "Exif", data: "\x00\x00\x00\x06Exif\x00\x00MM\x00*PicpipeCam"},
			{id: 3, typ: "mime", name: "XMP", contentType: "application/rdf+xml", data: "<x:xmpmeta>SecretCreator</x:xmpmeta>", method: 1},
			{id: 4, typ: "mime", contentType: "application/json", data: "{\"city\":\"SecretCity\"}"},
		},
		props: [][]byte{box("ispe", make([]byte, 12)), irot, box("udes", []byte("en\x00SecretTitle\x00"))},
		top: [][]byte{
			box("uuid", []byte(xmpUUID), []byte("<x:xmpmeta>SecretDescription</x:xmpmeta>")),
			box("moov", box("udta", box("\xa9xyz", []byte("+48.8584+002.2945/"))), box("trak", box("tkhd"), box("meta", []byte("SecretKeyword")))),
		},
	}
}

func TestStripISOBMFF(t *testing.T) {
	in := heifPhoto().build()
	out, res := strip(t, in, "heic")
	if len(out) != len(in) {
		t.Fatalf("Strip output has %d bytes; want %d, the size of the input", len(out), len(in))
	}
	if want := []string{KindEXIF, KindXMP, KindOther}; !slices.Equal(res.Removed, want) || res.Orientation != 0 {
		t.Errorf("Strip = %+v; want Removed %v, Orientation 0", res, want)
	}
	for _, s := range []string{"PicpipeCam", "SecretCreator", "SecretCity", "SecretTitle", "SecretDescription", "SecretKeyword", "48.8584", "rdf+xml", "Exif", "mime", "udta", "uuid"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output contains %q", s)
		}
	}
	at := bytes.Index(in, []byte(heifImage))
	if !bytes.Equal(out[at:at+len(heifImage)], []byte(heifImage)) || !bytes.Contains(out, irot) {
		t.Errorf("output lost the image data or its irot property")
	}
	if got, want := bytes.Count(out, []byte(bmffFreeType)), 3+4; got != want {
		t.Errorf("output has %d free items and boxes; want %d", got, want)
	}
	if again, _ := strip(t, out, "heic"); !bytes.Equal(again, out) {
		t.Errorf("Strip of its own output changed it")
	}
}

func TestStripISOBMFFRefused(t *testing.T) {
	image := len(heifPhoto().head(0)) + 8 // where the image data lands
	with := func(change func(*heifSpec)) []byte {
		s := heifPhoto()
		change(&s)
		return s.build()
	}
	tests := []struct {
		name string
		in   []byte
		code string
	}{
		{"EXIF with the ID of the image", with(func(s *heifSpec) { s.items[1].id = 1 }), picpipe.ECodeDecodeFailed},
		{"EXIF as the primary item", with(func(s *heifSpec) { s.primary = 2 }), picpipe.ECodeDecodeFailed},
		{"EXIF sharing bytes with the image", with(func(s *heifSpec) { s.items[1].at = &[2]int{image + 4, 30} }), picpipe.ECodeUnsupportedFormat},
		{"EXIF outside mdat", with(func(s *heifSpec) { s.items[1].at = &[2]int{0, 8} }), picpipe.ECodeUnsupportedFormat},
		{"EXIF built from items", with(func(s *heifSpec) { s.items[1].method = 2 }), picpipe.ECodeUnsupportedFormat},
		{"an image built from items", with(func(s *heifSpec) { s.items[0].method = 2 }), picpipe.ECodeUnsupportedFormat},
		{"EXIF beyond the file", with(func(s *heifSpec) { s.items[1].at = &[2]int{image, 1 << 20} }), picpipe.ECodeDecodeFailed},
		{"XMP beyond idat", with(func(s *heifSpec) { s.items[2].at = &[2]int{0, 1000} }), picpipe.ECodeDecodeFailed},
		{"iloc version 3", with(func(s *heifSpec) { s.ilocVersion = 3 }), picpipe.ECodeUnsupportedFormat},
		{"no ftyp", heifPhoto().build()[len(heifFtyp):], picpipe.ECodeDecodeFailed},
		{"truncated", heifPhoto().build()[:300], picpipe.ECodeDecodeFailed},
		{"a box smaller than its header", append(box("ftyp", []byte("heic")), 0, 0, 0, 4, 'f', 'r', 'e', 'e'), picpipe.ECodeDecodeFailed},
		{"a cut box header", append(box("ftyp", []byte("heic")), 0, 0, 0), picpipe.ECodeDecodeFailed},
		{"a short meta", slices.Concat(box("ftyp", []byte("heic")), box("meta", []byte{0})), picpipe.ECodeDecodeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Strip(&bytes.Buffer{}, bytes.NewReader(tt.in), "heic")
			if code := picpipe.ErrorCode(err); code != tt.code {
				t.Errorf("Strip error = %v (code %q); want code %q", err, code, tt.code)
			}
		})
	}
}

func TestStripISOBMFFIloc(t *testing.T) {
	ftyp := box("ftyp", []byte("avif\x00\x00\x00\x00"))
	meta := func(iloc []byte) []byte {
		return slices.Concat(ftyp, fullBox("meta", 0,
			fullBox("iinf", 0, u16(1), fullBox("infe", 2, u16(1), u16(0), []byte("Exif\x00"))), iloc), box("mdat"))
	}
	tests := []struct {
		name string
		iloc []byte
		code string
	}{
		{"a field of 3 bytes", fullBox("iloc", 0, []byte{0x34, 0x00}, u16(0)), picpipe.ECodeDecodeFailed},
		{"cut short", fullBox("iloc", 0, []byte{0x44, 0x00}, u16(5), u16(1)), picpipe.ECodeDecodeFailed},
		{"too many extents", fullBox("iloc", 0, []byte{0x00, 0x00}, u16(2), u16(1), u16(0), u16(0xffff), u16(2), u16(0), u16(0xffff)), picpipe.ECodeUnsupportedFormat},
		{"an item in a missing idat", fullBox("iloc", 1, []byte{0x44, 0x00}, u16(1), u16(1), u16(1), u16(0), u16(1), u32(0), u32(4)), picpipe.ECodeDecodeFailed},
		{"an offset beyond 64 bits", fullBox("iloc", 0, []byte{0x84, 0x80}, u16(1), u16(1), u16(0), u32(0xffffffff), u32(0xffffffff), u16(1), u32(0xffffffff), u32(0xffffffff), u32(4)), picpipe.ECodeDecodeFailed},
		{"an item in another file", fullBox("iloc", 0, []byte{0x44, 0x00}, u16(1), u16(1), u16(1), u16(1), u32(0), u32(4)), ""},
		{"no iloc", nil, picpipe.ECodeDecodeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Strip(&bytes.Buffer{}, bytes.NewReader(meta(tt.iloc)), "avif")
			if code := picpipe.ErrorCode(err); code != tt.code {
				t.Errorf("Strip error = %v (code %q); want code %q", err, code, tt.code)
			}
		})
	}
}
