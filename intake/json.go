package intake

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"picpipe"
)

const (
	maxJSONKey   = 64   // longest field name
	maxJSONValue = 8192 // longest value but the data (a URL, a file name)
)

// ReadJSON reads a flat JSON object from r, streaming the string value of
// the field dataField to onData as it is parsed (never held in memory
// whole) and returning every other field's value as text: strings
// unquoted, numbers and booleans as written. Nested objects and arrays
// are refused. onData is called at most once, in the middle of the parse;
// its error ends it.
func ReadJSON(r io.Reader, dataField string, onData func(io.Reader) error) (_ map[string]string, err error) {
	p := &jsonScanner{r: bufio.NewReaderSize(r, BodyReadSize)}
	defer func() {
		if errors.Is(err, io.ErrUnexpectedEOF) { // the body ended mid-object
			err = p.syntax("the rest of the object")
		}
	}()
	fields := map[string]string{}
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	for first := true; ; first = false {
		c, err := p.next()
		if err != nil {
			return nil, err
		}
		if c == '}' && first {
			break
		}
		if c != '"' {
			return nil, p.syntax("a field name")
		}
		key, err := p.smallString(maxJSONKey)
		if err != nil {
			return nil, err
		}
		if _, dup := fields[key]; dup {
			return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "field %q appears twice", key)
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		if fields[key], err = p.value(key == dataField, onData); err != nil {
			return nil, err
		}
		if c, err = p.next(); err != nil {
			return nil, err
		}
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, p.syntax("',' or '}'")
		}
	}
	if _, err := p.next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, p.syntax("the end of the body")
	}
	return fields, nil
}

type jsonScanner struct {
	r *bufio.Reader
}

func (p *jsonScanner) syntax(want string) error {
	return picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed JSON body: expected %s", want)
}

// next returns the next byte that is not white space; io.ErrUnexpectedEOF
// at the end.
func (p *jsonScanner) next() (byte, error) {
	for {
		c, err := p.r.ReadByte()
		if errors.Is(err, io.EOF) {
			return 0, io.ErrUnexpectedEOF
		} else if err != nil {
			return 0, BodyError(err)
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
	}
}

func (p *jsonScanner) expect(want byte) error {
	c, err := p.next()
	if err == nil && c != want {
		err = p.syntax(strconv.QuoteRune(rune(want)))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = p.syntax(strconv.QuoteRune(rune(want)))
	}
	return err
}

// value reads the value after a field name. A string streamed to onData
// (when stream is set) is returned as "".
func (p *jsonScanner) value(stream bool, onData func(io.Reader) error) (string, error) {
	c, err := p.next()
	if err != nil {
		return "", p.syntax("a value")
	}
	switch {
	case c == '"' && stream:
		sr := &jsonStringReader{r: p.r}
		if err := onData(sr); err != nil {
			return "", err
		}
		if _, err := io.Copy(io.Discard, sr); err != nil { // a refused stream was not read to its end
			return "", err
		}
		return "", nil
	case c == '"':
		return p.smallString(maxJSONValue)
	case c == '{' || c == '[':
		return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "nested JSON values are not accepted here")
	}
	lit := []byte{c}
	for {
		b, err := p.r.Peek(1)
		if err != nil || b[0] == ',' || b[0] == '}' || b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r' {
			break
		}
		if len(lit) == 32 {
			return "", p.syntax("a short number or literal")
		}
		p.r.ReadByte()
		lit = append(lit, b[0])
	}
	return string(lit), nil
}

// smallString reads the rest of a string of at most max bytes.
func (p *jsonScanner) smallString(max int) (string, error) {
	b, err := io.ReadAll(io.LimitReader(&jsonStringReader{r: p.r}, int64(max)+1))
	if err != nil {
		return "", err
	}
	if len(b) > max {
		return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "a JSON string is longer than %d bytes", max)
	}
	return string(b), nil
}

// jsonStringReader yields the unescaped content of a JSON string whose
// opening quote was read, and ends at its closing quote.
type jsonStringReader struct {
	r       *bufio.Reader
	done    bool
	pending []byte
}

func (s *jsonStringReader) Read(out []byte) (int, error) {
	n := 0
	for n < len(out) {
		if len(s.pending) > 0 {
			k := copy(out[n:], s.pending)
			s.pending, n = s.pending[k:], n+k
			continue
		}
		if s.done {
			break
		}
		if k := s.plain(out[n:]); k > 0 { // the run of bytes with nothing to unescape, at once
			n += k
			continue
		}
		c, err := s.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed JSON body: unterminated string")
			}
			return n, BodyError(err)
		}
		switch {
		case c == '"':
			s.done = true
		case c == '\\':
			if s.pending, err = s.escape(); err != nil {
				return n, err
			}
		case c < 0x20:
			return n, picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed JSON body: control character in a string")
		default:
			out[n] = c
			n++
		}
	}
	if n == 0 && s.done {
		return 0, io.EOF
	}
	return n, nil
}

// plain copies to out the bytes buffered up to the next one that ends
// the string or needs a look (a quote, a backslash, a control
// character), and returns how many: 0 when that one comes first or
// nothing is buffered.
func (s *jsonStringReader) plain(out []byte) int {
	b, _ := s.r.Peek(min(s.r.Buffered(), len(out)))
	k := 0
	for k < len(b) && b[k] != '"' && b[k] != '\\' && b[k] >= 0x20 {
		k++
	}
	copy(out, b[:k])
	s.r.Discard(k)
	return k
}

// escape decodes one escape sequence after its backslash.
func (s *jsonStringReader) escape() ([]byte, error) {
	c, err := s.r.ReadByte()
	if err != nil {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed JSON body: unterminated escape")
	}
	const from, to = "\"\\/bfnrt", "\"\\/\b\f\n\r\t"
	if k := strings.IndexByte(from, c); k >= 0 {
		return []byte{to[k]}, nil
	}
	if c != 'u' {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed JSON body: bad escape \\%c", c)
	}
	var hex [4]byte
	if _, err := io.ReadFull(s.r, hex[:]); err != nil {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed JSON body: bad \\u escape")
	}
	v, err := strconv.ParseUint(string(hex[:]), 16, 16)
	if err != nil {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "malformed JSON body: bad \\u escape %q", hex)
	}
	return utf8.AppendRune(nil, rune(v)), nil // lone surrogates become U+FFFD
}
