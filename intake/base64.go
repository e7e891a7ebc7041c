package intake

import (
	"bufio"
	"encoding/base64"
	"errors"
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
	return &base64Reader{dec: base64.NewDecoder(base64.RawStdEncoding, &base64Filter{r: br})}, declared, nil
}

// base64Filter drops white space and padding and maps the URL-safe
// alphabet to the standard one, so one raw decoder reads every variant.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			switch c {
			case ' ', '\n', '\r', '\t', '=':
				continue
			case '-':
				c = '+'
			case '_':
				c = '/'
			}
			p[k] = c
			k++
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// base64Reader reports undecodable input as invalid_request.
type base64Reader struct{ dec io.Reader }

func (b *base64Reader) Read(p []byte) (int, error) {
	n, err := b.dec.Read(p)
	var corrupt base64.CorruptInputError
	if errors.As(err, &corrupt) {
		err = picpipe.Errorf(picpipe.ECodeInvalidRequest, "data is not valid base64")
	}
	return n, err
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
