package client_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"picpipe"
	"picpipe/client"
)

// wire counts the bytes a client writes to its connections.
type wire struct{ written atomic.Int64 }

func (w *wire) httpClient() *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countedConn{c, w}, nil
	}}}
}

type countedConn struct {
	net.Conn
	w *wire
}

func (c countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.written.Add(int64(n))
	return n, err
}

// bigPDF is a reader of a PDF of size bytes made as it is read, that is
// neither a file nor seekable. At every read it checks that the client
// has not taken more than slack bytes ahead of what it wrote to the
// network: that it streams instead of buffering the upload.
type bigPDF struct {
	t        *testing.T
	size     int64
	read     int64
	wire     *wire
	slack    int64
	maxAhead int64
}

func (b *bigPDF) Read(p []byte) (int, error) {
	if ahead := b.read - b.wire.written.Load(); ahead > b.maxAhead {
		b.maxAhead = ahead
	}
	if b.read >= b.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), b.size-b.read))
	for i := range n {
		p[i] = 'x'
	}
	if b.read == 0 {
		copy(p, "%PDF-1.4\n")
	}
	b.read += int64(n)
	return n, nil
}

func TestUploadIsStreamed(t *testing.T) {
	const size = 24 << 20
	s := start(t, options{plan: picpipe.Plan{MaxUploadBytes: 32 << 20}})
	for _, tc := range []struct {
		name  string
		known bool // the size is given: Content-Length, else chunked
	}{{"chunked", false}, {"content-length", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var w wire
			c := s.client(client.WithHTTPClient(w.httpClient()))
			src := &bigPDF{t: t, size: size, wire: &w}
			var source *client.Source
			if tc.known {
				source = client.NewSource("big.pdf", size, func() (io.ReadCloser, error) { return io.NopCloser(src), nil })
			} else {
				source = client.NewReaderSource("big.pdf", src, -1)
			}
			var last int64
			res, err := c.UploadFiles(context.Background(), []*client.Source{source},
				&client.FileParams{Progress: func(sent, _ int64) { last = sent }})
			if err != nil || len(res.Uploaded) != 1 || res.Uploaded[0].Size != size {
				t.Fatalf("UploadFiles(24 MiB) = %+v, %v; want one file of %d bytes", res, err, size)
			}
			if src.maxAhead > 1<<20 {
				t.Errorf("the client read %d bytes ahead of the network; want at most 1 MiB (streamed, not buffered)", src.maxAhead)
			}
			if w.written.Load() < size || last != size {
				t.Errorf("%d bytes written, progress ended at %d; want at least and exactly %d", w.written.Load(), last, size)
			}
		})
	}
}
