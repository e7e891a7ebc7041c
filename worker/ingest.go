package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"picpipe"
	"picpipe/db"
	"picpipe/fetch"
	"picpipe/imaging/sniff"
	"picpipe/intake"
	"picpipe/jobs"
	"picpipe/storage"
)

// ingestURL handles ingest:url: fetch the URL of a queued image or file
// through the SSRF-safe fetcher into staging, with the same checks as an
// upload, then hand an image to image:process or make a file ready.
// Permanent refusals end the row failed (fetch_failed and a reason, or the
// check's own code); network trouble is retried, and ends the row
// fetch_failed when the retries run out.
func (w *Worker) ingestURL(ctx context.Context, t *asynq.Task) error {
	p, err := jobs.ParseIngestPayload(t)
	if err != nil {
		return err
	}
	if w.deps.Fetcher == nil {
		return fmt.Errorf("worker: no fetcher configured for %s: %w", t.Type(), asynq.SkipRetry)
	}
	if p.Kind == jobs.IngestFile {
		return w.ingestFile(ctx, p)
	}
	return w.ingestImage(ctx, p)
}

func (w *Worker) ingestImage(ctx context.Context, p jobs.IngestPayload) error {
	img, err := w.deps.DB.ImageForWork(ctx, p.ID)
	if errors.Is(err, db.ErrImageNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if img.Status != db.StatusQueued || img.DeletedAt != nil {
		return nil
	}
	if img.SourceKey == "" { // not fetched yet (a retry after a crash may find it fetched)
		// A key of this attempt's own: two fetches of one row at once
		// never write the same blob, and the one that attaches first wins.
		key := "staging/" + img.UserID + "/" + img.ID + "." + db.NewAttempt()
		var name string
		img.SourceSize, img.SourceSHA256, name, err = w.download(ctx, img.SourceURL, key, "", p.MaxBytes, w.fileGate(&sniff.ImagePolicy))
		if err == nil {
			img.SourceKey, img.SourceName, img.UpdatedAt = key, name, w.deps.Now().Unix()
			if err = w.deps.DB.AttachSource(ctx, img, db.Quota{MaxStorageBytes: p.MaxStorageBytes}); err != nil {
				w.deps.Store.Delete(ctx, key)
				img.SourceKey, img.SourceSize = "", 0
			}
		}
		if errors.Is(err, db.ErrImageNotFound) {
			return nil // deleted, or fetched by another run, meanwhile
		}
		if err != nil {
			return w.failOrRetry(ctx, jobs.TypeIngestURL, img, ingestError(err))
		}
	}
	task, err := jobs.NewImageProcessTask(img.ID, p.Urgent)
	if err == nil {
		_, err = w.queue.EnqueueContext(ctx, task)
	}
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err
	}
	outcomes.WithLabelValues(jobs.TypeIngestURL, outcomeOK).Inc()
	return nil
}

