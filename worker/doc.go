// Package worker runs picpipe's asynq handlers: image:process turns a
// staged upload into its WebP (or passed-through GIF), image:avif adds the
// AVIF variant, ingest:url fetches a remote file into the same path.
// Handlers are idempotent: the database row says what is
// left to do, so a task delivered twice does its work once.
//
//	w, err := worker.New(cfg, worker.Deps{DB: d, Store: st, Redis: opt, Processor: p, Fetcher: f})
//	err = w.Run(ctx) // until ctx is cancelled, then finishes or requeues
package worker
