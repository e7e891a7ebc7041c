// Package scheduler runs picpipe's periodic maintenance: an asynq
// Scheduler enqueues the maintenance tasks on their schedules (visible in
// asynqmon), and the handlers here, registered on the workers, do the
// work: reconcile stuck images, purge expired and orphaned blobs, and
// start each month's transform counts.
//
//	s, err := scheduler.New(cfg, scheduler.Deps{DB: d, Store: st, Redis: opt})
//	s.Register(w) // the handlers, on a worker
//	err = s.Run(ctx) // exactly one scheduler process per deployment
package scheduler
