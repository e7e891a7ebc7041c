package intake

import (
	"context"
	"io"
	"net/url"
	"strings"

	"picpipe"
)

// jsonOverhead is what a JSON upload body may hold besides the base64
// data: the data URL prefix and the small fields.
const jsonOverhead = 16 << 10

// JSONBodyLimit is the most bytes a JSON upload body whose data decodes
// to at most limit bytes may have.
func JSONBodyLimit(limit int64) int64 { return Base64Size(limit) + jsonOverhead }

// JSONSource is what a JSON upload body said: its small fields and, when
// it had a data field, the staged bytes.
type JSONSource struct {
	Fields   map[string]string
	HasData  bool
	Staged   Staged
	Declared string // the data URL's declared type, "" for plain base64
}

// StageJSON reads a JSON upload body (ReadJSON), decoding the string of
// the field named dataField (base64 or a data URL) straight into the
// store under key through g as it streams in. The extension of the field
// nameField (the file's name) and a data URL's declared type must agree
// with the bytes. A
// body larger than JSONBodyLimit(limit) should be refused before (by its
// Content-Length, and with http.MaxBytesReader). On error nothing is left
// under key.
func (s Stager) StageJSON(ctx context.Context, body io.Reader, key string, limit int64, g Gate, dataField, nameField string) (*JSONSource, error) {
	src := &JSONSource{}
	rec := &recordingGate{Gate: g}
	fields, err := ReadJSON(body, dataField, func(r io.Reader) error {
		data, declared, err := DecodeData(r)
		if err != nil {
			return err
		}
		src.HasData, src.Declared = true, declared
		src.Staged, err = s.Stage(ctx, data, key, limit, rec, "")
		return err
	})
	if err == nil && src.HasData {
		err = checkNamedData(rec.header, fields[nameField], src, g)
	}
	if err != nil {
		if src.HasData {
			s.Store.Delete(context.WithoutCancel(ctx), key)
		}
		if IsTooLarge(err) || picpipe.ErrorCode(err) == picpipe.ECodePayloadTooLarge {
			err = picpipe.Errorf(picpipe.ECodeFileTooLarge, "the data decodes to more than %d bytes", limit)
		}
		return nil, err
	}
	src.Fields = fields
	return src, nil
}

// recordingGate keeps the first bytes its gate saw, to check them again
// once the file name is known.
type recordingGate struct {
	Gate
	header []byte
}

func (r *recordingGate) Check(header []byte, filename string) (string, error) {
	r.header = append([]byte(nil), header...)
	return r.Gate.Check(header, filename)
}

// checkNamedData checks, once the whole body is read, the file name's
// extension and the declared type against the bytes.
func checkNamedData(header []byte, filename string, src *JSONSource, g Gate) (err error) {
	if src.Staged.MIME, err = g.Check(header, filename); err != nil {
		return err
	}
	if src.Declared != "" && !SameType(src.Declared, src.Staged.MIME) {
		return picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the data URL declares %s but the bytes are %s", src.Declared, src.Staged.MIME)
	}
	return nil
}

// OneSource returns which source the body used: "data" or one of the
// fields named by allowed; none or several is invalid_request.
func (src *JSONSource) OneSource(allowed ...string) (string, error) {
	used, n := "", 0
	if src.HasData {
		used, n = "data", 1
	}
	for _, f := range allowed {
		if src.Fields[f] != "" {
			used, n = f, n+1
		}
	}
	if n != 1 {
		return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "send exactly one of data, %s", strings.Join(allowed, ", "))
	}
	return used, nil
}

// CheckURL refuses a remote URL that can never be fetched: not http(s),
// no host, credentials in it, or too long. Where it points is checked
// when it is fetched, at every connection.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > 2048:
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, "url is longer than 2048 bytes")
	case err != nil:
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, "url is malformed: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, "url must be http or https, not %q", u.Scheme)
	case u.Host == "":
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, "url has no host")
	case u.User != nil:
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, "url must not carry credentials")
	}
	return nil
}
