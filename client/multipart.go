package client

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"mime/multipart"
)

// form is a multipart/form-data body sent as it is written: the fields
// first, in order, then each Source as a part named fileField. The bytes
// go through an io.Pipe straight from the Source to the connection, so
// no upload is ever held in memory.
type form struct {
	fields    [][2]string
	fileField string
	files     []*Source
	progress  Progress
}

// field adds a field when its value is not empty.
func (f *form) field(name, value string) {
	if value != "" {
		f.fields = append(f.fields, [2]string{name, value})
	}
}

// open starts one attempt's body: its reader, content type and length
// (-1 when a Source's size is unknown). The Sources are opened here, so
// that an unreadable file fails before anything is sent.
func (f *form) open() (io.ReadCloser, string, int64, error) {
	readers, sizes, err := f.openSources()
	if err != nil {
		return nil, "", 0, err
	}
	boundary := newBoundary()
	length := f.length(boundary, sizes)
	pr, pw := io.Pipe()
	go func() {
		err := f.write(pw, boundary, readers, sizes)
		for _, r := range readers {
			r.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, "multipart/form-data; boundary=" + boundary, length, nil
}

// openSources opens every Source, closing those opened when one fails.
func (f *form) openSources() ([]io.ReadCloser, []int64, error) {
	readers := make([]io.ReadCloser, 0, len(f.files))
	sizes := make([]int64, 0, len(f.files))
	for _, s := range f.files {
		r, size, err := s.reader()
		if err != nil {
			for _, r := range readers {
				r.Close()
			}
			return nil, nil, err
		}
		readers, sizes = append(readers, r), append(sizes, size)
	}
	return readers, sizes, nil
}

// length is the body's length in bytes: the multipart framing, written
// to a counter without the files' bytes, plus their sizes; -1 when a
// size is unknown.
func (f *form) length(boundary string, sizes []int64) int64 {
	n := sum(sizes)
	if n < 0 {
		return -1
	}
	var framing countWriter
	f.write(&framing, boundary, nil, sizes)
	return n + int64(framing)
}

// write writes the body to w; with readers nil, only its framing.
func (f *form) write(w io.Writer, boundary string, readers []io.ReadCloser, sizes []int64) error {
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(boundary); err != nil {
		return err
	}
	for _, kv := range f.fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return err
		}
	}
	var sent int64
	total := sum(sizes)
	if readers != nil && f.progress != nil {
		f.progress(0, total)
	}
	for i, s := range f.files {
		part, err := mw.CreateFormFile(f.fileField, s.Name)
		if err != nil {
			return err
		}
		if readers == nil {
			continue
		}
		if _, err := io.Copy(counter{part, &sent, total, f.progress}, readers[i]); err != nil {
			return err
		}
	}
	return mw.Close()
}

// sum is the sum of sizes, -1 when one is unknown.
func sum(sizes []int64) int64 {
	var n int64
	for _, s := range sizes {
		if s < 0 {
			return -1
		}
		n += s
	}
	return n
}

// countWriter counts the bytes written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

func newBoundary() string {
	var b [24]byte
	rand.Read(b[:])
	return "picpipe-" + hex.EncodeToString(b[:])
}
