package storage

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"

	"picpipe"
)

// PutChecked streams r into st under key the way every upload is taken
// in: check sees the first peek bytes (fewer for a shorter stream, none
// for an empty one) before anything is written and may refuse them; the
// bytes are hashed on the way; more than limit bytes is refused with
// file_too_large. An empty stream that check lets by is
// picpipe.ErrEmptyFile. On error nothing is left under key. It
// returns the size and the hex SHA-256. Errors of r come back as they are
// (coding them is the caller's: r is its input); failures of st itself
// come back coded by st (ErrFull, ErrUnavailable), never as r's.
func PutChecked(ctx context.Context, st Store, key string, r io.Reader, limit int64, peek int,
	check func(header []byte) error) (int64, string, error) {
	br := bufio.NewReaderSize(r, peek)
	header, err := br.Peek(peek)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, "", err
	}
	if err := check(header); err != nil {
		return 0, "", err
	}
	if len(header) == 0 {
		return 0, "", picpipe.ErrEmptyFile
	}
	h := sha256.New()
	n, err := st.Put(ctx, key, io.TeeReader(io.LimitReader(br, limit+1), h))
	if err != nil {
		return 0, "", err
	}
	if n > limit {
		st.Delete(context.WithoutCancel(ctx), key)
		return 0, "", picpipe.Errorf(picpipe.ECodeFileTooLarge, "file exceeds the limit of %d bytes", limit)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
