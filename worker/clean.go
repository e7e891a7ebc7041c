package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"

	"github.com/hibiken/asynq"

	"picpipe"
	"picpipe/db"
	"picpipe/imaging/sniff"
	"picpipe/imaging/strip"
	"picpipe/jobs"
	"picpipe/storage"
)

// cleanFile handles file:clean: claim an image stored as it is under a
// new attempt, copy it without its metadata (losslessly: the coded pixels
// are not touched) to a key of this attempt's own, make the file ready
// with the clean copy, and drop the original. A file that is not a sound
// image ends failed (decode_failed) and its task done; system trouble is
// retried. Only the latest claim's outcome is recorded.
func (w *Worker) cleanFile(ctx context.Context, t *asynq.Task) error {
	p, err := jobs.ParseFilePayload(t)
	if err != nil {
		return err
	}
	f, err := w.deps.DB.ClaimFileClean(ctx, p.FileID, w.deps.Now().Unix())
	if errors.Is(err, db.ErrFileNotFound) {
		return nil // deleted, or final already
	} else if err != nil {
		return err
	}
	raw := f.StorageKey
	clean := raw + "." + f.Attempt
	if f.PrevAttempt != "" {
		w.sweep(ctx, raw+"."+f.PrevAttempt)
	}
	size, sum, err := w.stripTo(ctx, raw, clean)
	if err != nil {
		return w.failFile(ctx, t.Type(), f, raw, err)
	}
	f.StorageKey, f.Size, f.SHA256, f.UpdatedAt = clean, size, sum, w.deps.Now().Unix()
	if _, err := w.deps.DB.FinishFileClean(ctx, f); errors.Is(err, db.ErrFileNotFound) {
		w.deps.Store.Delete(ctx, clean) // this attempt's own; no row names it
		return nil
	} else if err != nil {
		return err // retried; the clean copy stays in case the commit went through
	}
	w.deps.Store.Delete(ctx, raw)
	outcomes.WithLabelValues(t.Type(), outcomeOK).Inc()
	w.announce(ctx, f.ID)
	return nil
}

// failFile ends f failed when err is final, as failOrRetry does for
// images, removing its stored bytes under key.
func (w *Worker) failFile(ctx context.Context, typ string, f *db.File, key string, err error) error {
	final := finalError(ctx, err)
	if final == nil {
		return err
	}
	f.ErrorCode, f.ErrorMessage, f.UpdatedAt = final.Code, final.Message, w.deps.Now().Unix()
	if ferr := w.deps.DB.FailFile(ctx, f); errors.Is(ferr, db.ErrFileNotFound) {
		return nil
	} else if ferr != nil {
		return ferr
	}
	if key != "" {
		w.deps.Store.Delete(ctx, key)
	}
	w.announce(ctx, f.ID)
	return settle(typ, final, err)
}

// stripTo writes the image under from, without its metadata, to the key
// to, streaming, and returns its size and hex SHA-256.
func (w *Worker) stripTo(ctx context.Context, from, to string) (int64, string, error) {
	src, err := w.deps.Store.Open(ctx, from)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, "", picpipe.Errorf(picpipe.ECodeInternal, "the stored file is missing")
	} else if err != nil {
		return 0, "", err
	}
	defer src.Close()
	header := make([]byte, sniff.HeaderSize)
	n, err := io.ReadFull(src, header)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, "", err
	}
	format, err := sniff.Image(header[:n], "")
	if err != nil {
		return 0, "", err
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := strip.Strip(pw, src, format.Name)
		pw.CloseWithError(err)
	}()
	h := sha256.New()
	size, err := w.deps.Store.Put(ctx, to, io.TeeReader(pr, h))
	pr.CloseWithError(errors.New("worker: clean copy abandoned")) // ends a Strip still writing
	<-done
	return size, hex.EncodeToString(h.Sum(nil)), err
}
