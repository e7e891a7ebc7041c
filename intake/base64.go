package intake

import (
	"bufio"
	"encoding/base64"
	"io"
	"mime"
	"strings"

	"picpipe"
)

// maxDataURLPrefix bounds "data:<media type>;base64," before the payload.
const maxDataURLPrefix = 256

// Base64Size is the most base64 characters n decoded bytes take.
func Base64Size(n int64) int64 { return (n + 2) / 3 * 4 }

// DecodeData turns a streamed "data" value, plain base64 (standard or
// URL-safe alphabet, padded or not, line breaks allowed) or a base64 data
// URL, into a stream of the decoded bytes. It returns the data URL's
// declared media type, or "" for plain base64.
func DecodeData(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, maxDataURLPrefix)
	declared := ""
	if head, _ := br.Peek(5); string(head) == "data:" {
		prefix, err := br.ReadSlice(',')
		if err != nil {
			return nil, "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed data URL: no ',' within %d bytes", maxDataURLPrefix)
		}
		meta := strings.TrimSuffix(strings.TrimPrefix(string(prefix), "data:"), ",")
		typ, params, ok := strings.Cut(meta, ";")
		if !ok || !strings.EqualFold(params[strings.LastIndex(params, ";")+1:], "base64") {
			return nil, "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "only base64 data URLs are accepted (data:<type>;base64,…)")
		}
		if declared, _, err = mime.ParseMediaType(typ); err != nil {
			return nil, "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed data URL media type %q", typ)
		}
	}
	return &base64Reader{src: &base64Filter{r: br}}, declared, nil
}

// base64Filter drops white space and padding and maps the URL-safe
// alphabet to the standard one, so one raw decoder reads every variant.
// Any other byte passes, for the decoder to refuse.
type base64Filter struct{ r io.Reader }

// base64Drop and base64Std are base64Filter's tables: the bytes it drops,
// and what it maps each byte to.
var base64Drop, base64Std = func() (drop [256]bool, std [256]byte) {
	for i := range std {
		std[i] = byte(i)
	}
	for _, c := range []byte(" \n\r\t=") {
		drop[c] = true
	}
	std['-'], std['_'] = '+', '/'
	return drop, std
}()

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if !base64Drop[c] {
				p[k] = base64Std[c]
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// base64Chunk is the most base64 text base64Reader decodes at once.
const base64Chunk = 32 << 10

// base64Reader decodes what its filter yields, in chunks of whole
// quanta (4 characters, 3 bytes) carrying a partial one over to the next,
// the last at the end; undecodable input is invalid_request.
type base64Reader struct {
	src  io.Reader
	text [base64Chunk]byte
	held int // characters of a partial quantum at the start of text
	dec  [base64Chunk / 4 * 3]byte
	out  []byte // decoded, not yet read
	err  error  // what ends the stream once out is read
}

func (b *base64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		b.fill()
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

func (b *base64Reader) fill() {
	n, err := b.src.Read(b.text[b.held:])
	n += b.held
	whole := n / 4 * 4
	if err == io.EOF {
		whole = n // the last quantum, partial or not
	}
	m, derr := base64.RawStdEncoding.Decode(b.dec[:], b.text[:whole])
	b.out = b.dec[:m]
	b.held = copy(b.text[:], b.text[whole:n])
	switch {
	case derr != nil:
		b.out, b.err = nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "data is not valid base64")
	case err != nil:
		b.err = err
	}
}

// SameType reports whether a declared media type names the sniffed one,
// allowing the common aliases.
func SameType(declared, sniffed string) bool {
	declared = strings.ToLower(declared)
	aliases := map[string]string{"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg",
		"image/heif": "image/heic", "text/x-markdown": "text/markdown", "application/x-pdf": "application/pdf"}
	if a, ok := aliases[declared]; ok {
		declared = a
	}
	return declared == sniffed
}
