package api

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"picpipe"
)

// jsonOverhead is what a JSON upload body may hold besides the base64
// data: the data URL prefix and the small fields.
const jsonOverhead = 16 << 10

// jsonSource is what a JSON upload body said: its small fields and, when
// it had "data", the staged bytes.
type jsonSource struct {
	fields   map[string]string
	hasData  bool
	size     int64
	sha256   string
	mime     string // the sniffed type of the data
	declared string // the data URL's declared type, "" for plain base64
}

// readJSONSource reads a JSON upload body, decoding "data" (base64 or a
// data URL) straight into the store under key through g as it streams
// in. The body is refused before anything is read when its length shows
// the data cannot fit limit. The extension of "filename" and a data URL's declared
// type must agree with the bytes. On error nothing is left under key.
func (s *Server) readJSONSource(c *gin.Context, key string, limit int64, g gate) (*jsonSource, error) {
	maxBody := base64Size(limit) + jsonOverhead
	if c.Request.ContentLength > maxBody {
		return nil, picpipe.Errorf(picpipe.ECodeFileTooLarge,
			"the body's %d bytes cannot decode to at most %d bytes", c.Request.ContentLength, limit)
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	ctx := c.Request.Context()
	src := &jsonSource{}
	rec := &recordingGate{gate: g}
	fields, err := readJSONUpload(c.Request.Body, func(r io.Reader) error {
		data, declared, err := decodeData(r)
		if err != nil {
			return err
		}
		src.hasData, src.declared = true, declared
		src.size, src.sha256, err = s.stageThrough(ctx, data, key, limit, rec, "")
		return err
	})
	if err == nil && src.hasData {
		err = checkNamedData(rec.header, fields["filename"], src, g)
	}
	if err != nil {
		if src.hasData {
			s.store.Delete(context.WithoutCancel(ctx), key)
		}
		if isTooLarge(err) || picpipe.ErrorCode(err) == picpipe.ECodePayloadTooLarge {
			err = picpipe.Errorf(picpipe.ECodeFileTooLarge, "the data decodes to more than %d bytes", limit)
		}
		return nil, err
	}
	src.fields = fields
	return src, nil
}

// recordingGate keeps the first bytes its gate saw, to check them again
// once the file name is known.
type recordingGate struct {
	gate
	header []byte
}

func (r *recordingGate) check(header []byte, filename string) (string, error) {
	r.header = append([]byte(nil), header...)
	return r.gate.check(header, filename)
}

// checkNamedData checks, once the whole body is read, the file name's
// extension and the declared type against the bytes.
func checkNamedData(header []byte, filename string, src *jsonSource, g gate) (err error) {
	if src.mime, err = g.check(header, filename); err != nil {
		return err
	}
	if src.declared != "" && !sameType(src.declared, src.mime) {
		return picpipe.Errorf(picpipe.ECodeUnsupportedFormat,
			"the data URL declares %s but the bytes are %s", src.declared, src.mime)
	}
	return nil
}

// oneSource returns which of the source fields the body used, refusing
// none or several.
func oneSource(src *jsonSource, allowed ...string) (string, error) {
	used := ""
	n := 0
	if src.hasData {
		used, n = "data", 1
	}
	for _, f := range allowed {
		if src.fields[f] != "" {
			used, n = f, n+1
		}
	}
	if n != 1 {
		return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "send exactly one of data, %s", joinFields(allowed))
	}
	return used, nil
}

func joinFields(f []string) string {
	out := ""
	for i, s := range f {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// checkURL refuses a remote URL that can never be fetched: not http(s),
// no host, credentials in it, or too long. Where it points is checked
// when it is fetched, at every connection.
func checkURL(raw string) error {
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

// optionsFrom reads the image options of a JSON body.
func optionsFrom(fields map[string]string) (imageOptions, error) {
	o := defaultOptions()
	for _, name := range []string{"quality", "lossless", "resize"} {
		if v, ok := fields[name]; ok && v != "" && v != "null" {
			if _, err := o.set(name, v); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}