func (w *Worker) ingestFile(ctx context.Context, p jobs.IngestPayload) error {
	f, err := w.deps.DB.FileForWork(ctx, p.ID)
	if errors.Is(err, db.ErrFileNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if f.Status != db.StatusQueued || f.DeletedAt != nil {
		return nil
	}
	// A key of this attempt's own, recorded by FinishFile: a second fetch
	// of the row at once never overwrites or removes the winner's blob.
	f.StorageKey = "files/" + f.UserID + "/" + f.ID + "." + db.NewAttempt()
	policy, ok := sniff.PolicyNamed(f.Policy)
	if !ok {
		return fmt.Errorf("worker: file %s names no known policy %q: %w", f.ID, f.Policy, asynq.SkipRetry)
	}
	g := w.fileGate(policy)
	// A name the caller chose (a KIE fileName) is the one the file is
	// known and served by, so its extension must agree with the bytes;
	// otherwise the remote one is.
	var name string
	f.Size, f.SHA256, name, err = w.download(ctx, f.SourceURL, f.StorageKey, f.Name, p.MaxBytes, g)
	if f.Name == "" {
		f.Name = name
	}
	if err == nil {
		ft := g.Type
		f.MIME, f.Ext, f.UpdatedAt = ft.MIME, ft.Ext, w.deps.Now().Unix()
		f.Status = db.StatusReady
		if ft.Image {
			f.Status = db.StatusProcessing // its metadata goes first
		}
		err = w.deps.DB.FinishFile(ctx, f, db.Quota{MaxStorageBytes: p.MaxStorageBytes})
		if err != nil {
			w.deps.Store.Delete(ctx, f.StorageKey)
		}
	}
	switch {
	case err == nil && f.Status == db.StatusProcessing:
		outcomes.WithLabelValues(jobs.TypeIngestURL, outcomeOK).Inc()
		return w.enqueueClean(ctx, f.ID, p.Urgent)
	case err == nil:
		outcomes.WithLabelValues(jobs.TypeIngestURL, outcomeOK).Inc()
		w.announce(ctx, f.ID)
		return nil
	case errors.Is(err, db.ErrFileNotFound):
		return nil // deleted, or fetched by another run, meanwhile
	}
	err = ingestError(err)
	final := finalError(ctx, err)
	if final == nil {
		return err
	}
	f.ErrorCode, f.ErrorMessage = final.Code, final.Message
	f.UpdatedAt = w.deps.Now().Unix()
	if ferr := w.deps.DB.FailFile(ctx, f); ferr != nil && !errors.Is(ferr, db.ErrFileNotFound) {
		return ferr
	}
	w.announce(ctx, f.ID)
	return settle(jobs.TypeIngestURL, final, err)
}

// fileGate is the gate a fetched file passes: a type policy admits whose
// extension agrees, and an animation within the frame and pixel limits
// the processor applies.
func (w *Worker) fileGate(policy *sniff.Policy) *intake.FileGate {
	g := &intake.FileGate{Policy: policy}
	if w.deps.Processor != nil {
		cfg := w.deps.Processor.Config()
		g.MaxFrames, g.MaxPixels = cfg.MaxFrames, cfg.MaxPixels
	}
	return g
}

// download fetches rawURL into the store under key through the gate g,
// like an upload: g checks the first bytes with the file's name (name, or
// when that is "" the remote one), watches the rest pass and may refuse
// the whole at the end, when nothing is left under key. It returns the
// size, the hex SHA-256 and the remote file name.
func (w *Worker) download(ctx context.Context, rawURL, key, name string, max int64, g intake.Gate) (int64, string, string, error) {
	resp, err := w.deps.Fetcher.Fetch(ctx, rawURL, max)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	n, sum, err := storage.PutChecked(ctx, w.deps.Store, key, g.Wrap(resp.Body), max, sniff.HeaderSize,
		func(h []byte) error { _, err := g.Check(h, cmp.Or(name, resp.Filename)); return err })
	if err == nil {
		if err = g.Done(); err != nil {
			w.deps.Store.Delete(context.WithoutCancel(ctx), key)
		}
	}
	return n, sum, resp.Filename, err
}

// ingestError gives what a fetch ends with a client-facing code: quota
// and the checks' refusals keep theirs; a network failure that will not be
// retried again is fetch_failed with the fetcher's reason.
func ingestError(err error) error {
	if errors.Is(err, db.ErrQuotaExceeded) {
		return picpipe.Errorf(picpipe.ECodeQuotaExceeded, "the fetched file does not fit the storage quota")
	}
	var perr *picpipe.Error
	if errors.As(err, &perr) {
		return err
	}
	slog.Warn("fetch failed", "err", err)
	return &retryable{err: err}
}

// retryable is a transient fetch failure; once the retries are spent,
// failOrRetry shows it as fetch_failed with the fetcher's reason.
type retryable struct{ err error }

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// Reason is the client-facing error of the failure.
func (r *retryable) Reason() *picpipe.Error {
	return picpipe.Errorf(picpipe.ECodeFetchFailed, "%s", fetch.Reason(r.err))
}

// enqueueClean queues the file:clean task of the file id; were it lost,
// reconcile would enqueue it again.
func (w *Worker) enqueueClean(ctx context.Context, id string, urgent bool) error {
	task, err := jobs.NewFileCleanTask(id, urgent)
	if err == nil {
		_, err = w.queue.EnqueueContext(ctx, task)
	}
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err
	}
	return nil
}
