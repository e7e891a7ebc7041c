package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
)

// The fingerprint of a request sent with an Idempotency-Key tells "the
// same request again" from "another request under the same key". It has
// two halves, because the body's is known only once the body has
// streamed by:
//
//   - requestHash, of what the request line and headers say: the query
//     and the body's media type (the method and path scope the key
//     itself). Prefer is left out: waiting longer or not at all asks for
//     the same thing.
//   - a bodyPrint, of the body as it is read — never buffered. A
//     multipart body is printed part by part (each part's name, file
//     name and SHA-256, in any order), so that a client resending the same
//     form with a new boundary, as curl does, or its fields in another
//     order, as a client building it from a map does, sends the same
//     request; any other body by its bytes.

// requestHash is the hex SHA-256 of what identifies r before its body.
func requestHash(r *http.Request) string {
	h := sha256.New()
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	for _, s := range []string{r.Method, r.URL.Path, r.URL.Query().Encode(), mt} {
		writeField(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeField writes s to h preceded by its length, so that no two lists
// of fields hash alike.
func writeField(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	io.WriteString(h, s)
}

// isMultipart reports whether r's body is multipart/form-data.
func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// bodyPrint fingerprints a request body as the handler reads it: a
// multipart body through the partReader the handler reads it with
// (multipartBody makes it), any other body through its requestBody,
// which writes what it reads to raw.
type bodyPrint struct {
	req  *http.Request
	body *requestBody // the body's reader: what it counted is the body's size
	raw  hash.Hash    // a body not multipart: its bytes
	form *partReader  // a multipart body: its parts, once a reader was made
	sum  string
	err  error
	done bool
}

// newBodyPrint starts printing the body of c's request as it is read.
func newBodyPrint(r *http.Request, body *requestBody) *bodyPrint {
	p := &bodyPrint{req: r, body: body}
	if !isMultipart(r) {
		p.raw = sha256.New()
		body.seen = p.raw
	}
	return p
}

// parts returns the reader of mr that prints the parts of the body.
func (p *bodyPrint) parts(mr *multipart.Reader) *partReader {
	p.form = &partReader{mr: mr, print: true}
	return p.form
}

// finish reads what the handler left of the body (through the print)
// and returns the hex fingerprint and the body's size in bytes. An error
// reading it is the client's (the body's limit, its pace, a malformed
// form) or the body's end before its length.
func (p *bodyPrint) finish() (string, int64, error) {
	if !p.done {
		p.done = true
		p.sum, p.err = p.read()
	}
	return p.sum, p.body.n, p.err
}

func (p *bodyPrint) read() (string, error) {
	if p.raw != nil {
		if _, err := io.Copy(io.Discard, onlyReader{p.body}); err != nil {
			return "", err
		}
		return "raw:" + hex.EncodeToString(p.raw.Sum(nil)), nil
	}
	if p.form == nil {
		mr, err := p.req.MultipartReader()
		if err != nil {
			return "", err
		}
		p.parts(mr)
	}
	for {
		_, err := p.form.NextPart()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", err
		}
	}
	return "form:" + p.form.sum(), nil
}

// onlyReader hides every method of a reader but Read, so that io.Copy
// reads through it.
type onlyReader struct{ io.Reader }

// partReader reads the parts of a multipart body, printing each whole
// when the next is asked for (what the handler did not read of it is
// read then): the SHA-256 of its name, its file name and the SHA-256 of
// its bytes. Without print it reads the parts as they are.
type partReader struct {
	mr     *multipart.Reader
	print  bool
	prints [][sha256.Size]byte
	cur    *formPart
	ended  bool
}

// sum is the hex SHA-256 of the parts' prints, in order of their bytes:
// the same parts in any order print alike.
func (r *partReader) sum() string {
	slices.SortFunc(r.prints, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, p := range r.prints {
		h.Write(p[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// formPart is one part of a multipart body, hashed as it is read when
// its body is printed.
type formPart struct {
	*multipart.Part
	h hash.Hash
}

// Read implements io.Reader.
func (p *formPart) Read(b []byte) (int, error) {
	n, err := p.Part.Read(b)
	if p.h != nil {
		p.h.Write(b[:n])
	}
	return n, err
}

// Close reads the rest of the part, through the hash.
func (p *formPart) Close() error {
	_, err := io.Copy(io.Discard, onlyReader{p})
	return err
}

// NextPart returns the next part, io.EOF after the last.
func (r *partReader) NextPart() (*formPart, error) {
	if err := r.endPart(); err != nil {
		return nil, err
	}
	if r.ended {
		return nil, io.EOF
	}
	part, err := r.mr.NextPart()
	if errors.Is(err, io.EOF) {
		r.ended = true
	}
	if err != nil {
		return nil, err
	}
	r.cur = &formPart{Part: part}
	if r.print {
		r.cur.h = sha256.New()
	}
	return r.cur, nil
}

// endPart reads the rest of the current part and prints it.
func (r *partReader) endPart() error {
	p := r.cur
	if p == nil {
		return nil
	}
	r.cur = nil
	if !r.print {
		return nil
	}
	if err := p.Close(); err != nil {
		return err
	}
	h := sha256.New()
	writeField(h, p.FormName())
	writeField(h, p.FileName())
	writeField(h, string(p.h.Sum(nil)))
	r.prints = append(r.prints, [sha256.Size]byte(h.Sum(nil)))
	return nil
}
